"""Why large models win: the same network at several widths, trained on the same data, measured.

    configs = scale_configs(widths=(4, 8, 16, 32, 64, 128))   # one run each, queued by the runner
    rows = scale_table(runs)                                   # size, loss, compute, time, memory
    A, b = power_law(parameters, losses)                       # loss ≈ A · N^b  (b < 0: bigger is better)

Training compute is the standard estimate C ≈ 6·N·D floating-point operations (N parameters, D
training examples seen: a forward pass costs about 2N per example, the backward pass about 4N).
Memory is each run's own: what its training added (model, optimizer state, gradients, activations,
input pipeline) on top of what its runner process held before (TensorFlow and the dataset, about
the same for every width); see core.training.callbacks.TrainingMemory.
"""
from __future__ import annotations

import time

import numpy as np

from core.training.config import RunConfig

WIDTHS = (4, 8, 16, 32, 64, 128, 256)


def scale_configs(dataset: str = "mnist", widths=WIDTHS, epochs: int = 10, hidden_layers: int = 2,
                  seed: int = 0) -> list[RunConfig]:
    """One validated MLP config per width; everything else identical."""
    stamp = time.strftime("%H:%M:%S")
    return [RunConfig(dataset=dataset, architecture="mlp", optimizer="adam", learning_rate=1e-3,
                      arch_params={"hidden_layers": hidden_layers, "units": int(width)},
                      epochs=epochs, batch_size=64, seed=seed,
                      name=f"Scale {stamp} · width {width}").validated() for width in widths]


def training_flops(parameters: int, examples: int, epochs: int) -> float:
    """C ≈ 6 N D: 2N per example forward, 4N backward, D = examples × epochs."""
    return 6.0 * parameters * examples * epochs


def power_law(parameters, losses) -> tuple[float, float]:
    """(A, b) of the least-squares line log L = log A + b log N."""
    b, log_a = np.polyfit(np.log(np.asarray(parameters, float)), np.log(np.asarray(losses, float)), 1)
    return float(np.exp(log_a)), float(b)


def scale_table(runs, store) -> list[dict]:
    """One row per finished run: width, parameters, best validation loss, test figures and costs."""
    rows = []
    for run in runs:
        r = run.results
        if not r:
            continue
        metrics = store.metrics(run.id, "epoch")
        val = metrics[metrics.name == "val_loss"].value
        epochs = r.get("epochs_completed", 0)
        rows.append({"width": run.config["arch_params"]["units"], "parameters": r["parameters"],
                     "best val loss": float(val.min()) if len(val) else float("nan"),
                     "test loss": r["test_loss"], "test accuracy": r["test_accuracy"],
                     "training FLOPs": training_flops(r["parameters"], r["train_examples"], epochs),
                     "seconds": r["fit_seconds"],
                     # the run's own: what its training added (runs before that was measured: None)
                     "training memory (MB)": r.get("training_memory_mb"),
                     "memory before training (MB)": r.get("memory_before_training_mb"),
                     "model file (KB)": (r.get("model_file_bytes") or 0) / 1024})
    return sorted(rows, key=lambda row: row["parameters"])
