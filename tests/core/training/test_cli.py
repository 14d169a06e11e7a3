"""Headless training (`python -m core.train --config`): every run kind ends with its own summary and exit 0."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[3]


def headless(tmp_path, config: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "core.train", "--config", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_classification_run_ends_with_its_test_accuracy(tmp_path):
    out = headless(tmp_path, {"dataset": "digits", "architecture": "mlp", "epochs": 1})
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    (run,) = RunStore().list_runs()
    assert run.status == "completed"
    assert f"test accuracy {run.results['test_accuracy']:.4f}; model at {run.model_path}" in out.stdout
    assert f"weights {run.results['weights_fingerprint']}" in out.stdout


def test_a_gan_run_ends_with_its_losses_and_where_the_generator_is(tmp_path):
    out = headless(tmp_path, {"dataset": "digits", "architecture": "dcgan", "task": "gan", "epochs": 1})
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "KeyError" not in out.stderr
    (run,) = RunStore().list_runs()
    assert f"run {run.id} completed" in out.stdout
    epochs = RunStore().metrics(run.id, "epoch")
    g_loss = float(epochs[epochs.name == "g_loss"].value.iloc[-1])
    d_loss = float(epochs[epochs.name == "d_loss"].value.iloc[-1])
    assert np.isfinite([g_loss, d_loss]).all()
    assert (f"GAN trained 1 epoch; final generator loss {g_loss:.4f}  discriminator loss {d_loss:.4f}"
            in out.stdout), out.stdout
    assert f"generator at {run.model_path}" in out.stdout and run.model_path.exists()
    assert "test accuracy" not in out.stdout
