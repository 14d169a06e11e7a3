"""Feeding Keras from images on disk: tf.data pipelines over `Rows` (lazy rows of a memmap).

    model.fit(**fit_data(x, y, batch_size, seed), epochs=..., validation_data=validation_data(...))
    probabilities = predict(model, x_test)

Arrays in memory go to Keras as they always did. `Rows` (image uploads, see core/data/dataset.py)
become a tf.data.Dataset: the positions 0..n-1 are shuffled every epoch (seeded), cut into
batches, and each batch is gathered from disk (sorted, so the file is read front to back) and cast
to float32 inside a NumPy function, with the next batches prefetched. Memory: a few batches,
whatever the size of the set.
"""
from __future__ import annotations

import numpy as np

from core.data.dataset import Rows

PREFETCH_BATCHES = 2


def streamed(x) -> bool:
    return isinstance(x, Rows)


def fit_data(x, y, batch_size: int, seed: int) -> dict:
    """model.fit's x, y and batching: arrays shuffled by Keras, rows on disk streamed."""
    if streamed(x):
        return {"x": batches(x, y, batch_size, seed), "shuffle": False}  # the dataset shuffles itself
    return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}


def validation_data(pair, batch_size: int):
    """model.fit's validation_data for an (x, y) pair or None."""
    return batches(*pair, batch_size) if pair is not None and streamed(pair[0]) else pair


def predict(model, x, batch_size: int = 64) -> np.ndarray:
    """Class probabilities for x, a batch at a time."""
    if streamed(x):
        return model.predict(batches(x, None, batch_size), verbose=0)
    return model.predict(x, batch_size=batch_size, verbose=0)


def batches(x: Rows, y, batch_size: int, seed: int | None = None):
    """A tf.data.Dataset of (x, y) batches (x alone when y is None), reshuffled every epoch when
    a seed is given, read from disk one batch at a time."""
    import tensorflow as tf
    positions = tf.data.Dataset.range(len(x))
    if seed is not None:
        positions = positions.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    parts = [x] if y is None else [x, np.asarray(y)]

    def gather(batch):
        batch = np.sort(batch)
        return [part[batch] for part in parts]

    def read(batch):
        tensors = tf.numpy_function(gather, [batch], [tf.as_dtype(part.dtype) for part in parts])
        for tensor, part in zip(tensors, parts):
            tensor.set_shape((None,) + tuple(part.shape[1:]))
        return tuple(tensors) if y is not None else tensors[0]

    return positions.batch(batch_size).map(read).prefetch(PREFETCH_BATCHES)
