"""Few-shot labels on a frozen pretrained encoder, and the learning curve that shows why it wins.

The head is small (dropout, an optional hidden layer, a softmax over the 384 numbers of each
sentence vector) and trains as a run of the studio's runner, like any other architecture:

    RunConfig(dataset="helpdesk" or "upload:<id>", architecture="minilm_head", ...)  # core/models
    -> strategy "sentence_encoder" (`SentenceEncoderHead` below, registered in core/training/strategies.py)

Its `prepare` turns every text into its vector once with the frozen all-MiniLM-L6-v2
(core/meaning/encoder.py), then the Classification strategy fits, evaluates and saves the head as
any classifier: live curves, Stop, the run store, Runs and compare. The saved `model.keras` reads
sentence vectors; its preprocessing.json says so ("encoder"), and `SentenceHeadClassifier`
encodes texts before it, for the Meaning lab and for the Text Lab's `run:` models.

`learning_curve` measures, on one fixed split (test messages never seen in training, the split the
bundled "helpdesk" dataset uses too), accuracy against examples per label (2, 4, 8, 16, 32, all) for
this head and for the Text Lab's from-scratch bag-of-words network (core.models.architectures.build_mlp
over core.data.text's vocabulary). Those are in-process fits of a second or two each: the curve is a
measurement, not a model to keep.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.data.helpdesk import grouped_split, take_per_label
from core.models.architectures import build_sentence_head as build_head

SHOTS = (2, 4, 8, 16, 32, None)   # None: every training example
Progress = Callable[[float, str], None]
ARCHITECTURE = "minilm_head"      # its key in core.models.ARCHITECTURES
STRATEGY = "sentence_encoder"     # its key in core.training.strategies.STRATEGIES
DATASET = "helpdesk"              # the bundled help desk, in core.data.DATASETS


class FewShotError(ValueError):
    """Examples that cannot teach labels; the message says why and what to add."""


def check_examples(labels: Sequence[str], minimum: int = 2) -> list[str]:
    """The label names, after refusing one label only or labels with fewer than `minimum` examples."""
    counts: dict[str, int] = {}
    for label in labels:
        label = str(label).strip()
        if label:
            counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        only = f" (only '{next(iter(counts))}')" if counts else ""
        raise FewShotError(f"Teaching needs at least two different labels{only}: add examples of another label.")
    few = sorted(name for name, n in counts.items() if n < minimum)
    if few:
        raise FewShotError(f"Every label needs at least {minimum} examples; these have fewer: "
                           f"{', '.join(few[:8])}{' …' if len(few) > 8 else ''}. Add examples or drop those rows.")
    return sorted(counts)


@dataclass
class FewShotHead:
    """A trained head: label names and the Keras model (vectors -> probabilities)."""
    labels: list[str]
    model: object
    history: dict = field(default_factory=dict)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(np.asarray(vectors, np.float32)))

    def predict(self, vectors: np.ndarray) -> list[str]:
        return [self.labels[i] for i in self.probabilities(vectors).argmax(1)]


def train_head(vectors: np.ndarray, labels: Sequence[str], epochs: int = 60, seed: int = 0) -> FewShotHead:
    """The same head fitted in this process, full batch (the learning curve fits a dozen of them)."""
    import keras

    from core.models.architectures import InputSpec
    from core.models.transfer import FEATURES
    names = check_examples(labels, minimum=1)
    y = np.array([names.index(str(label).strip()) for label in labels])
    keras.utils.set_random_seed(seed)
    model = build_head(InputSpec(FEATURES, (vectors.shape[1],), len(names)))
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(np.asarray(vectors, np.float32), y, epochs=epochs, batch_size=max(len(y), 1), verbose=0)
    return FewShotHead(names, model, {k: [float(v) for v in vs] for k, vs in history.history.items()})


def train_from_scratch(texts: Sequence[str], labels: Sequence[str], names: list[str], epochs: int = 40,
                       seed: int = 0):
    """The Text Lab's from-scratch network (bag of word embeddings + 2 dense layers), on these texts only.
    Returns predict(texts) -> label indices."""
    import keras
    from core.data.text import fit_vocabulary, vectorize
    from core.models.architectures import InputSpec, build_mlp
    keras.utils.set_random_seed(seed)
    vocabulary = fit_vocabulary(texts)
    x = vectorize(texts, vocabulary, sequence_length=48)
    y = np.array([names.index(label) for label in labels])
    model = build_mlp(InputSpec("text", (48,), len(names), vocab_size=len(vocabulary)))
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return lambda new: np.asarray(model.predict_on_batch(vectorize(new, vocabulary, sequence_length=48))).argmax(1)


@dataclass
class CurvePoint:
    shots: str            # "2", "4", ... or "all"
    examples: int         # training examples used in all
    pretrained: float     # test accuracy of the head on the frozen encoder
    from_scratch: float   # test accuracy of the from-scratch network


def learning_curve(texts: Sequence[str], labels: Sequence[str], vectors: np.ndarray, groups=None,
                   shots: Sequence[int | None] = SHOTS, seed: int = 0,
                   progress: Progress | None = None) -> tuple[list[CurvePoint], int]:
    """Accuracy against examples per label, both models, one split; also the number of test rows."""
    texts = [str(t) for t in texts]
    label_array = np.asarray([str(v).strip() for v in labels])
    names = check_examples(label_array, minimum=2)
    train, test = grouped_split(label_array, groups, seed=seed)
    most = min(int((label_array[train] == name).sum()) for name in names)
    steps = [s for s in shots if s is None or s < most] or [None]
    points = []
    truth = np.array([names.index(v) for v in label_array[test]])
    for step_number, step in enumerate(steps):
        rows = take_per_label(train, label_array, step, seed)
        if progress:
            progress(step_number / len(steps), f"Training both models on {len(rows):,} examples")
        head = train_head(vectors[rows], label_array[rows], seed=seed)
        head_predicted = np.array([names.index(v) for v in head.predict(vectors[test])])
        scratch = train_from_scratch([texts[i] for i in rows], list(label_array[rows]), names, seed=seed)
        scratch_predicted = scratch([texts[i] for i in test])
        points.append(CurvePoint("all" if step is None else str(step), len(rows),
                                 float((head_predicted == truth).mean()), float((scratch_predicted == truth).mean())))
    if progress:
        progress(1.0, "Learning curve done")
    return points, len(test)


# -- the runner's settings (the strategy that trains it: core.training.strategies.SentenceEncoderHead)

def run_config(dataset: str, name: str, dataset_params: dict | None = None, epochs: int = 30,
               validation_split: float = 0.2, seed: int = 0):
    """The RunConfig the Meaning lab launches: the head on `dataset`, Adam, small batches."""
    from core.training.config import RunConfig
    return RunConfig(dataset=dataset, dataset_params=dict(dataset_params or {}), architecture=ARCHITECTURE,
                     optimizer="adam", learning_rate=0.01, epochs=epochs, batch_size=16,
                     validation_split=validation_split, seed=seed, name=name)
