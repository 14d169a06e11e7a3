"""What a run carries between the five steps of training (core/training/strategies.py): the run
being trained, and what its fit hands on to evaluate and save. Apart from the strategies, so every
strategy (the GAN's in core/training/gan.py too) imports them without importing the others."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core import paths
from core.training.config import RunConfig


@dataclass
class TrainingRun:
    """One run being trained: its config, where it writes, and how it is distributed. (The run as
    stored, listed and shown is core.runs.Run, whose `progress` is the dict this one writes.)"""
    config: RunConfig
    id: str | None
    store: object | None              # the RunStore; None on a cluster worker, which writes nothing
    distribution: object              # core.training.distributed.Distribution
    resume: bool = False              # go on from the run's checkpoint instead of fresh weights
    on_progress: Callable | None = None   # (epoch, logs) after every epoch: the CLI prints them
    checkpoint_seconds: float = 10.0  # at most this long between checkpoints
    memory: object | None = None      # the run's TrainingMemory callback, made just before build

    @property
    def writes(self) -> bool:
        """Only the chief of a cluster (or a lone process) with a store writes the run."""
        return self.distribution.is_chief and self.store is not None

    @property
    def dir(self) -> Path | None:
        return paths.run_dir(self.id) if self.writes else None

    def progress(self, state: str, keep: bool = True, **extra) -> None:
        """Show `state` on the run's page; `keep`: with the epoch and step figures already there."""
        if not self.writes:
            return
        run = self.store.get_run(self.id) if keep else None
        self.store.set_progress(self.id, {**(dict(run.progress) if run else {}), "state": state, **extra})


@dataclass
class Fitted:
    """What fit hands on to evaluate and save."""
    model: object                     # saved as the run's model.keras
    stopped: bool                     # Stop was pressed: the run ends as stopped, keeping what it learned
    seconds: float                    # training time (a resumed run: both sessions)
    batch_size: int
    train_examples: int
    studio: object | None = None      # the run's StudioCallback (None where nothing is written)
    callbacks: list = field(default_factory=list)  # the chief's callbacks, for a second stage
    scored: object = None             # the model scored on the test set (transfer learning: maybe the head)
    x_test: object = None             # the test inputs `scored` reads

    @property
    def steps(self) -> int:
        return self.studio.step if self.studio else 0
