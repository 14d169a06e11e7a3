"""The dataset every architecture trains on (in memory, or image uploads memory-mapped from disk)."""
from __future__ import annotations

import mmap
from dataclasses import dataclass, field

import numpy as np

from core.errors import DataError  # noqa: F401 - defined low in core (core.audio.io needs it); re-exported

IMAGE, TABULAR, TEXT, AUDIO = "image", "tabular", "text", "audio"
CHAT = "chat"   # prompt/response pairs that teach the language model: x is (N, 2), prompt then response


@dataclass
class Dataset:
    """Examples split into a training pool (validation is cut from it per run) and a fixed test set.

    Images are uint8 arrays (N, H, W, C); tables float32 (N, D); texts arrays of str; audio
    log-mel spectrograms float32 (N, frames, mels, 1) in [0, 1] (see core/audio/features.py); chat
    data (N, 2) str, a prompt and its response, labelled with their task.
    Image uploads are read-only memmaps: only the rows indexed are read from disk, so read them a
    batch at a time (see `Rows`), never all at once.
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
    train_idx, test_idx = holdout_indices(y, test_fraction, seed)
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]


def holdout_indices(y, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The (train, test) indices `holdout_split` uses, each in shuffled order."""
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
    return train_idx, test_idx


class Rows:
    """Some rows of an array, typically a read-only memmap on disk, read only when indexed.

    To the code that trains on it, it looks like an array: len(), shape, dtype, rows[i],
    rows[a:b], rows[indices]. Each read gathers just those rows (in file order), casts them to
    `dtype` and applies `transform` (a function of a batch), so a batch costs a batch of memory,
    never the whole set. `np.asarray(rows)` reads everything: only for small sets.
    """

    def __init__(self, base, index=None, dtype=None, transform=None):
        self.base, self.transform = base, transform
        self.index = np.arange(len(base)) if index is None else np.asarray(index, np.int64)
        self.cast = np.dtype(dtype or base.dtype)  # rows are read as this type, then transformed
        self._row = None if transform else (tuple(base.shape[1:]), self.cast)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def shape(self) -> tuple:
        return (len(self.index),) + self._row_info()[0]

    @property
    def dtype(self) -> np.dtype:
        return self._row_info()[1]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self._read(self.index[[key]])[0]
        return self._read(self.index[key])

    def take(self, positions) -> "Rows":
        """A lazy selection of these rows: nothing is read."""
        return Rows(self.base, self.index[positions], self.cast, self.transform)

    def __array__(self, dtype=None, copy=None):
        return self[:].astype(dtype or self.dtype, copy=False)

    def _row_info(self) -> tuple[tuple, np.dtype]:
        if self._row is None:  # a transform may change shape and type: look at one row
            first = self._read(self.index[:1])
            self._row = (tuple(first.shape[1:]), first.dtype)
        return self._row

    def _read(self, rows: np.ndarray) -> np.ndarray:
        order = np.argsort(rows, kind="stable")  # read the file front to back
        batch = np.empty((len(rows),) + tuple(self.base.shape[1:]), self.cast)
        batch[order] = self.base[rows[order]]
        _release_pages(self.base)
        return batch if self.transform is None else np.asarray(self.transform(batch))


def _release_pages(array) -> None:
    """Unmap the pages of a memmap read so far: they stay in the kernel's page cache (reading them
    again is fast) but stop counting as this process's resident memory (RSS)."""
    mapping = getattr(array, "_mmap", None)  # where numpy keeps a memmap's mmap.mmap
    if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)
