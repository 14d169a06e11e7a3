"""One declarative, validated config per run: built by the Train page, stored with the run as
JSON, and read back unchanged by the runner process (and by `python -m core.train`)."""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from core.params import ConfigError

LOSSES = {"cross_entropy": "Cross-entropy", "mse": "Mean squared error"}
TASKS = ("classification", "gan", "finetune-llm")
# Full-batch gradient descent on images streamed from disk still needs them all in one step:
# refused above this much float32 input (mini-batch optimizers stream any number of images).
FULL_BATCH_MAX_BYTES = 256 * 2**20


@dataclass
class RunConfig:
    dataset: str = "digits"
    architecture: str = "mlp"
    optimizer: str = "adam"
    dataset_params: dict = field(default_factory=dict)
    arch_params: dict = field(default_factory=dict)
    optimizer_params: dict = field(default_factory=dict)
    learning_rate: float = 1e-3
    schedule: str = "constant"
    loss: str = "cross_entropy"
    epochs: int = 10
    batch_size: int = 64
    validation_split: float = 0.2
    seed: int = 0
    name: str = ""
    task: str = "classification"
    distribution: str = "auto"      # see core.training.distributed.DISTRIBUTIONS
    mixed_precision: bool = False   # float16 compute; acts only where a GPU is visible

    # -- (de)serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"A run config must be a JSON object of settings, not {type(data).__name__}.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown config field(s): {', '.join(unknown)}.")
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> "RunConfig":
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path} is not valid JSON: {err}") from err

    # -- validation -------------------------------------------------------------------------------
    def validated(self) -> "RunConfig":
        """Return a copy with every knob filled in and checked; raise ConfigError listing all problems.

        Loads the dataset (cached) to check sizes, so it catches "batch larger than the data".
        """
        from core.data import DataError, load_dataset, resolve_dataset_params
        from core.models import ARCHITECTURES, resolve_arch_params
        from core.optim import OPTIMIZERS, SCHEDULES, resolve_optimizer_params
        from core.training.distributed import DISTRIBUTIONS

        problems: list[str] = []
        dataset_params, p = resolve_dataset_params(self.dataset, self.dataset_params)
        problems += p
        arch_params, p = resolve_arch_params(self.architecture, self.arch_params)
        problems += p
        optimizer_params, p = resolve_optimizer_params(self.optimizer, self.optimizer_params)
        problems += p
        if self.task not in TASKS:
            problems.append(f"Unknown task '{self.task}'.")
        if self.distribution not in DISTRIBUTIONS:
            problems.append(f"Unknown distribution '{self.distribution}'. Choose one of: "
                            f"{', '.join(DISTRIBUTIONS)}.")
        if not isinstance(self.mixed_precision, bool):
            problems.append(f"Mixed precision must be true or false (got {self.mixed_precision!r}).")
        if self.task in ("gan", "finetune-llm") and self.distribution in ("mirrored", "multi_worker"):
            problems.append(f"{'GAN' if self.task == 'gan' else 'Fine-tuning'} runs train on one device; "
                            "set distribution to 'auto' or 'single'.")
        if self.task == "finetune-llm" and self.optimizer in OPTIMIZERS and OPTIMIZERS[self.optimizer].full_batch:
            problems.append(f"{OPTIMIZERS[self.optimizer].title} takes every example in one step: far too much for "
                            "a language model. Pick a mini-batch optimizer (AdamW, Adam, SGD ...).")
        if self.loss not in LOSSES:
            problems.append(f"Unknown loss '{self.loss}'. Choose one of: {', '.join(LOSSES)}.")
        if self.schedule not in SCHEDULES:
            problems.append(f"Unknown schedule '{self.schedule}'. Choose one of: {', '.join(SCHEDULES)}.")
        problems += _check_number("Epochs", self.epochs, int, 1, 10000)
        problems += _check_number("Batch size", self.batch_size, int, 1, 1_000_000)
        problems += _check_number("Learning rate", self.learning_rate, float, 1e-7, 10.0,
                                  exclusive_min=0.0)
        problems += _check_number("Validation split", self.validation_split, float, 0.0, 0.9)
        problems += _check_number("Seed", self.seed, int, 0, 2**31 - 1)

        if not problems:
            try:
                data = load_dataset(self.dataset, dataset_params)
            except DataError as err:
                problems.append(str(err))
            else:
                if ARCHITECTURES[self.architecture].task != self.task:
                    problems.append(f"{ARCHITECTURES[self.architecture].title} is for the "
                                    f"'{ARCHITECTURES[self.architecture].task}' task, not '{self.task}'.")
                if data.kind not in ARCHITECTURES[self.architecture].supports:
                    problems.append(
                        f"{ARCHITECTURES[self.architecture].title} cannot read {data.kind} data "
                        f"('{data.title}'). Pick one of: " + ", ".join(
                            a.title for a in ARCHITECTURES.values() if data.kind in a.supports) + ".")
                n_train = len(data.x) - int(round(len(data.x) * self.validation_split))
                if n_train < 1:
                    problems.append("The validation split leaves no training examples.")
                elif self.batch_size > n_train and not OPTIMIZERS[self.optimizer].full_batch:
                    problems.append(f"Batch size {self.batch_size} is larger than the {n_train:,} "
                                    f"training examples; use at most {n_train:,}.")
                elif OPTIMIZERS[self.optimizer].full_batch and _on_disk(data.x) and \
                        n_train * math.prod(data.input_shape) * 4 > FULL_BATCH_MAX_BYTES:
                    problems.append(
                        f"{OPTIMIZERS[self.optimizer].title} takes every training image in one step, so "
                        f"all {n_train:,} would be in memory at once "
                        f"({n_train * math.prod(data.input_shape) * 4 / 2**30:.1f} GB; the limit is "
                        f"{FULL_BATCH_MAX_BYTES / 2**30:.2f} GB). Pick a mini-batch optimizer (SGD, Adam ...): "
                        "it reads the images from disk a batch at a time.")
        if problems:
            raise ConfigError(problems)
        return dataclasses.replace(self, dataset_params=dataset_params, arch_params=arch_params,
                                   optimizer_params=optimizer_params, epochs=int(self.epochs),
                                   batch_size=int(self.batch_size), seed=int(self.seed),
                                   learning_rate=float(self.learning_rate),
                                   validation_split=float(self.validation_split))


def _on_disk(x) -> bool:
    import numpy as np
    return isinstance(x, np.memmap)


def _check_number(label, value, kind, low, high, exclusive_min=None) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{label} must be a number (got {value!r})."]
    if not math.isfinite(value):
        return [f"{label} must be a finite number (got {value})."]
    if kind is int and value != int(value):
        return [f"{label} must be a whole number (got {value})."]
    if exclusive_min is not None and value <= exclusive_min:
        return [f"{label} must be greater than {exclusive_min:g} (got {value:g})."]
    if value < low:
        return [f"{label} must be at least {low:g} (got {value:g})."]
    if value > high:
        return [f"{label} must be at most {high:g} (got {value:g})."]
    return []
