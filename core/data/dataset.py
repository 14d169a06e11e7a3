"""The in-memory dataset every architecture trains on."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

IMAGE, TABULAR, TEXT, AUDIO = "image", "tabular", "text", "audio"


class DataError(ValueError):
    """Data the user supplied (or asked for) cannot be used; the message says why and what to do."""


@dataclass
class Dataset:
    """Examples split into a training pool (validation is cut from it per run) and a fixed test set.

    Images are uint8 arrays (N, H, W, C); tables float32 (N, D); texts arrays of str; audio
    log-mel spectrograms float32 (N, frames, mels, 1) in [0, 1] (see core/audio/features.py).
    Labels are ints indexing `class_names`.
    """
    title: str
    kind: str
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(np.concatenate([self.y, self.y_test]), minlength=self.num_classes)
        return dict(zip(self.class_names, counts.tolist()))


def holdout_split(x, y, test_fraction: float = 0.2, seed: int = 0):
    """Shuffle then split off a test set, stratified so every class appears on both sides."""
    rng = np.random.default_rng(seed)
    test_idx = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n_test = int(round(len(idx) * test_fraction)) if len(idx) >= 2 else 0
        test_idx.extend(idx[:max(n_test, 1 if len(idx) >= 2 else 0)])
    test_mask = np.zeros(len(y), bool)
    test_mask[test_idx] = True
    train_idx, test_idx = np.flatnonzero(~test_mask), np.flatnonzero(test_mask)
    rng.shuffle(train_idx)
    rng.shuffle(test_idx)
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]
