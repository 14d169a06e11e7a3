"""Faults lose nothing: a killed runner resumes from its checkpoint, a full disk or an unwritable
data directory fails the run in words, a damaged checkpoint is refused in words."""
import errno
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import keras
import pandas as pd
import psutil
import pytest

from core import paths
from core.runs import RunStore, process_alive
from core.storage import DataDirError, describe_write_error
from core.training import RunConfig, launch
from core.training.callbacks import Checkpoint, read_layer_stats
from core.training.checkpoints import CHECKPOINT, SIDECAR, ResumeError, read_checkpoint
from core.training.runner import CHECKPOINT_SECONDS_ENV, execute, resume

DAMAGED = "The checkpoint of this run is damaged ("
LAUNCH_AGAIN = "; it cannot be resumed. Launch it again from its settings."


@pytest.fixture(autouse=True)
def keep_sigterm():
    """`execute` (run in this process by some tests) installs the runner's SIGTERM handler."""
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


ROOT = Path(__file__).resolve().parents[3]


def wait_until(predicate, timeout=120, what="condition", every=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def wait_for_end(store, run_id, timeout=120):
    return wait_until(lambda: (r := store.get_run(run_id)) and not r.is_active and r, timeout,
                      f"run {run_id} to end", every=0.2)


def recorded_run(**config) -> tuple[str, RunStore]:
    config = RunConfig(**config).validated()
    store = RunStore()
    return store.create_run(config.to_dict(), config.name), store


def interrupted_run(monkeypatch, epochs=4, interrupted_after=2) -> str:
    """A digits MLP run whose runner got SIGTERM right after saving its checkpoint of epoch
    `interrupted_after` (trained here, in this process, as the runner process would)."""
    monkeypatch.setenv(CHECKPOINT_SECONDS_ENV, "0")  # a checkpoint after every epoch
    run_id, _ = recorded_run(dataset="digits", architecture="mlp", epochs=epochs)
    save = Checkpoint._save

    def save_then_signal(self):
        save(self)
        if self.epochs_done == interrupted_after:
            raise KeyboardInterrupt  # what the runner's SIGTERM handler raises
    monkeypatch.setattr(Checkpoint, "_save", save_then_signal)
    try:
        assert execute(run_id) == "interrupted"
    finally:
        monkeypatch.setattr(Checkpoint, "_save", save)
    return run_id


def epoch_table(store, run_id) -> pd.DataFrame:
    """Epoch metrics, one row per epoch, one column per metric."""
    return store.metrics(run_id, "epoch").pivot(index="epoch", columns="name", values="value")


# -- a runner killed mid-epoch, then resumed ------------------------------------------------------

def test_a_runner_killed_mid_epoch_keeps_its_metrics_and_resumes_from_its_checkpoint(monkeypatch):
    monkeypatch.setenv(CHECKPOINT_SECONDS_ENV, "1")
    epochs = 12
    run_id = launch(RunConfig(dataset="digits", architecture="mlp", epochs=epochs, batch_size=16))
    store = RunStore()
    run_dir = paths.run_dir(run_id)

    def mid_epoch_after_a_checkpoint():
        """The last row is a batch of an epoch that started after one the checkpoint does not hold."""
        state = json.loads((run_dir / SIDECAR).read_text(encoding="utf-8")) if (run_dir / SIDECAR).exists() else None
        rows = store.metrics(run_id)
        if not state or rows.empty or rows.kind.iloc[-1] != "batch":
            return None
        done = rows[rows.kind == "epoch"].epoch.max()
        return done > state["epoch"] and rows.epoch.iloc[-1] == done  # 0-based: the epoch after `done`

    for _ in range(50):
        wait_until(mid_epoch_after_a_checkpoint, what="a batch after an epoch past the checkpoint")
        running = store.get_run(run_id)
        # Frozen, then checked again: a checkpoint saved between the check and the kill would make
        # the checkpoint catch up with the metrics, on a slow machine more likely than on a fast one.
        os.kill(running.pid, signal.SIGSTOP)
        if mid_epoch_after_a_checkpoint():
            break
        os.kill(running.pid, signal.SIGCONT)
    assert running.status == "running"
    before = store.metrics(run_id)
    killed_at = time.time()
    os.kill(running.pid, signal.SIGKILL)
    wait_until(lambda: not process_alive(running.pid, None), 10, "the runner to die")

    run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended unexpectedly" in run.error and not run.results
    after = store.metrics(run_id)
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)  # every row written before the kill
    checkpoint = read_checkpoint(run_dir)
    written = after[after.kind == "epoch"].epoch.max()
    assert 1 <= checkpoint.epoch < written < epochs  # the metrics are ahead of the checkpoint
    print(f"killed: {len(before)} rows before, {len(after)} after; checkpoint holds {checkpoint.epoch} "
          f"epochs ({checkpoint.step} steps, {checkpoint.elapsed:.1f} s), metrics reached epoch {written}")

    resume(run_id)
    assert store.get_run(run_id).status in ("queued", "running")
    wait_until(lambda: store.metrics(run_id, "epoch").epoch.max() > written, what="the resumed run to pass the kill")
    down_and_back = time.time() - killed_at  # the new process's start, TensorFlow's import, and its epochs
    run = wait_for_end(store, run_id)
    assert run.status == "completed", (run.error, (run_dir / "runner.log").read_text(encoding="utf-8")[-3000:])
    assert run.error is None and run.ended_at >= run.started_at

    # Every epoch exactly once, the steps and the clock continuing across the kill.
    table = epoch_table(store, run_id)
    rows = store.metrics(run_id, "epoch")
    assert list(table.index) == list(range(1, epochs + 1))
    assert rows.groupby(["epoch", "name"]).size().max() == 1
    steps_per_epoch = run.results["steps_completed"] // epochs
    assert run.results["epochs_completed"] == epochs and run.results["steps_completed"] == epochs * steps_per_epoch
    steps = rows[rows.name == "loss"].set_index("epoch").step
    assert steps.tolist() == [e * steps_per_epoch for e in range(1, epochs + 1)]
    times = rows[rows.name == "loss"].set_index("epoch").time
    assert times.is_monotonic_increasing
    # The clock goes on from the checkpoint's: the resumed epoch took less than the whole time from the
    # kill until the run was past it, which also holds the new process's start (a clock that counted
    # the downtime would be at least that much further on, however loaded the machine).
    assert times[checkpoint.epoch + 1] - checkpoint.elapsed < down_and_back
    batches = store.metrics(run_id, "batch")
    assert batches.groupby("name").step.apply(lambda s: s.is_monotonic_increasing and s.is_unique).all()

    # The loss goes on from where the checkpoint was, not from an untrained network.
    loss = table["loss"]
    resumed = checkpoint.epoch + 1
    print(f"loss: epoch 1 {loss[1]:.3f}, epoch {checkpoint.epoch} {loss[checkpoint.epoch]:.3f}, "
          f"epoch {resumed} (first after resuming) {loss[resumed]:.3f}, epoch {epochs} {loss[epochs]:.3f}; "
          f"{run.results['fit_seconds']:.1f} s of training in all")
    assert loss[resumed] < 0.5 * loss[1] and loss[resumed] < 1.25 * loss[checkpoint.epoch]
    assert loss[epochs] < loss[checkpoint.epoch]
    assert run.results["test_accuracy"] > 0.8
    assert [r["epoch"] for r in read_layer_stats(run_dir / "layer_stats.jsonl")] == list(range(1, epochs + 1))
    keras.models.load_model(run.model_path, safe_mode=True)
    assert read_checkpoint(run_dir).epoch == epochs


