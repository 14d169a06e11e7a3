"""The runner: in-process training, and the real runner process with Stop, kill, queue and errors."""
import json
import math
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
from core.data import load_dataset, uploads
from core.runs import RunStore, process_alive
from core.training import RunConfig, launch, stop
from core.training.runner import train

ROOT = Path(__file__).resolve().parents[3]
# Long enough never to finish during a test (digits: 36 steps per epoch at batch 32), cheap to load.
FOREVER = dict(dataset="digits", architecture="mlp", epochs=5000, batch_size=32)


def run_in_process(**config) -> tuple[str, RunStore]:
    config = RunConfig(**config).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())  # this process is the runner, as `execute` would record
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    return run_id, store


def wait_until(predicate, timeout=120, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def wait_for_end(store, run_id, timeout=120):
    return wait_until(lambda: (r := store.get_run(run_id)) and not r.is_active and r, timeout,
                      f"run {run_id} to end")


def epoch_values(store, run_id, name):
    m = store.metrics(run_id, "epoch")
    return m[m.name == name].value.tolist()


def test_trains_records_and_saves_everything():
    run_id, store = run_in_process(dataset="digits", architecture="mlp", epochs=3)
    run = store.get_run(run_id)
    assert run.status == "completed" and run.error is None and run.started_at <= run.ended_at
    epochs = store.metrics(run_id, "epoch")
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(epochs.name)
    assert sorted(set(epochs.epoch)) == [1, 2, 3]
    losses, val_losses = epoch_values(store, run_id, "loss"), epoch_values(store, run_id, "val_loss")
    assert len(losses) == len(val_losses) == 3 and losses[-1] < losses[0] and val_losses[-1] < val_losses[0]
    assert epoch_values(store, run_id, "learning_rate") == pytest.approx([1e-3] * 3)
    assert run.progress["state"] == "completed" and run.progress["epochs_done"] == 3

    for name in ("model.keras", "checkpoint.keras", "labels.json", "preprocessing.json"):
        assert (run.dir / name).exists(), name
    assert not list(run.dir.glob("*.tmp.keras"))
    assert (run.dir / "tensorboard").is_dir() and list((run.dir / "tensorboard").rglob("events.out.tfevents*"))
    assert json.loads((run.dir / "labels.json").read_text(encoding="utf-8")) == [str(d) for d in range(10)]
    assert json.loads((run.dir / "preprocessing.json").read_text(encoding="utf-8"))["input_shape"] == [8, 8, 1]

    r = run.results
    matrix = np.array(r["confusion_matrix"])
    data = load_dataset("digits")
    assert matrix.shape == (10, 10) and matrix.sum() == r["test_examples"] == len(data.x_test)
    assert r["test_accuracy"] > 0.5 and np.isclose(np.trace(matrix) / matrix.sum(), r["test_accuracy"])
    assert len(r["per_class_accuracy"]) == 10 and r["epochs_completed"] == 3
    n_train = len(data.x) - round(len(data.x) * 0.2)
    assert r["train_examples"] == n_train and r["steps_completed"] == 3 * math.ceil(n_train / 64)
    assert len(r["mistakes"]) == min(48, matrix.sum() - np.trace(matrix))

    # The saved model loads safely and reproduces the recorded test accuracy from raw pixels.
    model = keras.models.load_model(run.model_path, safe_mode=True)
    predicted = model.predict(data.x_test.astype("float32"), verbose=0).argmax(axis=1)
    assert np.isclose((predicted == data.y_test).mean(), r["test_accuracy"])
    assert keras.models.load_model(run.dir / "checkpoint.keras", safe_mode=True).count_params() == \
        model.count_params() == r["parameters"]


def _text_upload(n=120) -> str:
    rng = np.random.default_rng(0)
    good, bad = ["great", "lovely", "superb", "excellent"], ["awful", "broken", "terrible", "poor"]
    filler = ["the", "item", "was", "really", "my", "order", "today"]
    rows = [(" ".join(rng.choice(filler, 4)) + " " + rng.choice(good if i % 2 else bad), "pos" if i % 2 else "neg")
            for i in range(n)]
    frame = pd.DataFrame(rows, columns=["text", "label"])
    return uploads.import_text_csv(frame, "text", "label").dataset_key


@pytest.mark.parametrize("architecture", ["mlp", "rnn"])
def test_text_upload_trains_to_high_accuracy(architecture):
    run_id, store = run_in_process(dataset=_text_upload(), architecture=architecture, epochs=12,
                                   learning_rate=0.01, batch_size=16,
                                   arch_params={"units": 16} if architecture == "rnn" else {})
    run = store.get_run(run_id)
    assert run.results["test_accuracy"] >= 0.9, run.results["test_accuracy"]
    assert run.results["class_names"] == ["neg", "pos"]
    preprocessing = json.loads((run.dir / "preprocessing.json").read_text(encoding="utf-8"))
    assert preprocessing["kind"] == "text" and preprocessing["vocabulary"][:2] == ["", "[UNK]"]
    assert {"great", "awful", "the"} <= set(preprocessing["vocabulary"])
    # Inference recipe: vectorize with the stored vocabulary, then the saved model.
    from core.data.text import vectorize
    model = keras.models.load_model(run.model_path, safe_mode=True)
    ids = vectorize(["the order was superb", "my item was terrible"], preprocessing["vocabulary"],
                    preprocessing["split"], preprocessing["sequence_length"])
    assert model.predict_on_batch(ids).argmax(axis=1).tolist() == [1, 0]


def test_mse_loss_and_full_batch_gradient_descent():
    run_id, store = run_in_process(dataset="moons", architecture="mlp", loss="mse", optimizer="gd",
                                   learning_rate=0.5, epochs=4)
    run = store.get_run(run_id)
    assert run.results["steps_completed"] == 4  # one step per epoch
    assert run.results["batch_size"] == run.results["train_examples"] == 640
    losses = epoch_values(store, run_id, "loss")
    assert losses[-1] < losses[0] and max(losses) < 0.5  # an MSE of probabilities, not a cross-entropy
    assert len(epoch_values(store, run_id, "accuracy")) == 4


def test_step_schedule_halves_the_learning_rate_every_two_epochs():
    run_id, store = run_in_process(dataset="moons", architecture="mlp", schedule="step", learning_rate=0.04,
                                   epochs=5, batch_size=128)
    # Logged at the end of each epoch, i.e. after 1, 2, ... epochs of steps.
    assert epoch_values(store, run_id, "learning_rate") == pytest.approx([0.04, 0.02, 0.02, 0.01, 0.01])


def test_end_to_end_through_the_runner_process():
    run_id = launch(RunConfig(dataset="moons", architecture="mlp", epochs=3))
    store = RunStore()
    run = store.get_run(run_id)
    assert run.status in ("queued", "running") and run.pid and run.pid != os.getpid()
    assert json.loads((run.dir / "config.json").read_text(encoding="utf-8"))["epochs"] == 3
    run = wait_for_end(store, run_id)
    assert run.status == "completed", (run.error, (run.dir / "runner.log").read_text(encoding="utf-8")[-2000:])
    assert run.results["test_accuracy"] > 0.7 and len(epoch_values(store, run_id, "val_loss")) == 3
    assert run.model_path.exists() and (run.dir / "runner.log").exists()
    wait_until(lambda: not process_alive(run.pid, None), 20, "the runner process to exit")


def _running_with_metrics(store, run_id):
    run = store.get_run(run_id)
    return run.status == "running" and not store.metrics(run_id, "batch").empty and run


def test_stop_ends_the_run_within_a_batch_or_two():
    run_id = launch(RunConfig(**FOREVER))
    store = RunStore()
    wait_until(lambda: _running_with_metrics(store, run_id), what="training to start")
    stop(run_id)
    run = wait_for_end(store, run_id, timeout=60)  # a wait, not a speed test: "within a batch" is
    assert run.status == "stopped", run.error      # test_callbacks.py's, on counted batches
    assert 0 < run.results["steps_completed"] < 5000 * 36 / 100
    assert run.model_path.exists()  # the model trained so far is usable
    keras.models.load_model(run.model_path, safe_mode=True)


def test_a_killed_runner_is_interrupted_and_keeps_its_metrics():
    run_id = launch(RunConfig(**FOREVER))
    store = RunStore()
    running = wait_until(lambda: _running_with_metrics(store, run_id), what="training to start")
    before = store.metrics(run_id)
    os.kill(running.pid, signal.SIGKILL)
    run = wait_for_end(store, run_id, timeout=20)
    assert run.status == "interrupted" and "ended unexpectedly" in run.error
    after = store.metrics(run_id)
    assert len(after) >= len(before) > 0
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)  # nothing written before was lost
    assert not run.results


