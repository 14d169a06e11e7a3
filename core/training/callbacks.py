"""The Keras callbacks of a training run: metrics and progress to the run store, checkpoints,
layer statistics, and the memory the training itself adds."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

import keras

from core.runs import RunStore
from core.training.eta import EtaEstimator, Phase


class StudioCallback(keras.callbacks.Callback):
    """Writes metrics and progress to the run store, and stops training when asked.

    Per batch it only does a stat() of the stop file (microseconds); it writes the running batch
    metrics at most every `batch_interval` seconds, so the store sees about one write a second
    whatever the batch speed. Every epoch's metrics are written in full.

    `async_safe` lets Keras run the batch hook on a helper thread, so reading the batch's loss
    (a device sync) never stalls the training loop; a stop request then lands within a batch or two.
    """

    async_safe = True

    def __init__(self, store: RunStore, run_id: str, stop_file: Path, epochs: int,
                 steps_per_epoch: int, batch_interval: float = 0.5, start_step: int = 0,
                 start_elapsed: float = 0.0, phases: list[Phase] | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        super().__init__()
        self.clock = clock  # a test passes a clock of its own: epochs of known length, on any machine
        self.store, self.run_id, self.stop_file = store, run_id, Path(stop_file)
        self.epochs, self.steps_per_epoch, self.batch_interval = epochs, steps_per_epoch, batch_interval
        # One phase per model.fit (transfer learning fine-tunes in a second, slower one).
        self.phases = phases or [Phase(epochs, steps_per_epoch)]
        self.eta = EtaEstimator(self.phases)
        self.stopped = False
        self._lock = threading.Lock()  # batch hooks may run concurrently on Keras's thread pool
        self.step = start_step  # a resumed run continues its step count and clock from its checkpoint
        self.start_elapsed = start_elapsed
        self.start = None
        self.epoch = 0

    def on_train_begin(self, logs=None):
        now = self.clock()
        self.last_write = now
        if self.start is None:  # the clock runs on through a second fit (fine-tuning)
            self.start = now - self.start_elapsed
        with self._lock:
            self.eta.train_begin(now)
        self._progress("training")

    def on_train_end(self, logs=None):
        with self._lock:
            self.eta.train_end(self.clock())

    def elapsed(self) -> float:
        return self.clock() - self.start

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        with self._lock:
            self.eta.epoch_begin(self.clock(), epoch)

    def on_train_batch_end(self, batch, logs=None):
        with self._lock:
            now = self.clock()
            self.eta.step_end(now, batch)
            self.step += 1
            if self.stop_file.exists():
                self.stopped = True
                self.model.stop_training = True  # Keras checks this after every batch
            if now - self.last_write >= self.batch_interval and logs:
                self.last_write = now
                self.store.log_metrics(self.run_id, "batch", self.epoch, self.step, now - self.start,
                                       {k: float(v) for k, v in logs.items()})
                self._progress("training", batch + 1)

    def on_test_begin(self, logs=None):  # validation inside fit (an evaluate() alone too: harmless)
        with self._lock:
            self.eta.test_begin(self.clock())

    def on_test_batch_end(self, batch, logs=None):
        with self._lock:
            self.eta.test_step_end(self.clock())

    def on_epoch_end(self, epoch, logs=None):
        with self._lock:
            self.eta.epoch_end(self.clock(), epoch)
        values = {k: float(v) for k, v in (logs or {}).items()}
        values["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.store.log_metrics(self.run_id, "epoch", epoch + 1, self.step,
                               self.clock() - self.start, values)
        self._progress("training", self._phase().steps_per_epoch, epochs_done=epoch + 1)

    def _phase(self) -> Phase:
        return self.eta.phases[self.eta.phase] if self.eta.phases else Phase(self.epochs, self.steps_per_epoch)

    def _progress(self, state: str, batch: int = 0, epochs_done: int | None = None):
        """`eta`: seconds left from measured step and epoch times (None while the first steps are
        still compiling); `eta_complete` False: a later stage (fine-tuning) is not in it yet."""
        now = self.clock()
        eta, complete = self.eta.remaining(now)
        self.store.set_progress(self.run_id, {
            "state": state, "epoch": self.epoch + 1, "epochs": self.epochs,
            "batch": batch, "steps_per_epoch": self._phase().steps_per_epoch, "step": self.step,
            "total_steps": sum(p.epochs * p.steps_per_epoch for p in self.phases),
            "elapsed": now - self.start, "eta": eta, "eta_complete": complete,
            "epochs_done": self.epoch if epochs_done is None else epochs_done})


def resident_memory_bytes() -> int:
    """This process's resident memory now (RSS): /proc on Linux, psutil elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _page_size()
    except (OSError, ValueError, IndexError):
        import psutil
        return psutil.Process().memory_info().rss


def _page_size() -> int:
    import os
    return os.sysconf("SC_PAGE_SIZE")