def test_the_resumed_runner_keeps_the_earlier_epochs_and_the_optimizer_state(monkeypatch):
    run_id = interrupted_run(monkeypatch, epochs=4, interrupted_after=2)
    store = RunStore()
    run = store.get_run(run_id)
    assert run.status == "interrupted" and run.error == "The training process was interrupted by a signal."
    assert read_checkpoint(run.dir).epoch == 2 and sorted(set(store.metrics(run_id, "epoch").epoch)) == [1, 2]
    losses_before = epoch_table(store, run_id)["loss"]

    assert store.requeue(run_id, os.getpid())  # what resume() does before it starts the runner process
    assert execute(run_id, resume=True) == "completed"
    run = store.get_run(run_id)
    table = epoch_table(store, run_id)
    assert list(table.index) == [1, 2, 3, 4] and run.results["epochs_completed"] == 4
    pd.testing.assert_series_equal(table["loss"].loc[[1, 2]], losses_before)  # kept as they were
    assert table["loss"][3] < table["loss"][2] < table["loss"][1]  # Adam's state came back too


# -- damaged checkpoints and runs that cannot resume -----------------------------------------------

@pytest.mark.parametrize("damage, reason", [
    ("truncate", "checkpoint.keras is truncated: "),
    ("flip", "checkpoint.keras does not match what was saved"),
    ("drop model", "checkpoint.keras is missing"),
    ("drop sidecar", "checkpoint.json is missing"),
    ("garble sidecar", "checkpoint.json cannot be read"),
    ("not a model", "Keras cannot load it"),
])
def test_a_damaged_checkpoint_is_refused_in_words(monkeypatch, damage, reason):
    run_id = interrupted_run(monkeypatch, epochs=3, interrupted_after=1)
    store = RunStore()
    run_dir = paths.run_dir(run_id)
    model_file, sidecar = run_dir / CHECKPOINT, run_dir / SIDECAR
    data = model_file.read_bytes()
    if damage == "truncate":
        model_file.write_bytes(data[:len(data) // 2])
    elif damage == "flip":
        model_file.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    elif damage == "drop model":
        model_file.unlink()
    elif damage == "drop sidecar":
        sidecar.unlink()
    elif damage == "garble sidecar":
        sidecar.write_text("{\"epoch\": ", encoding="utf-8")
    elif damage == "not a model":  # the sidecar agrees with the bytes, but they are no Keras model
        import hashlib
        junk = b"PK\x05\x06" + bytes(18)  # an empty zip
        model_file.write_bytes(junk)
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        sidecar.write_text(json.dumps({**info, "bytes": len(junk), "sha256": hashlib.sha256(junk).hexdigest()}), encoding="utf-8")

    with pytest.raises(ResumeError) as refused:
        resume(run_id)
    message = str(refused.value)
    assert message.startswith(DAMAGED + reason) and message.endswith(LAUNCH_AGAIN), message
    assert "Traceback" not in message
    run = store.get_run(run_id)
    assert run.status == "interrupted" and run.pid == os.getpid()  # not queued again, no runner started

    # The runner itself (say the file was damaged after resume() checked it) fails the run in words.
    assert store.requeue(run_id, os.getpid())
    assert execute(run_id, resume=True) == "failed"
    run = store.get_run(run_id)
    assert run.error.startswith(DAMAGED) and run.error.endswith(LAUNCH_AGAIN), run.error


def test_runs_that_cannot_resume_say_why(monkeypatch):
    store = RunStore()
    completed, _ = recorded_run(dataset="moons", architecture="mlp", epochs=1)
    store.set_process(completed, os.getpid())
    assert store.claim_slot(completed, 10)
    store.finish(completed, "completed")
    with pytest.raises(ResumeError, match="Only an interrupted or failed run can be resumed; this one is completed"):
        resume(completed)

    never_saved, _ = recorded_run(dataset="moons", architecture="mlp", epochs=1)
    store.set_process(never_saved, 2**22 + 4321)  # died before its first checkpoint
    assert store.get_run(never_saved).status == "interrupted"
    with pytest.raises(ResumeError, match="stopped before its first checkpoint was saved; it cannot be resumed. "
                                          "Launch it again from its settings."):
        resume(never_saved)

    for config, why in [(dict(task="gan", architecture="dcgan"), "A GAN run keeps no checkpoint"),
                        (dict(distribution="multi_worker"), "across several machines cannot be resumed")]:
        run_id = store.create_run({**RunConfig().to_dict(), **config}, "can't resume")
        store.set_process(run_id, 2**22 + 4321)
        assert store.get_run(run_id).status == "interrupted"
        with pytest.raises(ResumeError, match=why):
            resume(run_id)
    from core.models import ARCHITECTURES
    transfer = [key for key, a in ARCHITECTURES.items() if a.training == "transfer"]
    if transfer:
        from core.training.runner import resume_refusal
        assert "(transfer learning) cannot be resumed" in resume_refusal(RunConfig(architecture=transfer[0]))


# -- a full disk, an unwritable data directory, a full run store -----------------------------------

@pytest.fixture
def finished_run():
    """Another run, finished before the fault: it must come out of it untouched."""
    run_id, store = recorded_run(dataset="moons", architecture="mlp", epochs=2)
    assert execute(run_id) == "completed"
    return run_id, store.export_record(run_id), store.metrics(run_id)


def assert_untouched(finished_run):
    run_id, record, metrics = finished_run
    store = RunStore()  # a fresh reader: the store opens and reads after the fault
    assert store.export_record(run_id) == record
    pd.testing.assert_frame_equal(store.metrics(run_id), metrics)
    assert len(store.list_runs()) == 2
    keras.models.load_model(paths.run_dir(run_id) / "model.keras", safe_mode=True)


def fail_checkpoint_saves(monkeypatch, err_no):
    """keras's save writes half the checkpoint, then the file system refuses (like a full disk)."""
    save = keras.Model.save

    def failing_save(model, filepath, *args, **kwargs):
        if Path(filepath).name.startswith("checkpoint"):
            Path(filepath).write_bytes(b"PK" + bytes(1000))
            raise OSError(err_no, os.strerror(err_no))  # write() names no file
        return save(model, filepath, *args, **kwargs)
    monkeypatch.setattr(keras.Model, "save", failing_save)


def test_a_full_disk_fails_the_run_in_words(monkeypatch, finished_run):
    monkeypatch.setenv(CHECKPOINT_SECONDS_ENV, "0")
    fail_checkpoint_saves(monkeypatch, errno.ENOSPC)
    run_id, store = recorded_run(dataset="digits", architecture="mlp", epochs=3)
    assert execute(run_id) == "failed"
    run = store.get_run(run_id)
    assert run.error == (f"The disk is full (No space left on device) while writing runs/{run_id}/checkpoint.keras; "
                         "free some space, then resume the run or launch it again."), run.error
    assert not list(run.dir.glob("*.tmp*")) and not (run.dir / CHECKPOINT).exists()  # no partial files
    assert "OSError: [Errno 28]" in (run.dir / "error.txt").read_text(encoding="utf-8")
    assert sorted(set(store.metrics(run_id, "epoch").epoch)) == [1]  # what was written is kept
    assert_untouched(finished_run)


def test_an_unwritable_run_folder_fails_the_run_in_words(monkeypatch, finished_run):
    monkeypatch.setenv(CHECKPOINT_SECONDS_ENV, "0")
    fail_checkpoint_saves(monkeypatch, errno.EACCES)
    run_id, store = recorded_run(dataset="digits", architecture="mlp", epochs=3)
    assert execute(run_id) == "failed"
    assert store.get_run(run_id).error == (
        f"The data directory {paths.data_dir()} is not writable (Permission denied) while writing "
        f"runs/{run_id}/checkpoint.keras; make it writable (or point MODEL_STUDIO_DATA at another folder), "
        "then resume the run or launch it again.")
    assert_untouched(finished_run)


def chmod_binds(tmp_path) -> bool:
    """Whether a chmod 555 folder refuses new files to this process (not to root, unless root has
    lost CAP_DAC_OVERRIDE, e.g. `setpriv --bounding-set=-dac_override,-dac_read_search`)."""
    probe = tmp_path / "chmod-probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "file").touch()
        return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)


def test_a_read_only_run_folder_fails_the_run_in_words(tmp_path, finished_run):
    if not chmod_binds(tmp_path):
        pytest.skip("this process (root) writes into a chmod 555 folder anyway; the monkeypatched test covers it")
    run_id, store = recorded_run(dataset="digits", architecture="mlp", epochs=3)
    run_dir = paths.run_dir(run_id)
    run_dir.chmod(0o555)
    try:
        assert execute(run_id) == "failed"
    finally:
        run_dir.chmod(0o755)
    error = store.get_run(run_id).error
    assert error.startswith(f"The data directory {paths.data_dir()} is not writable (Permission denied) while "
                            f"writing runs/{run_id}/"), error  # its TensorBoard folder, as it happens
    assert_untouched(finished_run)


def unwritable_folder(tmp_path, monkeypatch) -> Path:
    """A folder this process cannot create files in: chmod 555 where that binds (not as root),
    else /sys (sysfs refuses even root), else a file system said to be read-only."""
    if chmod_binds(tmp_path):
        folder = tmp_path / "read-only"
        folder.mkdir()
        (folder / "runs").mkdir()
        folder.chmod(0o555)
        (folder / "runs").chmod(0o555)
        return folder
    try:
        os.close(os.open("/sys/model-studio-probe", os.O_CREAT | os.O_WRONLY))
    except OSError:
        return Path("/sys")
    folder = tmp_path / "said-read-only"
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if str(path).startswith(str(folder)) and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", read_only_open)
    (folder / "runs").mkdir(parents=True)
    return folder


def test_launch_refuses_an_unwritable_data_directory(tmp_path, monkeypatch):
    folder = unwritable_folder(tmp_path, monkeypatch)
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(folder))
    with pytest.raises(DataDirError) as refused:
        launch(RunConfig(dataset="moons", architecture="mlp", epochs=1))
    message = str(refused.value)
    assert message.startswith(f"The data directory {folder} is not writable (") and "launch it again" in message
    assert "Traceback" not in message and not (folder / "runs.sqlite").exists()


