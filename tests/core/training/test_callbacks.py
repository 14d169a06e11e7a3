"""The run's callbacks on real training: the memory its training adds, and the time-left estimate."""
import threading
import time

import keras
import numpy as np
import pytest

from core.runs import RunStore
from core.training import RunConfig, launch
from core.training.callbacks import StudioCallback, TrainingMemory, resident_memory_bytes


def wait_for_end(store, run_id, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = store.get_run(run_id)
        if run and not run.is_active:
            return run
        time.sleep(0.3)
    pytest.fail(f"run {run_id} did not end in {timeout} s")


def test_the_sampler_measures_a_fit_and_stops_with_it():
    memory = TrainingMemory(interval=0.005)
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(256, activation="relu"), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.default_rng(0).normal(size=(512, 32)).astype("float32"), np.zeros(512, "int32")

    seen_while_fitting = []
    probe = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: seen_while_fitting.append(memory.sampling))
    model.fit(x, y, epochs=3, batch_size=32, callbacks=[memory, probe], verbose=0)

    assert seen_while_fitting == [True, True, True]          # it samples during the fit...
    assert not memory.sampling                                # ...and stops with it
    assert "training-memory" not in [t.name for t in threading.enumerate()]
    assert memory.samples >= 3 and memory.peak_bytes >= memory.baseline_bytes
    assert memory.baseline_bytes <= resident_memory_bytes() * 2
    results = memory.results()
    assert results["run_peak_memory_mb"] == pytest.approx(
        results["memory_before_training_mb"] + results["training_memory_mb"])
    memory.stop()  # idempotent: a second stop (e.g. after a fine-tuning fit) is harmless
    assert not memory.sampling


def test_a_bigger_model_adds_more_memory_than_a_tiny_one():
    """Each run in its own runner process (as the scale lab runs them): the process's own peak is
    TensorFlow and the data, the same for every width; what training adds grows with the model."""
    store = RunStore()
    configs = [RunConfig(dataset="digits", architecture="mlp", arch_params={"hidden_layers": 2, "units": units},
                         epochs=1, batch_size=64, name=f"width {units}") for units in (4, 1024)]
    runs = [wait_for_end(store, launch(config)) for config in configs]
    assert [r.status for r in runs] == ["completed", "completed"], [r.error for r in runs]
    tiny, big = (r.results for r in runs)
    # 1,126,410 more parameters: weights, gradients and Adam's two moments are 16 bytes each
    floor_mb = 16 * (big["parameters"] - tiny["parameters"]) / 2**20 * 0.6
    assert big["training_memory_mb"] >= tiny["training_memory_mb"] + floor_mb
    assert big["training_memory_mb"] != tiny["training_memory_mb"]
    assert tiny["memory_before_training_mb"] > 200                 # TensorFlow and the data: not counted
    assert big["run_peak_memory_mb"] == pytest.approx(big["memory_before_training_mb"] + big["training_memory_mb"])


class Ticker(keras.callbacks.Callback):
    """Moves a fake clock as if every training step took `step` seconds, every validation step
    `validation_step`, and each epoch's end `overhead` more; the fit's first training and first
    validation step also `compile`. It is listed before the studio's callback and is not async-safe,
    so Keras calls the two in that order on one thread: the studio reads the clock just after it moved."""

    def __init__(self, step=0.05, validation_step=0.02, overhead=0.3, compile=4.0):
        super().__init__()
        self.now, self.step, self.validation_step, self.overhead, self.compile = 0.0, step, validation_step, overhead, compile
        self.first_step = self.first_validation = True

    def clock(self) -> float:
        return self.now

    def on_train_batch_end(self, batch, logs=None):
        self.now += self.step + (self.compile if self.first_step else 0.0)
        self.first_step = False

    def on_test_batch_end(self, batch, logs=None):
        self.now += self.validation_step + (self.compile if self.first_validation else 0.0)
        self.first_validation = False

    def on_epoch_end(self, epoch, logs=None):
        self.now += self.overhead


class ProgressLog:
    """The two calls the studio's callback makes on its run store; keeps every progress written."""

    def __init__(self):
        self.progress = []

    def log_metrics(self, *args, **kwargs):
        pass

    def set_progress(self, run_id, progress):
        self.progress.append(dict(progress))


def test_time_left_on_epochs_of_known_length_is_the_real_remaining_time(tmp_path):
    """A real Keras fit whose clock is injected: 12 epochs of 8 steps (0.05 s) and 2 validation
    steps (0.02 s) plus 0.3 s, after a 4 s compile. After every epoch the estimate shown is the time
    the remaining epochs take, whatever the machine's load."""
    epochs, steps, validation_steps = 12, 8, 2
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8 * steps, 4)).astype("float32"), rng.integers(0, 2, 8 * steps)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ticker, store = Ticker(), ProgressLog()
    studio = StudioCallback(store, "run", tmp_path / "STOP", epochs, steps, clock=ticker.clock)
    model.fit(x, y, batch_size=8, epochs=epochs, validation_data=(x[:8 * validation_steps], y[:8 * validation_steps]),
              callbacks=[ticker, studio], verbose=0)

    epoch_seconds = steps * ticker.step + validation_steps * ticker.validation_step + ticker.overhead
    at_epoch_end = {p["epochs_done"]: p["eta"] for p in store.progress  # not a batch's write: epochs_done < epoch
                    if p["batch"] == steps and p["epochs_done"] == p["epoch"]}
    assert sorted(at_epoch_end) == list(range(1, epochs + 1))
    for done, shown in at_epoch_end.items():
        assert shown == pytest.approx((epochs - done) * epoch_seconds, rel=0.02, abs=1e-6), (done, shown)
    assert store.progress[-1]["elapsed"] == pytest.approx(ticker.now)


class StopAt(keras.callbacks.Callback):
    """Presses Stop (writes the run's STOP file) at the end of one given batch."""

    def __init__(self, stop_file, epoch, batch):
        super().__init__()
        self.stop_file, self.at, self.epoch = stop_file, (epoch, batch), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.stop_file.touch()


def test_stop_ends_the_fit_after_the_batch_it_was_pressed_in(tmp_path):
    """Counted in batches, so it holds on any machine: Stop in epoch 2's fourth batch, and that is
    the last batch trained (30 epochs of 8 were asked for)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 2, 64)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    stop_file = tmp_path / "STOP"
    studio = StudioCallback(ProgressLog(), "run", stop_file, 30, 8)
    history = model.fit(x, y, batch_size=8, epochs=30, callbacks=[StopAt(stop_file, 1, 3), studio], verbose=0)
    assert studio.stopped and studio.step == 8 + 4
    assert len(history.history["loss"]) == 2  # the stopped epoch still closes: its metrics are kept