class TrainingMemory(keras.callbacks.Callback):
    """The memory a run's training itself adds, apart from what the process held before.

    The runner process's own high-water mark (ru_maxrss) is the same for every small model: it is
    TensorFlow, the dataset and its preparation, reached before the first step. So this records the
    resident memory when it is created (just before the model is built: TensorFlow loaded, data
    prepared) and samples it on a thread every `interval` seconds while a fit runs; the thread stops
    when the fit ends. `rise_bytes` is then what the model, its optimizer state, gradients,
    activations and the input pipeline added on top.
    """

    def __init__(self, interval: float = 0.02):
        super().__init__()
        self.interval = interval
        self.baseline_bytes = resident_memory_bytes()
        self.peak_bytes = self.baseline_bytes
        self.samples = 0
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def rise_bytes(self) -> int:
        return max(0, self.peak_bytes - self.baseline_bytes)

    @property
    def sampling(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def on_train_begin(self, logs=None):
        self.start()

    def on_train_end(self, logs=None):
        self.stop()

    def start(self) -> None:
        if self.sampling:
            return
        self._halt.clear()
        self._thread = threading.Thread(target=self._sample_until_halted, name="training-memory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (idempotent); one last sample so a short fit is measured too."""
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._sample()

    def _sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, resident_memory_bytes())
        self.samples += 1

    def _sample_until_halted(self) -> None:
        while True:
            self._sample()
            if self._halt.wait(self.interval):
                return

    def results(self) -> dict:
        """For the run's results (MB, as the page reads them)."""
        mb = 2 ** 20
        return {"memory_before_training_mb": self.baseline_bytes / mb,
                "training_memory_mb": self.rise_bytes / mb, "run_peak_memory_mb": self.peak_bytes / mb}


class Checkpoint(keras.callbacks.Callback):
    """Saves the whole model (with its optimizer state) after an epoch, at most every
    `min_interval` seconds, and when training ends (finished or stopped).

    A .keras save takes 0.1-0.3 s; after every epoch of a fast run that is several percent of the
    training time (measured: runner/bare throughput 0.91 with a save per 2 s epoch). Throttled, a
    crash loses at most `min_interval` seconds of training. Next to it, `checkpoint.json` records
    the epochs, steps and seconds it holds (from `studio`, the run's StudioCallback), to resume from.
    """

    def __init__(self, path: Path, min_interval: float = 10.0, studio: StudioCallback | None = None):
        super().__init__()
        self.path, self.min_interval, self.studio = Path(path), min_interval, studio
        self.last_save, self.unsaved, self.epochs_done = 0.0, False, 0

    def on_train_begin(self, logs=None):
        self.last_save, self.unsaved = time.perf_counter(), False

    def on_epoch_end(self, epoch, logs=None):
        self.unsaved, self.epochs_done = True, epoch + 1
        if time.perf_counter() - self.last_save >= self.min_interval:
            self._save()

    def on_train_end(self, logs=None):
        if self.unsaved:
            self._save()

    def _save(self):
        from core.training.checkpoints import CheckpointState, save_checkpoint
        step = self.studio.step if self.studio else int(self.model.optimizer.iterations)
        elapsed = self.studio.elapsed() if self.studio else 0.0
        save_checkpoint(self.model, self.path, CheckpointState(self.epochs_done, step, elapsed))
        self.last_save, self.unsaved = time.perf_counter(), False


class LayerStats(keras.callbacks.Callback):
    """Per epoch, for every layer with a kernel: a histogram of its weights and the norm of its
    gradient on a fixed probe batch. One JSON line per epoch in `path` (the anatomy page reads it).

    The probe batch is the same few training examples every epoch, so the numbers compare across
    epochs; one extra forward and backward pass per epoch costs milliseconds.
    """

    def __init__(self, path: Path, x_probe, y_probe, loss, bins: int = 30):
        super().__init__()
        self.path, self.x_probe, self.y_probe, self.loss, self.bins = Path(path), x_probe, y_probe, loss, bins

    def on_epoch_end(self, epoch, logs=None):
        import json

        import numpy as np
        import tensorflow as tf
        layers = [layer for layer in self.model.layers if getattr(layer, "kernel", None) is not None
                  and layer.trainable]
        with tf.GradientTape() as tape:
            loss = self.loss(self.y_probe, self.model(self.x_probe, training=False))
        grads = tape.gradient(loss, [layer.kernel for layer in layers])
        record = {"epoch": epoch + 1, "layers": []}
        for layer, grad in zip(layers, grads):
            weights = np.asarray(layer.kernel).ravel()
            counts, edges = np.histogram(weights, bins=self.bins)
            record["layers"].append({"name": layer.name, "counts": counts.tolist(), "edges": edges.tolist(),
                                     "grad_norm": float(tf.norm(grad)) if grad is not None else None})
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def keep_layer_stats(path: Path, epochs: int) -> None:
    """Drop the records of epochs after `epochs` (a resumed run computes them again)."""
    import json
    kept = [record for record in read_layer_stats(path) if record["epoch"] <= epochs]
    if Path(path).exists():
        Path(path).write_text("".join(json.dumps(record) + "\n" for record in kept), encoding="utf-8")


def read_layer_stats(path: Path) -> list[dict]:
    """The records LayerStats wrote (a half-written last line is skipped)."""
    import json
    records = []
    if Path(path).exists():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records