# Was flaky by construction: whether the failed run's final UPDATE still fits in the
# pages the store had after epoch 1 depended on the lengths of the floats in its progress JSON (red
# three times running in one CI run). When the longer row does not fit, the runner records the failure
# again without the live progress: the row shrinks and always fits.
def test_a_full_run_store_fails_the_run_and_readers_keep_working(monkeypatch, finished_run):
    """SQLite's own "database or disk is full": the runner's connection may not grow the file past
    the pages it has after the first epoch (the same error a full disk gives)."""
    log_metrics = RunStore.log_metrics

    def filling_log_metrics(self, run_id, kind, epoch, *args):
        if kind == "epoch" and epoch == 1:
            conn = self._conn()
            conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        return log_metrics(self, run_id, kind, epoch, *args)
    monkeypatch.setattr(RunStore, "log_metrics", filling_log_metrics)
    run_id, store = recorded_run(dataset="digits", architecture="mlp", epochs=200)
    assert execute(run_id) == "failed"
    run = RunStore().get_run(run_id)
    assert run.error == ("The disk is full (database or disk is full) while writing the run store (runs.sqlite); "
                         "free some space, then resume the run or launch it again."), run.error
    assert 1 <= RunStore().metrics(run_id, "epoch").epoch.max() < 200
    assert_untouched(finished_run)


