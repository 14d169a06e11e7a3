"""The run store: round trip, liveness, the queue, and concurrent writers."""
import multiprocessing
import subprocess
import sys

import pytest

from core import paths
from core.runs import RunStore


def test_round_trip():
    store = RunStore()
    run_id = store.create_run({"architecture": "cnn", "dataset": "digits", "optimizer": "adam",
                               "learning_rate": 0.01}, "")
    run = store.get_run(run_id)
    assert run.status == "queued" and run.name == "cnn · digits · adam α=0.01"
    assert run.dir.is_dir()
    store.set_progress(run_id, {"epoch": 1})
    store.log_metrics(run_id, "batch", 0, 5, 0.5, {"loss": 2.0, "accuracy": 0.25})
    store.log_metrics(run_id, "epoch", 1, 10, 1.0, {"loss": 1.5, "val_loss": 1.6})
    store.set_results(run_id, {"test_accuracy": 0.9})
    store.finish(run_id, "completed")
    run = RunStore().get_run(run_id)  # a fresh store (another process would see the same)
    assert run.status == "completed" and run.progress == {"epoch": 1}
    assert run.results == {"test_accuracy": 0.9} and run.ended_at is not None
    metrics = store.metrics(run_id)
    assert list(metrics.columns) == ["run_id", "kind", "epoch", "step", "time", "name", "value"]
    assert len(metrics) == 4 and len(store.metrics(run_id, "epoch")) == 2
    assert [r.id for r in store.list_runs()] == [run_id]


def test_delete_removes_metrics_and_folder_but_refuses_active_runs():
    store = RunStore()
    run_id = store.create_run({}, "active")
    store.set_process(run_id, subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]).pid)
    with pytest.raises(ValueError, match="stop it before deleting"):
        store.delete_run(run_id)
    store.finish(run_id, "stopped")
    store.log_metrics(run_id, "epoch", 1, 1, 0.1, {"loss": 1.0})
    store.delete_run(run_id)
    assert store.get_run(run_id) is None and store.metrics(run_id).empty
    assert not paths.run_dir(run_id).exists()


def test_a_run_whose_process_died_is_marked_interrupted():
    store = RunStore()
    run_id = store.create_run({}, "will die")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    store.set_process(run_id, process.pid)
    process.wait()
    store.log_metrics(run_id, "epoch", 1, 1, 0.1, {"loss": 1.0})
    run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended unexpectedly" in run.error
    assert len(store.metrics(run_id)) == 1  # what was written before is kept


def test_claim_slot_is_first_in_first_out_and_respects_the_limit():
    store = RunStore()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        first, second = store.create_run({}, "first"), store.create_run({}, "second")
        for run_id in (first, second):
            store.set_process(run_id, sleeper.pid)
        assert not store.claim_slot(second, max_running=1)  # not first in line
        assert store.claim_slot(first, max_running=1)
        assert not store.claim_slot(second, max_running=1)  # the only slot is taken
        assert store.claim_slot(second, max_running=2)
        assert {r.status for r in store.list_runs()} == {"running"}
    finally:
        sleeper.kill()


def _write_rows(data_dir, run_id, worker):
    import os
    os.environ["MODEL_STUDIO_DATA"] = data_dir
    store = RunStore()
    for step in range(200):
        store.log_metrics(run_id, "batch", 0, step, 0.0, {f"w{worker}": float(step)})


def test_concurrent_writers_lose_no_rows():
    store = RunStore()
    run_id = store.create_run({}, "busy")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_rows, args=(str(paths.data_dir()), run_id, i)) for i in range(2)]
    for w in workers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in workers):
        store.metrics(run_id)  # a reader polling meanwhile, like the page
        reads += 1
    for w in workers:
        w.join()
        assert w.exitcode == 0
    metrics = store.metrics(run_id)
    assert len(metrics) == 400 and reads > 0
    assert sorted(metrics.groupby("name").size().tolist()) == [200, 200]