def test_a_second_run_queues_until_the_first_ends(monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_MAX_RUNS", "1")
    store = RunStore()
    first = launch(RunConfig(**FOREVER))
    wait_until(lambda: store.get_run(first).status == "running", what="the first run to start")
    second = launch(RunConfig(dataset="moons", architecture="mlp", epochs=2))
    third = launch(RunConfig(dataset="moons", architecture="mlp", epochs=2))
    wait_until(lambda: store.get_run(second).progress.get("state", "").startswith("queued"), 60,
               "the second runner to wait in the queue")
    assert store.get_run(second).status == "queued" and store.get_run(third).status == "queued"
    assert store.get_run(first).status == "running"
    stop(third)  # a queued run can be stopped before it starts
    third_run = wait_for_end(store, third, timeout=20)
    assert third_run.status == "stopped" and third_run.started_at is None and not third_run.results
    assert store.get_run(second).status == "queued"
    stop(first)
    second_run = wait_for_end(store, second)
    first_run = store.get_run(first)
    assert second_run.status == "completed" and first_run.status == "stopped"
    assert second_run.started_at >= first_run.ended_at - 1  # it waited for the slot


def test_an_error_in_training_marks_the_run_failed_with_the_reason():
    key = _text_upload()
    config = RunConfig(dataset=key, architecture="mlp", epochs=1).validated()
    shutil.rmtree(paths.uploads_dir() / key.split(":", 1)[1])  # the data vanishes after validation
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "doomed")
    out = subprocess.run([sys.executable, "-m", "core.train", "--run-id", run_id], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    run = store.get_run(run_id)
    assert run.status == "failed" and run.error.startswith("DataError: ")
    assert "no longer exists. Upload it again" in run.error
    assert "Traceback" in (run.dir / "error.txt").read_text(encoding="utf-8")


def test_headless_cli(tmp_path):
    good = tmp_path / "run.json"
    good.write_text(json.dumps({"dataset": "moons", "architecture": "mlp", "epochs": 2}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "core.train", "--config", str(good)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "epoch 1/2" in out.stdout and "epoch 2/2" in out.stdout
    (run,) = RunStore().list_runs()  # the run shows up in the same store as the app's
    assert run.status == "completed"
    assert f"test accuracy {run.results['test_accuracy']:.4f}" in out.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dataset": "moons", "epochs": 0, "learning_rate": -1}), encoding="utf-8")
    for path, expected in [(bad, ["Epochs must be at least 1", "Learning rate must be greater than 0"]),
                           (tmp_path / "missing.json", ["missing.json"])]:
        out = subprocess.run([sys.executable, "-m", "core.train", "--config", str(path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr[-2000:]
        assert out.stderr.startswith("Invalid config:") and all(e in out.stderr for e in expected), out.stderr
    assert len(RunStore().list_runs()) == 1  # invalid configs record nothing