def test_the_runner_reports_a_failure_the_full_store_cannot_record(monkeypatch, capfd):
    run_id, store = recorded_run(dataset="moons", architecture="mlp", epochs=2)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    log_metrics, finish = RunStore.log_metrics, RunStore.finish
    monkeypatch.setattr(RunStore, "log_metrics", full)
    monkeypatch.setattr(RunStore, "finish", full)
    assert execute(run_id) == "failed"  # no exception escapes: the process exits with status 1
    err = capfd.readouterr().err
    assert f"run {run_id} failed: The disk is full (database or disk is full) while writing the run store" in err
    assert "the run store could not record the failure either" in err
    monkeypatch.setattr(RunStore, "log_metrics", log_metrics)
    monkeypatch.setattr(RunStore, "finish", finish)
    store.set_process(run_id, 2**22 + 4321)  # the runner has exited: readers call the run interrupted
    assert store.get_run(run_id).status == "interrupted"


@pytest.mark.parametrize("err, expected", [
    (OSError(errno.ENOSPC, "No space left on device", "{data}/runs/x/model.keras"),
     "The disk is full (No space left on device) while writing runs/x/model.keras; free some space"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "The disk is full (Disk quota exceeded) while writing the run's files"),
    (OSError(errno.EROFS, "Read-only file system", "{data}/runs/x"), "is not writable (Read-only file system) while writing runs/x;"),
    (sqlite3.OperationalError("attempt to write a readonly database"),
     "is not writable (attempt to write a readonly database) while writing the run store (runs.sqlite)"),
    (OSError("Unable to synchronously create file (file write failed: errno = 28, error message = 'No space left "
             "on device')"), "The disk is full (No space left on device)"),  # h5py's words
    (RuntimeError("wrapped"), "The disk is full (No space left on device) while writing runs/y/checkpoint.keras"),
    (ValueError("No space left on device"), None),  # only file-system errors count, not any message
    (OSError(errno.ECONNREFUSED, "Connection refused"), None),
])
def test_write_errors_in_words(data_dir, err, expected):
    if isinstance(err, OSError) and err.filename:
        err.filename = err.filename.format(data=paths.data_dir())
    if isinstance(err, RuntimeError):  # a full disk found down the chain of causes
        err.__cause__ = OSError(errno.ENOSPC, "No space left on device", str(paths.run_dir("y") / CHECKPOINT))
    message = describe_write_error(err)
    assert message == expected if expected is None else expected in message, message


