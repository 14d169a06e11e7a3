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

Inside the process, `train` is the textbook loop, prepare → build → fit → evaluate → save; a
training strategy (core/training/strategies.py: classification, transfer learning, GAN) does each
step its way, and `Distribution` (core/training/distributed.py) decides where fit and predict run.

A full disk or an unwritable data directory ends the run as *failed* with that reason in words
(`core.storage`); a run killed mid-epoch shows as *interrupted*, and `resume` continues it from its
checkpoint (`core.training.checkpoints`) to the same number of epochs, under the same run id.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from core import novelty, paths
from core.runs import COMPLETED, FAILED, INTERRUPTED, STOPPED, RunStore
from core.storage import check_writable, describe_write_error, naming
from core.training.checkpoints import ResumeError, check_loads, read_checkpoint
from core.training.config import RunConfig
from core.training.strategies import MULTI_WORKER_NO_RESUME, TrainingRun, strategy_for

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
    (paths.run_dir(run_id) / "config.json").write_text(config.to_json(), encoding="utf-8")
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
    config = RunConfig.from_dict(run.config)
    strategy = strategy_for(config)
    resumable = resumable_statuses(config)
    if run.status not in resumable:
        named = ", ".join(resumable[:-1]) + " or " + resumable[-1]
        raise ResumeError(f"Only an {named} run can be resumed; this one is {run.status}.")
    refusal = resume_refusal(config)
    if refusal:
        raise ResumeError(refusal)
    if read_checkpoint(run.dir) is None:
        raise ResumeError(NO_CHECKPOINT)
    getattr(strategy, "check_checkpoint", check_loads)(run.dir)
    check_writable()
    if not store.requeue(run_id, os.getpid(), resumable):
        raise ResumeError("This run is already being resumed.")
    try:
        _start_runner(store, run_id, "--resume")
    except BaseException:
        store.finish(run_id, INTERRUPTED, error="Its runner process could not be started.", only_if_active=True)
        raise


def resumable_statuses(config: RunConfig) -> tuple:
    """The statuses runs like this one resume from: interrupted or failed; a fine-tune stopped too."""
    return getattr(strategy_for(config), "resumable", (INTERRUPTED, FAILED))


def resume_refusal(config: RunConfig) -> str | None:
    """Why runs like this one cannot be resumed (None: they can)."""
    refusal = strategy_for(config).resume_refusal  # a GAN, transfer learning
    if not refusal and config.distribution == "multi_worker":
        return MULTI_WORKER_NO_RESUME
    return refusal


def _start_runner(store: RunStore, run_id: str, *args: str) -> None:
    run_dir = paths.run_dir(run_id)
    # TensorFlow's log level: the app's, else core/train.py's own default (core/tf_logging.py).
    env = {**os.environ, paths.DATA_DIR_ENV: str(paths.data_dir()), "PYTHONUNBUFFERED": "1"}
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
        (paths.run_dir(run_id) / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        pass
    try:
        try:
            store.finish(run_id, FAILED, error=error)
        except sqlite3.OperationalError:
            # A full store may have no room for the longer row; without its live progress (about
            # 300 bytes, more than the reason adds) the row shrinks and fits where it is.
            store.finish(run_id, FAILED, error=error, drop_progress=True)
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

    The textbook loop; how each step is done depends on the kind of run (core/training/strategies.py:
    a classifier, transfer learning, a GAN), where it runs on `run.distribution` (distributed.py).
    In a multi-worker cluster every worker calls this; only the chief (rank 0) has a run id and a
    store and writes anything. The others train in lockstep and return "completed" or "stopped".
    `resume`: go on from the run's checkpoint (see `resume`) instead of from freshly drawn weights.
    """
    from core.training.callbacks import TrainingMemory
    strategy = strategy_for(config)
    run = start_run(strategy, config, run_id, store, on_progress, resume)
    data = strategy.prepare(run)                    # 1. the examples, split and encoded
    run.memory = TrainingMemory()                   # from here: what the model and its training add
    try:
        model = strategy.build(run, data)           # 2. the network, its loss and its optimizer
        fitted = strategy.fit(run, model, data)     # 3. minimise the loss (until the end or Stop)
    finally:
        run.memory.stop()  # Keras skips on_train_end when fit raises: the sampler must not outlive it
    if not run.writes:                              # a cluster worker: the chief writes the run
        return STOPPED if fitted.stopped else COMPLETED
    results = strategy.evaluate(run, data, fitted)  # 4. score it on examples it never saw
    return save(run, strategy, data, fitted, results)  # 5. the model, its files, results, status


def start_run(strategy, config: RunConfig, run_id: str | None, store: RunStore | None, on_progress,
              resume: bool) -> TrainingRun:
    """Refuse what cannot run here, start the distribution (before any other TensorFlow op) and
    make the run's folder."""
    refusal = resume and resume_refusal(config)
    if refusal:
        raise ResumeError(refusal)
    distribution = strategy.distribution()
    if resume and distribution.across_workers:  # 'auto' found a cluster
        raise ResumeError(MULTI_WORKER_NO_RESUME)
    strategy.check(distribution)
    run = TrainingRun(config, run_id, store, distribution, resume, on_progress, checkpoint_seconds())
    if run.writes:
        run.dir.mkdir(parents=True, exist_ok=True)
        run.progress("loading data", keep=False, distribution=distribution.describe())
    return run


def save(run: TrainingRun, strategy, data, fitted, results: dict) -> str:
    """Write the model and the files inference needs, then the results and the final status."""
    model_file = strategy.save_model(run, fitted) if hasattr(strategy, "save_model") else run.dir / "model.keras"
    if not hasattr(strategy, "save_model"):
        _save_atomically(fitted.model, model_file)
    for name, text in strategy.files(data, fitted).items():
        (run.dir / name).write_text(text, encoding="utf-8")
    check = strategy.novelty(run, data, fitted)
    if check is not None:
        check.save(run.dir / novelty.FILE)
    results.update(
        model_file_bytes=model_file.stat().st_size,
        peak_memory_mb=_peak_memory_mb(),
        **run.memory.results(),  # this run's own peak and what its training added (the above: the process's)
    )
    run.store.set_results(run.id, results)
    status = STOPPED if fitted.stopped else COMPLETED
    run.progress(status)
    run.store.finish(run.id, status)
    return status


def _peak_memory_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
