"""Turn a Dataset and a RunConfig into arrays a Keras model can fit on."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.data.dataset import Dataset, Rows
from core.modalities import modality_of
from core.models.architectures import InputSpec
from core.training.config import RunConfig

TEXT_SEQUENCE_LENGTH = {"whitespace": 64, "character": 128}  # tokens the model reads
TEXT_MAX_TOKENS = 20000


@dataclass
class Prepared:
    """Arrays to fit on. Images from disk (uploads) are `Rows`: lazy, read a batch at a time."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    spec: InputSpec
    class_names: list[str]
    preprocessing: dict = field(default_factory=dict)  # what inference must do before the model


def validation_cut(n: int, config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """(validation, training) indices of a training pool of n examples: the run's seed shuffles it,
    its validation share is cut from the front. The one place this is decided: training, the
    sentence-encoder head and calibration (core/inference.py, which reads the cut back) all use it."""
    order = np.random.default_rng(config.seed).permutation(n)
    n_val = int(round(n * config.validation_split))
    return order[:n_val], order[n_val:]


def prepare(data: Dataset, config: RunConfig) -> Prepared:
    """Cut the validation set from the training pool (seeded) and encode the inputs."""
    val_idx, train_idx = validation_cut(len(data.x), config)
    x, x_test = data.x, data.x_test
    modality = modality_of(data.kind)
    preprocessing = {"kind": data.kind, "input_shape": list(data.input_shape), **modality.training_preprocessing()}
    if modality.tokens:
        from core.data.text import fit_vocabulary, vectorize
        split = config.dataset_params.get("split", "whitespace")
        length = TEXT_SEQUENCE_LENGTH[split]
        vocabulary = fit_vocabulary(x[train_idx], split, TEXT_MAX_TOKENS)
        x = vectorize(x, vocabulary, split, length)
        x_test = vectorize(x_test, vocabulary, split, length)
        preprocessing.update(vocabulary=vocabulary, split=split, sequence_length=length,
                             input_shape=[length])
        spec = InputSpec(data.kind, (length,), data.num_classes, len(vocabulary))
    else:
        # Images stay as raw 0-255 values: the model's first layer rescales them. Images on disk
        # (uploads) stay there: lazy rows, read and cast a batch at a time (the runner streams them).
        x, x_test = (Rows(x, dtype=np.float32), Rows(x_test, dtype=np.float32)) if isinstance(x, np.memmap) \
            else (x.astype(np.float32), x_test.astype(np.float32))
        spec = InputSpec(data.kind, data.input_shape, data.num_classes)
    if isinstance(x, Rows):  # file order: the stream shuffles every epoch
        train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
    return Prepared(_take(x, train_idx), data.y[train_idx],
                    _take(x, val_idx) if len(val_idx) else None, data.y[val_idx] if len(val_idx) else None,
                    x_test, data.y_test, spec, list(data.class_names), preprocessing)


def _take(x, idx):
    """x[idx]; for rows on disk a lazy selection, nothing read yet."""
    return x.take(idx) if isinstance(x, Rows) else x[idx]