def test_a_reader_that_cannot_write_still_lists_runs():
    """A page marks a dead run interrupted when it reads it; a store it cannot write (full or
    read-only) must not turn that into an error on the page."""
    store = RunStore()
    run_id, _ = recorded_run(dataset="moons", architecture="mlp", epochs=1)
    store.set_process(run_id, 2**22 + 4321)  # no such process, never marked
    reader = RunStore()
    reader._conn().execute("PRAGMA query_only = ON")  # every write now fails, as on a read-only store
    (run,) = reader.list_runs()
    assert run.status == "interrupted" and "ended unexpectedly" in run.error
    assert reader.get_run(run_id).status == "interrupted" and reader.metrics(run_id).empty


# -- the app server dies mid-run -------------------------------------------------------------------

def start_server(data_dir: Path, port: int, launch_first: str = "") -> subprocess.Popen:
    """`streamlit run app.py` in its own session, as from a terminal; `launch_first`: Python that the
    same process runs before it turns into the server (exec), so what it launches is its child."""
    serve = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    code = f"{launch_first}\nimport os, sys\nos.execv(sys.executable, {serve!r})"
    log = open(data_dir.parent / f"streamlit-{port}.log", "ab")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "MODEL_STUDIO_DATA": str(data_dir)}, start_new_session=True)

    def healthy():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok"
        except OSError:
            return server.poll() is not None and pytest.fail(f"the server exited ({server.returncode})")
    wait_until(healthy, 90, "the server to answer", every=0.2)
    return server


