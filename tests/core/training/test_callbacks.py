"""The run's callbacks on real training: the memory its training adds, and the time-left estimate."""
import os
import threading
import time

import keras
import numpy as np
import pytest

from core.runs import RunStore
from core.training import RunConfig, launch
from core.training.callbacks import TrainingMemory, resident_memory_bytes
from core.training.runner import train


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


def test_time_left_after_a_few_epochs_is_close_to_the_real_remaining_time():
    config = RunConfig(dataset="digits", architecture="mlp", arch_params={"hidden_layers": 2, "units": 256},
                       epochs=12, batch_size=8, name="eta").validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    seen = []  # (when, the estimate the progress showed then), at each epoch end

    def on_epoch(epoch, logs):
        seen.append((time.perf_counter(), store.get_run(run_id).progress.get("eta")))

    assert train(config, run_id, store, on_progress=on_epoch) == "completed"
    end = seen[-1][0]
    # After 3, 4 and 5 of 12 epochs. The median error, as this machine is shared: one epoch in a few
    # may take twice as long as its neighbours for reasons no estimate can know.
    errors = sorted(abs(eta - (end - when)) / (end - when) for when, eta in seen[2:5] if eta is not None)
    assert len(errors) == 3 and errors[1] <= 0.3, [(eta, end - when) for when, eta in seen]
    assert seen[-1][1] == pytest.approx(0.0, abs=0.5)
