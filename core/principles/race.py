"""Optimizer race: one dataset and network, trained with several optimizers, each as a real run.

    configs = race_configs(["gd", "sgd", "adam"], dataset="digits", architecture="mlp", epochs=15)
    run_ids = [launch(c) for c in configs]                 # queued through the runner
    time_to_target(store.metrics(run_id), target=0.3)      # (epoch, seconds) or None

The runner trains as many runs at once as `MODEL_STUDIO_MAX_RUNS` allows (1 by default), the rest
wait in its queue; each run's clock starts when it starts training, so wall-clock curves compare
fairly even when the runs take turns.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from core.optim import OPTIMIZERS
from core.training.config import RunConfig


@dataclass(frozen=True)
class Entrant:
    label: str
    optimizer: str
    learning_rate: float
    batch_size: int = 32
    params: dict = field(default_factory=dict)


ENTRANTS: dict[str, Entrant] = {
    "gd": Entrant("Full-batch gradient descent", "gd", 0.5),
    "sgd": Entrant("Mini-batch SGD (batch 32)", "sgd", 0.05),
    "sgd_1": Entrant("SGD, batch size 1", "sgd", 0.005, batch_size=1),
    "momentum": Entrant("SGD with momentum", "momentum", 0.02, params={"momentum": 0.9}),
    "nesterov": Entrant("Nesterov momentum", "nesterov", 0.02, params={"momentum": 0.9}),
    "rmsprop": Entrant("RMSprop", "rmsprop", 0.001),
    "adagrad": Entrant("Adagrad", "adagrad", 0.05),
    "adam": Entrant("Adam", "adam", 0.001),
    "adamw": Entrant("AdamW", "adamw", 0.001),
}


def race_configs(entrants: list[Entrant | str], dataset: str = "digits", architecture: str = "mlp",
                 epochs: int = 15, seed: int = 0, dataset_params: dict | None = None,
                 arch_params: dict | None = None) -> list[RunConfig]:
    """One validated run config per entrant; same data, network, epochs and seed for all."""
    stamp = time.strftime("%H:%M:%S")
    configs = []
    for entrant in entrants:
        e = ENTRANTS[entrant] if isinstance(entrant, str) else entrant
        configs.append(RunConfig(
            dataset=dataset, dataset_params=dict(dataset_params or {}), architecture=architecture,
            arch_params=dict(arch_params or {}), optimizer=e.optimizer, optimizer_params=dict(e.params),
            learning_rate=e.learning_rate, batch_size=e.batch_size, epochs=epochs, seed=seed,
            name=f"Race {stamp} · {e.label}").validated())
    return configs


def time_to_target(metrics: pd.DataFrame, target: float, metric: str = "val_loss") -> tuple[int, float] | None:
    """(epoch, seconds of training) when `metric` first fell to `target` or below; None if never."""
    rows = metrics[(metrics.kind == "epoch") & (metrics.name == metric)].sort_values("epoch")
    reached = rows[rows.value <= target]
    if reached.empty:
        return None
    first = reached.iloc[0]
    return int(first.epoch), float(first.time)


def race_table(runs: list, store, target: float, metric: str = "val_loss") -> list[dict]:
    """One row per entrant: status, epochs, best and last loss, when it reached the target."""
    rows = []
    for run in runs:
        metrics = store.metrics(run.id)
        epochs = metrics[(metrics.kind == "epoch") & (metrics.name == metric)]
        reached = time_to_target(metrics, target, metric)
        rows.append({
            "entrant": run.name.split(" · ", 1)[-1], "status": run.status,
            "batch size": "all" if OPTIMIZERS[run.config.get("optimizer")].full_batch else run.config.get("batch_size"),
            "learning rate": run.config.get("learning_rate"),
            "epochs done": int(epochs.epoch.max()) if len(epochs) else 0,
            f"best {metric}": round(float(epochs.value.min()), 4) if len(epochs) else None,
            "seconds of training": round(float(epochs.time.max()), 1) if len(epochs) else None,
            "epochs to target": reached[0] if reached else None,
            "seconds to target": round(reached[1], 1) if reached else None})
    return rows