def kill_server(server: subprocess.Popen) -> None:
    """SIGTERM to the server's whole process group (as Ctrl-C or a service stop), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
            server.wait(grace)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def epoch_shown(at) -> int:
    """The epoch the run panel's progress bar shows ("Epoch 12/80 · step …")."""
    text = " ".join(p.proto.text for p in at.get("progress"))
    found = re.search(r"Epoch (\d+)/", text)
    return int(found.group(1)) if found else 0


def test_the_run_goes_on_when_the_app_server_dies_and_a_new_server_shows_it(data_dir):
    from tests.browser.conftest import _free_port
    from tests.pages.conftest import open_page
    epochs = 5000  # never finishes on its own: however slow the restart, the run is still training
    port = _free_port()
    server = start_server(data_dir, port, launch_first=(
        "from core.training import RunConfig, launch\n"
        f"launch(RunConfig(dataset='digits', architecture='mlp', epochs={epochs}))"))
    try:
        store = RunStore()
        (run,) = store.list_runs()
        run = wait_until(lambda: (r := store.get_run(run.id)).status == "running"
                         and not store.metrics(r.id, "epoch").empty and r, 90, "training to start", every=0.2)
        runner = psutil.Process(run.pid)
        assert runner.ppid() == server.pid and os.getsid(run.pid) != os.getsid(server.pid)
    finally:
        kill_server(server)
    assert server.poll() is not None

    # The runner outlived its parent, the server, and goes on writing metrics.
    rows = len(store.metrics(run.id))
    wait_until(lambda: len(store.metrics(run.id)) > rows, 20, "new metrics after the server died", every=0.2)
    assert runner.is_running() and store.get_run(run.id).status == "running"

    # A new server; the Runs page shows the run still training, its epochs going up.
    server = start_server(data_dir, _free_port())
    try:
        at = open_page("pages/runs.py")
        at.multiselect(key="selected_runs").set_value([run.id]).run()
        assert not at.exception, at.exception
        assert at.dataframe[0].value.set_index("name").loc[run.name or run.id, "status"] == "running"
        first = epoch_shown(at)
        wait_until(lambda: epoch_shown(at.run()) > first, 30, "the page to show later epochs", every=0.5)
        later = epoch_shown(at)
        assert 0 < first < later < epochs

        store.request_stop(run.id)  # what the new page's Stop button does
        done = wait_for_end(store, run.id, timeout=180)
        assert done.status == "stopped", done.error
        trained = sorted(store.metrics(run.id, "epoch").epoch.unique())
        assert trained == list(range(1, len(trained) + 1)) and len(trained) >= later  # none lost, none doubled
        at.run()
        assert not at.exception and "Test accuracy" in [m.label for m in at.metric]
        assert at.dataframe[0].value.set_index("name").loc[run.name or run.id, "status"] == "stopped"
        print(f"the page showed epoch {first}, then {later}, of {epochs} after the server restart; "
              f"{done.results['fit_seconds']:.1f} s of training")
    finally:
        kill_server(server)
