"""The bundled help desk as the runner's "helpdesk" dataset, split exactly as the Meaning lab's
learning curve splits it: each message's copies stay on one side, `per_label` draws the same
training rows as the curve's points (core.meaning.fewshot measures the curve with these)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

TEST_FRACTION = 0.3               # of each label's messages, held out (all copies of a message together)


def grouped_split(labels: Sequence[str], groups: Sequence | None = None, test_fraction: float = TEST_FRACTION,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices, per label, keeping rows of one group on one side."""
    rng = np.random.default_rng(seed)
    labels = np.asarray([str(v) for v in labels])
    groups = np.asarray(groups if groups is not None else np.arange(len(labels)))
    train, test = [], []
    for label in sorted(set(labels)):
        rows = np.flatnonzero(labels == label)
        unique = rng.permutation(np.unique(groups[rows]))
        n_test = max(1, int(round(len(unique) * test_fraction)))
        held = set(unique[:n_test].tolist())
        for row in rows:
            (test if groups[row] in held else train).append(row)
    return np.array(sorted(train)), np.array(sorted(test))


def take_per_label(train: np.ndarray, labels: np.ndarray, shots: int | None, seed: int = 0) -> np.ndarray:
    """`shots` training rows of each label (all of them for None), drawn with `seed`: the learning
    curve and the "helpdesk" dataset's `per_label` draw the very same rows."""
    if shots is None:
        return train
    rng = np.random.default_rng(seed)
    chosen = []
    for label in sorted(set(labels[train])):
        rows = train[labels[train] == label]
        chosen.extend(rng.choice(rows, size=min(shots, len(rows)), replace=False))
    return np.array(sorted(chosen))


def load_helpdesk(per_label: int = 0):
    """The help desk's tickets and answers as a text Dataset, test side = the learning curve's held-out
    messages; `per_label` > 0 keeps only that many training rows of each label (the curve's draw)."""
    from core.data.dataset import TEXT, Dataset  # noqa: I001 - the package's own module
    from core.meaning.documents import support_documents
    docs = support_documents()
    labels = np.asarray(docs.labels)
    names = sorted(set(docs.labels))
    train, test = grouped_split(labels, docs.groups)
    if per_label:
        train = take_per_label(train, labels, per_label)
    texts = np.asarray(docs.texts, dtype=object)
    y = np.array([names.index(v) for v in labels], np.int64)
    notes = [f"{per_label} training examples per label"] if per_label else []
    return Dataset("Help desk tickets (bundled, synthetic)", TEXT, texts[train], y[train], texts[test], y[test],
                   names, notes)
