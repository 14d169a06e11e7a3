"""Few-shot labels on a frozen pretrained encoder, and the learning curve that shows why it wins.

The head is one small Keras layer (a softmax over the 384 numbers of each sentence vector), trained
in this process in a second or two with a progress callback: the encoder itself never changes, so
there is nothing for a separate runner process to save (the studio's runner trains whole networks
from a dataset key; a head on vectors held in memory needs none of that).

`learning_curve` measures, on one fixed split (test documents never seen in training), accuracy
against examples per label (2, 4, 8, 16, 32, all) for this head and for the Text Lab's from-scratch
bag-of-words network (core.models.architectures.build_mlp over core.data.text's vocabulary).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

SHOTS = (2, 4, 8, 16, 32, None)   # None: every training example
Progress = Callable[[float, str], None]


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


def _progress_callback(progress: Progress | None, epochs: int, what: str):
    import keras

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if progress and (epoch % 5 == 4 or epoch == epochs - 1):
                loss = (logs or {}).get("loss", float("nan"))
                progress((epoch + 1) / epochs, f"{what}: epoch {epoch + 1} of {epochs}, loss {loss:.3f}")
    return Report()


def train_head(vectors: np.ndarray, labels: Sequence[str], epochs: int = 60, seed: int = 0,
               progress: Progress | None = None) -> FewShotHead:
    """A softmax layer on frozen sentence vectors (full batch, Adam; dropout against memorising)."""
    import keras
    names = check_examples(labels, minimum=1)
    y = np.array([names.index(str(label).strip()) for label in labels])
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((vectors.shape[1],)), keras.layers.Dropout(0.1),
                              keras.layers.Dense(len(names), activation="softmax", name="labels")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(np.asarray(vectors, np.float32), y, epochs=epochs, batch_size=max(len(y), 1),
                        verbose=0, callbacks=[_progress_callback(progress, epochs, "Few-shot head")])
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


def grouped_split(labels: Sequence[str], groups: Sequence | None = None, test_fraction: float = 0.3,
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


def _take_per_label(train: np.ndarray, labels: np.ndarray, shots: int | None, rng) -> np.ndarray:
    if shots is None:
        return train
    chosen = []
    for label in sorted(set(labels[train])):
        rows = train[labels[train] == label]
        chosen.extend(rng.choice(rows, size=min(shots, len(rows)), replace=False))
    return np.array(sorted(chosen))


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
    rng = np.random.default_rng(seed)
    points = []
    truth = np.array([names.index(v) for v in label_array[test]])
    for step_number, step in enumerate(steps):
        rows = _take_per_label(train, label_array, step, rng)
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
