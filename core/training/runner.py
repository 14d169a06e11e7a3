"""The runner: trains one run in its own OS process and reports through the run store.

    run_id = launch(RunConfig(dataset="digits", architecture="cnn"))   # returns at once
    stop(run_id)                                                        # stops within one batch
    resume(run_id)       # an interrupted (or failed) run goes on from its last checkpoint

`launch` validates the config, records the run as *queued* and starts `python -m core.train
--run-id ID`. That process waits for a free slot (at most MODEL_STUDIO_MAX_RUNS runs train at
once, default 1), trains, and writes metrics, a checkpoint (at most every
MODEL_STUDIO_CHECKPOINT_SECONDS, default 10 s), TensorBoard logs and at the end `model.keras`
with `labels.json` and `preprocessing.json`. The page only reads the
store, so a refresh or a restart of the app loses nothing, and a crash here cannot take it down.

A full disk or an unwritable data directory ends the run as *failed* with that reason in words
(`core.storage`); a run killed mid-epoch shows as *interrupted*, and `resume` continues it from its
checkpoint (`core.training.checkpoints`) to the same number of epochs, under the same run id.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from core import paths
from core.runs import COMPLETED, FAILED, INTERRUPTED, STOPPED, RunStore
from core.storage import check_writable, describe_write_error, naming
from core.training.checkpoints import ResumeError, check_loads, read_checkpoint
from core.training.config import RunConfig

MAX_RUNS_ENV = "MODEL_STUDIO_MAX_RUNS"
CHECKPOINT_SECONDS_ENV = "MODEL_STUDIO_CHECKPOINT_SECONDS"  # a crash loses at most this much training
QUEUE_POLL_SECONDS = 0.5


def max_concurrent_runs() -> int:
    return max(1, int(os.environ.get(MAX_RUNS_ENV, "1")))


def checkpoint_seconds() -> float:
    return max(0.0, float(os.environ.get(CHECKPOINT_SECONDS_ENV, "10")))


def launch(config: RunConfig) -> str:
    """Validate, record and start a run in a new process; returns its id without waiting."""
    check_writable()  # refuse now, in words, rather than fail in the runner
    config = config.validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    (paths.run_dir(run_id) / "config.json").write_text(config.to_json())
    _start_runner(store, run_id)
    return run_id


NO_CHECKPOINT = ("This run stopped before its first checkpoint was saved; it cannot be resumed. "
                 "Launch it again from its settings.")


def resume(run_id: str) -> None:
    """Queue an interrupted or failed run again and start its runner, which goes on from the run's
    last checkpoint to the configured number of epochs. Raises ResumeError (saying what to do) when
    it cannot: no usable checkpoint, a kind of run that cannot resume, a run not interrupted/failed.
    """
    store = RunStore()
    run = store.get_run(run_id)
    if run is None:
        raise ResumeError("That run no longer exists (it was deleted).")
    if run.status not in (INTERRUPTED, FAILED):
        raise ResumeError(f"Only an interrupted or failed run can be resumed; this one is {run.status}.")
    refusal = resume_refusal(RunConfig.from_dict(run.config))
    if refusal:
        raise ResumeError(refusal)
    if read_checkpoint(run.dir) is None:
        raise ResumeError(NO_CHECKPOINT)
    check_loads(run.dir)
    check_writable()
    if not store.requeue(run_id, os.getpid()):
        raise ResumeError("This run is already being resumed.")
    try:
        _start_runner(store, run_id, "--resume")
    except BaseException:
        store.finish(run_id, INTERRUPTED, error="Its runner process could not be started.", only_if_active=True)
        raise


def resume_refusal(config: RunConfig) -> str | None:
    """Why runs like this one cannot be resumed (None: they can)."""
    from core.models import ARCHITECTURES
    architecture = ARCHITECTURES.get(config.architecture)
    if config.task == "gan":
        return "A GAN run keeps no checkpoint of its two networks, so it cannot be resumed; launch it again."
    if architecture and (architecture.featurizer or architecture.fine_tune):
        return (f"{architecture.title} (transfer learning) cannot be resumed: its two stages would start "
                "over. Launch it again from its settings.")
    if config.distribution == "multi_worker":
        return "A run trained across several machines cannot be resumed; start it again on the cluster."
    return None


def _start_runner(store: RunStore, run_id: str, *args: str) -> None:
    run_dir = paths.run_dir(run_id)
    env = {**os.environ, paths.DATA_DIR_ENV: str(paths.data_dir()), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONUNBUFFERED": "1"}
    with open(run_dir / "runner.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.train", "--run-id", run_id, *args], cwd=paths.PROJECT_ROOT,
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own session: a Ctrl-C in (or the end of) the app won't kill it
    store.set_process(run_id, process.pid)
    threading.Thread(target=process.wait, daemon=True).start()  # reap it: no zombie left behind


def stop(run_id: str) -> None:
    """Ask a run to stop; a training run halts after its current batch, a queued one at once."""
    RunStore().request_stop(run_id)


def execute(run_id: str, on_progress=None, resume: bool = False) -> str:
    """Body of the runner process: wait for a slot, train, record the outcome. Returns the status."""
    store = RunStore()
    run = store.get_run(run_id)
    if run is None:
        raise SystemExit(f"No run with id {run_id} in {store.path}")
    store.set_process(run_id, os.getpid())
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if not _wait_for_slot(store, run_id):
            store.finish(run_id, STOPPED, only_if_active=True)
            return STOPPED
        status = train(RunConfig.from_dict(run.config), run_id, store, on_progress, resume=resume)
    except KeyboardInterrupt:
        store.finish(run_id, INTERRUPTED, error="The training process was interrupted by a signal.")
        return INTERRUPTED
    except Exception as err:  # noqa: BLE001 - any training error must land in the store, not vanish
        _record_failure(store, run_id, err)
        return FAILED
    return status


def _record_failure(store: RunStore, run_id: str, err: Exception) -> None:
    """Mark the run failed with a reason a user can act on (a full disk may refuse even that)."""
    error = describe_write_error(err) or (str(err) if isinstance(err, ResumeError)
                                          else f"{type(err).__name__}: {err}")
    try:  # the disk may be full or read-only: each of these may fail on its own
        print(f"run {run_id} failed: {error}\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        (paths.run_dir(run_id) / "error.txt").write_text(traceback.format_exc())
    except OSError:
        pass
    try:
        store.finish(run_id, FAILED, error=error)
    except Exception as store_err:  # noqa: BLE001 - the store is full too: readers will see it interrupted
        try:
            print(f"run {run_id}: the run store could not record the failure either: {store_err}",
                  file=sys.stderr, flush=True)
        except OSError:
            pass


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _wait_for_slot(store: RunStore, run_id: str) -> bool:
    """Block until this run may train (True) or it was stopped while queued (False)."""
    while not store.claim_slot(run_id, max_concurrent_runs()):
        if store.stop_requested(run_id):
            return False
        store.set_progress(run_id, {"state": "queued: waiting for the running run to finish"})
        time.sleep(QUEUE_POLL_SECONDS)
    return True


def train(config: RunConfig, run_id: str | None, store: RunStore | None, on_progress=None,
          resume: bool = False) -> str:
    """Train `config` in this process, writing everything for `run_id`. Returns the final status.

    In a multi-worker cluster every worker calls this; only the chief (rank 0) has a run id and a
    store and writes anything. The others train in lockstep and return "completed" or "stopped".
    `resume`: go on from the run's checkpoint (see `resume`) instead of from freshly drawn weights.
    """
    if resume and resume_refusal(config):
        raise ResumeError(resume_refusal(config))
    if config.task == "gan":  # its own loop: two networks, no labels, no test set
        from core.training.gan import train_gan
        return train_gan(config, run_id, store)
    from core.training.distributed import float32_output, start_distribution
    setup = start_distribution(config.distribution, config.mixed_precision)  # before any other TF op

    import keras
    import numpy as np

    from core.data import load_dataset
    from core.models import ARCHITECTURES, build_model
    from core.optim import OPTIMIZERS, build_optimizer
    from core.training.callbacks import Checkpoint, LayerStats, StudioCallback, TrainingMemory, keep_layer_stats
    from core.training.eta import Phase
    from core.training.checkpoints import CheckpointState, restore
    from core.training.distributed import DistributionError, fit_across_workers, weights_fingerprint
    from core.training.evaluate import classification_report
    from core.training.prepare import prepare
    from core.training.stream import fit_data, predict, validation_data

    chief = setup.is_chief and store is not None
    run_dir = paths.run_dir(run_id) if chief else None
    if chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        store.set_progress(run_id, {"state": "loading data", "distribution": setup.describe()})
    keras.utils.set_random_seed(config.seed)
    data = raw = prepare(load_dataset(config.dataset, config.dataset_params), config)
    architecture = ARCHITECTURES[config.architecture]
    across_workers = setup.kind == "multi_worker"
    if resume and across_workers:
        raise ResumeError("A run trained across several machines cannot be resumed; start it again on the cluster.")
    if across_workers and (architecture.featurizer or architecture.fine_tune):
        raise DistributionError(f"{architecture.title} (transfer learning) trains on one machine; "
                                "run it without TF_CONFIG or with distribution 'single'.")
    fine_tune_epochs = architecture.fine_tune_epochs(config) if architecture.fine_tune else 0
    if architecture.featurizer:  # transfer learning: features once, then train a small head
        data = architecture.featurizer(data, config, lambda done, total: store.set_progress(
            run_id, {"state": f"computing image features ({done}/{total})"}))

    n_train = len(data.x_train)
    batch_size = n_train if OPTIMIZERS[config.optimizer].full_batch else min(config.batch_size, n_train)
    steps_per_epoch = n_train // batch_size if across_workers else math.ceil(n_train / batch_size)
    loss, accuracy, encode = _loss_and_metric(config.loss, data.spec.num_classes)
    memory = TrainingMemory()  # before the model exists: what training adds is measured from here
    with setup.strategy.scope():  # variables made here are mirrored on every replica
        model = build_model(config.architecture, data.spec, config.arch_params)
        if setup.mixed_precision:
            model = float32_output(model)
        optimizer = build_optimizer(config.optimizer, config.learning_rate, config.optimizer_params,
                                    config.schedule, steps_per_epoch, config.epochs)
        model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
        start = restore(model, run_dir) if resume else CheckpointState(epoch=0, step=0, elapsed=0.0)
    if resume:  # what was written after the checkpoint is computed again: no duplicates in the curves
        store.drop_metrics_after(run_id, start.epoch, start.step)
        keep_layer_stats(run_dir / "layer_stats.jsonl", start.epoch)
        store.set_progress(run_id, {**_last_progress(store, run_id), "state": f"resuming after epoch {start.epoch}"})

    callbacks = []
    if chief:
        phases = [Phase(config.epochs, steps_per_epoch)] + (  # fine-tuning: fewer examples, slower steps
            [Phase(fine_tune_epochs, math.ceil(len(raw.x_train) / batch_size))] if fine_tune_epochs else [])
        studio = StudioCallback(store, run_id, run_dir / "STOP", config.epochs + fine_tune_epochs, steps_per_epoch,
                                start_step=start.step, start_elapsed=start.elapsed, phases=phases)
        probe = slice(0, min(128, n_train))  # the same examples every epoch, for comparable statistics
        callbacks = [studio, memory, Checkpoint(run_dir / "checkpoint.keras", checkpoint_seconds(), studio)]
        if not across_workers:  # its probe gradient is a plain eager pass, outside the strategy
            callbacks.append(LayerStats(run_dir / "layer_stats.jsonl", data.x_train[probe],
                                        encode(data.y_train[probe]), loss))
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), write_graph=False,
                                                     profile_batch=0))
    validation = (data.x_val, encode(data.y_val)) if data.x_val is not None and len(data.x_val) else None

    started = time.perf_counter()
    if across_workers:
        outcome = fit_across_workers(setup, model, config.loss, data.x_train, encode(data.y_train),
                                     *(validation or (None, None)), batch_size, config.epochs, config.seed,
                                     callbacks, on_progress)
        if not chief:
            print(f"worker {setup.cluster.index} of {setup.cluster.workers}: {outcome['steps']} steps, "
                  f"final loss {outcome['history'][-1]['loss']:.4f}, weights {weights_fingerprint(model)}",
                  flush=True)
            return STOPPED if outcome["stopped"] else COMPLETED
    else:
        if on_progress:
            callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: on_progress(e, logs)))
        model.fit(**fit_data(data.x_train, encode(data.y_train), batch_size, config.seed), epochs=config.epochs,
                  initial_epoch=start.epoch, validation_data=validation_data(validation, batch_size),
                  callbacks=callbacks, verbose=0)
        if not chief:
            return COMPLETED
    evaluated, saved, x_test = model, model, data.x_test
    if architecture.assemble:  # transfer learning: save backbone + head as one model
        saved = architecture.assemble(model)
        if fine_tune_epochs and not studio.stopped:
            # Second stage: unfreeze the backbone's last blocks and train them on the images themselves.
            store.set_progress(run_id, {**_last_progress(store, run_id), "state": "fine-tuning the last blocks"})
            saved, (x_train, x_val, x_test) = architecture.fine_tune(saved, raw, config)
            validation = (x_val, encode(raw.y_val)) if x_val is not None and len(x_val) else None
            saved.fit(**fit_data(x_train, encode(raw.y_train), batch_size, config.seed),
                      epochs=config.epochs + fine_tune_epochs, initial_epoch=config.epochs,
                      validation_data=validation_data(validation, batch_size),
                      # the layer statistics' probe batch holds features, not the images fed now
                      callbacks=[c for c in callbacks if not isinstance(c, LayerStats)],
                      verbose=0)
            evaluated = saved
    fit_seconds = start.elapsed + time.perf_counter() - started  # a resumed run: both sessions

    store.set_progress(run_id, {**_last_progress(store, run_id), "state": "evaluating on the test set"})
    _save_atomically(saved, run_dir / "model.keras")
    (run_dir / "labels.json").write_text(json.dumps(data.class_names))
    (run_dir / "preprocessing.json").write_text(json.dumps(data.preprocessing))
    if across_workers:  # predict() is fit()'s sibling and fails under the multi-worker strategy too
        probabilities = np.concatenate([np.asarray(evaluated(x_test[i:i + 512], training=False))
                                        for i in range(0, len(x_test), 512)])
    else:
        probabilities = predict(evaluated, x_test)  # a batch at a time
    results = classification_report(data.y_test, probabilities, data.class_names)
    results.update(
        test_loss=float(loss(encode(data.y_test), probabilities)),
        parameters=int(sum(np.prod(w.shape) for w in evaluated.trainable_weights)),  # the ones trained
        fit_seconds=fit_seconds,
        samples_per_second=studio.step * batch_size / fit_seconds if fit_seconds else None,
        epochs_completed=len(store.metrics(run_id, "epoch").epoch.unique()),
        steps_completed=studio.step,
        train_examples=n_train,
        batch_size=batch_size,
        model_file_bytes=(run_dir / "model.keras").stat().st_size,
        peak_memory_mb=_peak_memory_mb(),
        **memory.results(),  # this run's own peak and what its training added (the above: the process's)
        distribution=setup.describe(),
        weights_fingerprint=weights_fingerprint(saved),
    )
    store.set_results(run_id, results)
    status = STOPPED if studio.stopped else COMPLETED
    store.set_progress(run_id, {**_last_progress(store, run_id), "state": status})
    store.finish(run_id, status)
    return status


def _peak_memory_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _loss_and_metric(loss_name: str, num_classes: int):
    """The loss, an accuracy metric named 'accuracy', and how to encode integer labels for them."""
    import keras
    import numpy as np
    if loss_name == "mse":  # MSE compares the softmax to a one-hot target
        return (keras.losses.MeanSquaredError(), keras.metrics.CategoricalAccuracy(name="accuracy"),
                lambda y: None if y is None else np.eye(num_classes, dtype="float32")[y])
    return (keras.losses.SparseCategoricalCrossentropy(),
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"), lambda y: y)


def _last_progress(store: RunStore, run_id: str) -> dict:
    run = store.get_run(run_id)
    return dict(run.progress) if run else {}


def _save_atomically(model, path: Path) -> None:
    tmp = path.with_name(path.stem + ".tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        try:
            tmp.unlink(missing_ok=True)  # a full disk: give back the space of the partial file
        except OSError:
            pass
        if isinstance(err, OSError):
            raise naming(err, path)
        raise
