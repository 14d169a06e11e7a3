"""The runner: in-process training, and the real runner process with Stop, kill, queue and errors."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from core import paths
from core.data import uploads
from core.runs import RunStore
from core.training import RunConfig, launch, stop
from core.training.runner import train

ROOT = Path(__file__).resolve().parents[3]


def run_in_process(**config) -> tuple[str, RunStore]:
    config = RunConfig(**config).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    assert store.claim_slot(run_id, max_running=10)
    train(config, run_id, store)
    return run_id, store


def wait_until(predicate, timeout=120, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def epoch_values(store, run_id, name):
    m = store.metrics(run_id, "epoch")
    return m[m.name == name].value.tolist()


def test_trains_records_and_saves_everything():
    run_id, store = run_in_process(dataset="digits", architecture="mlp", epochs=3)
    run = store.get_run(run_id)
    assert run.status == "completed"
    losses = epoch_values(store, run_id, "loss")
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(store.metrics(run_id).name)
    for name in ("model.keras", "checkpoint.keras", "labels.json", "preprocessing.json"):
        assert (run.dir / name).exists(), name
    assert list((run.dir / "tensorboard").rglob("events.out.tfevents*"))
    r = run.results
    assert np.array(r["confusion_matrix"]).shape == (10, 10)
    assert np.array(r["confusion_matrix"]).sum() == r["test_examples"] == 359
    assert r["test_accuracy"] > 0.5 and len(r["per_class_accuracy"]) == 10
    model = keras.models.load_model(run.model_path, safe_mode=True)
    pixels = np.full((1, 8, 8, 1), 128.0, "float32")
    assert model.predict_on_batch(pixels).shape == (1, 10)
    assert json.loads((run.dir / "labels.json").read_text())[3] == "3"


def _text_upload() -> str:
    rng = np.random.default_rng(0)
    good, bad = ["great", "lovely", "superb", "excellent"], ["awful", "broken", "terrible", "poor"]
    filler = ["the", "item", "was", "really", "my", "order", "today"]
    rows = [(" ".join(rng.choice(filler, 4)) + " " + rng.choice(good if i % 2 else bad), "pos" if i % 2 else "neg")
            for i in range(160)]
    frame = pd.DataFrame(rows, columns=["text", "label"])
    return uploads.import_text_csv(frame, "text", "label").dataset_key


@pytest.mark.parametrize("architecture", ["mlp", "rnn"])
def test_text_upload_trains_to_high_accuracy(architecture):
    run_id, store = run_in_process(dataset=_text_upload(), architecture=architecture, epochs=12,
                                   learning_rate=0.01, batch_size=16)
    run = store.get_run(run_id)
    assert run.status == "completed" and run.results["test_accuracy"] >= 0.9, run.results["test_accuracy"]
    assert json.loads((run.dir / "preprocessing.json").read_text())["vocabulary"][:2] == ["", "[UNK]"]


def test_mse_loss_and_full_batch_gradient_descent():
    run_id, store = run_in_process(dataset="moons", architecture="mlp", loss="mse", optimizer="gd",
                                   learning_rate=0.5, epochs=4)
    run = store.get_run(run_id)
    assert run.status == "completed" and run.results["steps_completed"] == 4  # one step per epoch
    losses = epoch_values(store, run_id, "loss")
    assert losses[-1] < losses[0]


def test_end_to_end_through_the_runner_process():
    run_id = launch(RunConfig(dataset="moons", architecture="mlp", epochs=3))
    store = RunStore()
    assert store.get_run(run_id).status in ("queued", "running")
    run = wait_until(lambda: (r := store.get_run(run_id)) and not r.is_active and r, what="the run to end")
    assert run.status == "completed", run.error
    assert run.results["test_accuracy"] > 0.7 and len(epoch_values(store, run_id, "val_loss")) == 3


def _running_with_metrics(store, run_id):
    run = store.get_run(run_id)
    return run.status == "running" and not store.metrics(run_id, "batch").empty


def test_stop_ends_the_run_within_a_batch_or_two():
    run_id = launch(RunConfig(dataset="mnist", architecture="mlp", epochs=200, batch_size=32))
    store = RunStore()
    wait_until(lambda: _running_with_metrics(store, run_id), what="training to start")
    stop(run_id)
    stopped_at = time.time()
    run = wait_until(lambda: (r := store.get_run(run_id)) and not r.is_active and r, what="the stop")
    assert run.status == "stopped"
    assert time.time() - stopped_at < 15  # includes saving and evaluating the model
    assert run.results["steps_completed"] < 200 * 100 / 10
    assert run.model_path.exists()  # the model trained so far is usable


def test_a_killed_runner_is_interrupted_and_keeps_its_metrics():
    run_id = launch(RunConfig(dataset="mnist", architecture="mlp", epochs=200, batch_size=32))
    store = RunStore()
    wait_until(lambda: _running_with_metrics(store, run_id), what="training to start")
    written = len(store.metrics(run_id))
    os.kill(store.get_run(run_id).pid, signal.SIGKILL)
    run = wait_until(lambda: (r := store.get_run(run_id)) and not r.is_active and r, timeout=20, what="interrupted")
    assert run.status == "interrupted" and "ended unexpectedly" in run.error
    assert len(store.metrics(run_id)) >= written


def test_a_second_run_queues_until_the_first_ends(monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_MAX_RUNS", "1")
    store = RunStore()
    first = launch(RunConfig(dataset="mnist", architecture="mlp", epochs=200))
    wait_until(lambda: store.get_run(first).status == "running", what="the first run to start")
    second = launch(RunConfig(dataset="moons", architecture="mlp", epochs=2))
    third = launch(RunConfig(dataset="moons", architecture="mlp", epochs=2))
    time.sleep(3)
    assert store.get_run(second).status == "queued" and store.get_run(third).status == "queued"
    stop(third)  # a queued run can be stopped before it starts
    wait_until(lambda: store.get_run(third).status == "stopped", timeout=20, what="queued stop")
    stop(first)
    second_run = wait_until(lambda: (r := store.get_run(second)) and not r.is_active and r, what="the second run")
    assert second_run.status == "completed" and store.get_run(first).status == "stopped"
    assert second_run.started_at >= store.get_run(first).ended_at - 1


def test_an_error_in_training_marks_the_run_failed_with_the_reason():
    key = _text_upload()
    config = RunConfig(dataset=key, architecture="mlp", epochs=1).validated()
    shutil.rmtree(paths.uploads_dir() / key.split(":", 1)[1])  # the data vanishes after validation
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "doomed")
    (paths.run_dir(run_id) / "config.json").write_text(config.to_json())
    out = subprocess.run([sys.executable, "-m", "core.train", "--run-id", run_id], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    run = store.get_run(run_id)
    assert run.status == "failed" and "no longer exists. Upload it again" in run.error
    assert "Traceback" in (run.dir / "error.txt").read_text()


def test_headless_cli(tmp_path):
    good = tmp_path / "run.json"
    good.write_text(json.dumps({"dataset": "moons", "architecture": "mlp", "epochs": 2}))
    out = subprocess.run([sys.executable, "-m", "core.train", "--config", str(good)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "epoch 2/2" in out.stdout and "test accuracy" in out.stdout
    assert [r.status for r in RunStore().list_runs()] == ["completed"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dataset": "moons", "epochs": 0, "learning_rate": -1}))
    out = subprocess.run([sys.executable, "-m", "core.train", "--config", str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "Epochs must be at least 1" in out.stderr and "Learning rate must be greater than 0" in out.stderr
