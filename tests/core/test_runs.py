"""The run store: round trip, liveness, the queue, and concurrent writers."""
import multiprocessing
import os
import subprocess
import sys
import time
import types

import psutil
import pytest

from core import paths, runs
from core.runs import RunStore, process_alive


@pytest.fixture
def sleeper():
    """A live process to stand in for a runner; killed afterwards whatever happens."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def test_round_trip():
    store = RunStore()
    run_id = store.create_run({"architecture": "cnn", "dataset": "digits", "optimizer": "adam",
                               "learning_rate": 0.01}, "")
    run = store.get_run(run_id)
    assert run.status == "queued" and run.name == "cnn · digits · adam α=0.01"
    assert run.config["architecture"] == "cnn" and run.is_active
    assert run.dir.is_dir() and run.dir == paths.data_dir() / "runs" / run_id
    assert store.path == paths.data_dir() / "runs.sqlite"
    store.set_progress(run_id, {"epoch": 1})
    store.log_metrics(run_id, "batch", 0, 5, 0.5, {"loss": 2.0, "accuracy": 0.25})
    store.log_metrics(run_id, "epoch", 1, 10, 1.0, {"loss": 1.5, "val_loss": 1.6})
    store.set_results(run_id, {"test_accuracy": 0.9, "confusion_matrix": [[1, 0], [0, 1]]})
    store.rename(run_id, "my best run")
    store.finish(run_id, "completed")
    run = RunStore().get_run(run_id)  # a fresh store (another process would see the same)
    assert run.status == "completed" and not run.is_active and run.name == "my best run"
    assert run.progress == {"epoch": 1} and run.ended_at >= run.created_at
    assert run.results == {"test_accuracy": 0.9, "confusion_matrix": [[1, 0], [0, 1]]}

    metrics = store.metrics(run_id)
    assert list(metrics.columns) == ["run_id", "kind", "epoch", "step", "time", "name", "value"]
    assert len(metrics) == 4 and set(metrics.run_id) == {run_id}
    epoch = store.metrics(run_id, "epoch")
    assert epoch.set_index("name").value.to_dict() == {"loss": 1.5, "val_loss": 1.6}
    assert set(epoch.step) == {10} and set(epoch.epoch) == {1}
    batch = store.metrics(run_id, "batch")
    assert batch.set_index("name").value.to_dict() == {"loss": 2.0, "accuracy": 0.25}
    assert store.metrics("no-such-run").empty


def test_list_runs_newest_first_and_named_runs():
    store = RunStore()
    first = store.create_run({}, "first")
    time.sleep(0.01)
    second = store.create_run({}, "second")
    listed = store.list_runs()
    assert [r.id for r in listed] == [second, first]
    assert [r.name for r in listed] == ["second", "first"]
    assert store.get_run("missing") is None


def test_delete_removes_metrics_and_folder_but_refuses_active_runs(sleeper):
    store = RunStore()
    run_id = store.create_run({}, "active")
    keep = store.create_run({}, "kept")
    store.set_process(run_id, sleeper.pid)
    store.log_metrics(run_id, "epoch", 1, 1, 0.1, {"loss": 1.0})
    store.log_metrics(keep, "epoch", 1, 1, 0.1, {"loss": 2.0})
    (paths.run_dir(run_id) / "model.keras").write_bytes(b"x")
    with pytest.raises(ValueError, match="stop it before deleting"):
        store.delete_run(run_id)
    assert store.get_run(run_id).status == "queued" and paths.run_dir(run_id).exists()
    store.finish(run_id, "stopped")
    store.delete_run(run_id)
    assert store.get_run(run_id) is None and store.metrics(run_id).empty
    assert not paths.run_dir(run_id).exists()
    assert len(store.metrics(keep)) == 1 and paths.run_dir(keep).exists()  # others untouched
    store.delete_run("already-gone")  # no error


def test_a_run_whose_process_died_is_marked_interrupted():
    store = RunStore()
    run_id = store.create_run({}, "will die")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # dead and reaped
    store.set_process(run_id, process.pid)
    store.log_metrics(run_id, "epoch", 1, 1, 0.1, {"loss": 1.0})
    run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended unexpectedly" in run.error and run.ended_at
    assert [r.status for r in store.list_runs()] == ["interrupted"]
    assert len(store.metrics(run_id)) == 1  # what was written before is kept
    store.finish(run_id, "completed", only_if_active=True)  # a late writer cannot revive it
    assert store.get_run(run_id).status == "interrupted"


def test_a_live_process_keeps_its_run_active(sleeper):
    store = RunStore()
    run_id = store.create_run({}, "alive")
    store.set_process(run_id, sleeper.pid)
    assert store.get_run(run_id).status == "queued"
    assert store.claim_slot(run_id, 1) and store.get_run(run_id).status == "running"
    sleeper.kill()
    sleeper.wait()
    assert store.get_run(run_id).status == "interrupted"


def test_spawn_grace_then_interrupted(monkeypatch):
    """A run just created has no process yet: it stays queued for a grace period, no longer."""
    store = RunStore()
    run_id = store.create_run({}, "spawning")
    assert store.get_run(run_id).status == "queued"
    monkeypatch.setattr(runs, "SPAWN_GRACE_SECONDS", 0.0)
    assert store.get_run(run_id).status == "interrupted"


def test_process_alive_detects_pid_reuse():
    me = psutil.Process(os.getpid())
    assert process_alive(os.getpid(), me.create_time())
    assert process_alive(os.getpid(), None)
    assert not process_alive(os.getpid(), me.create_time() - 3600)  # same pid, another process
    assert not process_alive(None, None)


def test_stop_request_sets_flag_and_stop_file():
    store = RunStore()
    run_id = store.create_run({}, "to stop")
    assert not store.stop_requested(run_id) and not (paths.run_dir(run_id) / "STOP").exists()
    store.request_stop(run_id)
    assert store.stop_requested(run_id) and store.get_run(run_id).stop_requested
    assert (paths.run_dir(run_id) / "STOP").exists()


def test_claim_slot_is_first_in_first_out_and_respects_the_limit(sleeper):
    store = RunStore()
    first, second, third = (store.create_run({}, name) for name in ("first", "second", "third"))
    for run_id in (first, second, third):
        store.set_process(run_id, sleeper.pid)
    assert not store.claim_slot(second, max_running=1)  # not first in line
    assert not store.claim_slot(third, max_running=5)
    assert store.claim_slot(first, max_running=1)
    assert not store.claim_slot(first, max_running=5)  # already running: nothing to claim
    assert not store.claim_slot(second, max_running=1)  # the only slot is taken
    assert store.get_run(second).status == "queued"
    assert not store.claim_slot(third, max_running=2)  # second is ahead of it
    assert store.claim_slot(second, max_running=2)
    assert not store.claim_slot(third, max_running=2)  # two running, limit two
    store.finish(first, "completed")
    assert store.claim_slot(third, max_running=2)
    assert {r.name: r.status for r in store.list_runs()} == {
        "first": "completed", "second": "running", "third": "running"}
    assert store.get_run(second).started_at is not None


def test_claim_slot_frees_the_slot_of_a_dead_runner(sleeper):
    store = RunStore()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    crashed, waiting = store.create_run({}, "crashed"), store.create_run({}, "waiting")
    store.set_process(crashed, dead.pid)
    store.set_process(waiting, sleeper.pid)
    store._conn().execute("UPDATE runs SET status = 'running' WHERE id = ?", (crashed,))
    assert store.claim_slot(waiting, max_running=1)
    assert store.get_run(crashed).status == "interrupted"


def _write_rows(data_dir, run_id, worker, rows, errors, barrier):
    os.environ["MODEL_STUDIO_DATA"] = data_dir
    store = RunStore()
    try:
        for step in range(rows):
            if step % 20 == 0:  # both writers go on together every 20 rows, so they contend on any machine
                barrier.wait(timeout=60)
            store.log_metrics(run_id, "batch", 0, step, 0.0, {f"w{worker}": float(step)})
            time.sleep(0.002)  # spread the writes over ~0.5 s so the two writers interleave
    except Exception as err:  # noqa: BLE001 - reported to the parent, e.g. "database is locked"
        errors.put(f"{type(err).__name__}: {err}")
        raise


def test_concurrent_writers_lose_no_rows(monkeypatch):
    # A spawned child first re-runs the parent's __main__ script; after an AppTest in this process
    # that is AppTest's temporary page script (NameError: '__args'). The writers need no __main__.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    store = RunStore()
    run_id = store.create_run({}, "busy")
    context = multiprocessing.get_context("spawn")
    errors, barrier = context.Queue(), context.Barrier(2)
    workers = [context.Process(target=_write_rows,
                               args=(str(paths.data_dir()), run_id, i, 200, errors, barrier))
               for i in range(2)]
    for w in workers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in workers):
        store.metrics(run_id)  # a reader polling meanwhile, like the page
        reads += 1
    for w in workers:
        w.join()
    assert errors.empty(), errors.get()
    assert [w.exitcode for w in workers] == [0, 0]
    metrics = store.metrics(run_id)
    assert len(metrics) == 400 and reads > 0
    assert metrics.groupby("name").size().to_dict() == {"w0": 200, "w1": 200}
    for name in ("w0", "w1"):  # every row, each exactly once
        assert sorted(metrics[metrics.name == name].step) == list(range(200))
    switches = int((metrics.name != metrics.name.shift()).sum()) - 1
    assert switches >= 10, f"the writers did not overlap ({switches} switches): nothing was tested"


def test_two_runs_created_in_one_second_with_the_same_draw_get_different_ids(monkeypatch):
    """Ids are the second plus 4 hex digits: a clash (1 in 65,536 per pair, the race makes five at
    once) draws again instead of failing the launch."""
    import secrets
    draws = iter(["abcd", "abcd", "ef01"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(draws))
    monkeypatch.setattr(time, "strftime", lambda fmt: "20261207-120000")
    store = RunStore()
    first, second = store.create_run({}, "a"), store.create_run({}, "b")
    assert (first, second) == ("20261207-120000-abcd", "20261207-120000-ef01")
    assert [store.get_run(i).name for i in (first, second)] == ["a", "b"]
