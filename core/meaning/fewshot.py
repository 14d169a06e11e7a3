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

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.training.strategies import Classification

SHOTS = (2, 4, 8, 16, 32, None)   # None: every training example
Progress = Callable[[float, str], None]
ARCHITECTURE = "minilm_head"      # its key in core.models.ARCHITECTURES
STRATEGY = "sentence_encoder"     # its key in core.training.strategies.STRATEGIES
DATASET = "helpdesk"              # the bundled help desk, in core.data.DATASETS
TEST_FRACTION = 0.3               # of each label's messages, held out (all copies of a message together)


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


def build_head(spec, dropout: float = 0.1, hidden_units: int = 0):
    """The trainable part on sentence vectors: dropout, an optional ReLU layer, softmax over the labels."""
    import keras
    inputs = keras.Input(spec.shape, name="sentence_vector")
    x = keras.layers.Dropout(dropout, name="head_dropout")(inputs)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu", name="head_hidden")(x)
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax", name="class_probabilities")(x)
    return keras.Model(inputs, outputs, name="sentence_head")


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


# -- the bundled help desk as a dataset of the runner ------------------------------------------------

def load_helpdesk(per_label: int = 0):
    """The help desk's tickets and answers as a text Dataset, test side = the learning curve's held-out
    messages; `per_label` > 0 keeps only that many training rows of each label (the curve's draw)."""
    from core.data.dataset import TEXT, Dataset
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


# -- the runner's strategy ---------------------------------------------------------------------------

RESUME_REFUSAL = ("A head on the frozen sentence encoder trains in seconds and cannot be resumed: "
                  "launch it again from its settings.")


class SentenceEncoderHead(Classification):
    """Classification on sentence vectors: the frozen encoder turns each text into 384 numbers once
    (prepare), and only the small head on them is trained, evaluated and saved."""
    resume_refusal = RESUME_REFUSAL

    def prepare(self, run):
        import keras

        from core.data import load_dataset
        from core.meaning import encoder as enc
        from core.models.architectures import InputSpec
        from core.models.transfer import FEATURES
        from core.training.prepare import Prepared
        keras.utils.set_random_seed(self.config.seed)
        data = load_dataset(self.config.dataset, self.config.dataset_params)
        # The validation cut exactly as core/training/prepare.py makes it (calibration reads it back).
        order = np.random.default_rng(self.config.seed).permutation(len(data.x))
        n_val = int(round(len(order) * self.config.validation_split))
        val_idx, train_idx = order[:n_val], order[n_val:]
        run.progress("loading the sentence encoder", keep=False)
        encoder = enc.load_encoder()
        texts = [str(t) for t in data.x] + [str(t) for t in data.x_test]

        def encoding(fraction, message):
            run.progress(f"encoding the texts with the frozen encoder ({message})", keep=False)
        vectors = encoder.encode(texts, progress=encoding)
        x, x_test = vectors[:len(data.x)], vectors[len(data.x):]
        preprocessing = {"kind": data.kind, "encoder": enc.KEY, "input_shape": [enc.WIDTH]}
        return Prepared(x[train_idx], data.y[train_idx], x[val_idx] if n_val else None,
                        data.y[val_idx] if n_val else None, x_test, data.y_test,
                        InputSpec(FEATURES, (enc.WIDTH,), data.num_classes), list(data.class_names), preprocessing)


def strategy(config):
    """The strategy registry's factory (imported only when a run of this architecture is trained)."""
    return SentenceEncoderHead(config)


def run_config(dataset: str, name: str, dataset_params: dict | None = None, epochs: int = 30,
               validation_split: float = 0.2, seed: int = 0):
    """The RunConfig the Meaning lab launches: the head on `dataset`, Adam, small batches."""
    from core.training.config import RunConfig
    return RunConfig(dataset=dataset, dataset_params=dict(dataset_params or {}), architecture=ARCHITECTURE,
                     optimizer="adam", learning_rate=0.01, epochs=epochs, batch_size=16,
                     validation_split=validation_split, seed=seed, name=name)


# -- inference: texts -> vectors -> the trained head --------------------------------------------------

class SentenceHeadClassifier:
    """A trained head as a lab classifier (the Text Lab's interface): texts are encoded first."""
    has_attention = False
    split = "whitespace"   # how words are cut for the occlusion explanation

    def __init__(self, model, class_names: list[str], card: dict, calibration=None):
        from core.calibration import UNCALIBRATED
        self.model, self.class_names, self.card = model, list(class_names), dict(card)
        self.calibration = calibration or UNCALIBRATED
        self.label_help: dict[str, str] = {}
        self.card.setdefault("reads", "sentence vectors of the frozen all-MiniLM-L6-v2 encoder")

    @classmethod
    def from_keras(cls, model, labels: list[str], preprocessing: dict, card: dict) -> "SentenceHeadClassifier":
        return cls(model, labels, card)

    @property
    def encoder(self):
        from core.meaning import encoder as enc
        return enc.load_encoder()

    def raw_batch(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(self.class_names)))
        return np.asarray(self.model.predict_on_batch(self.encoder.encode(texts)), dtype=np.float64)

    dataset_probabilities = raw_batch

    def predict_batch(self, texts) -> np.ndarray:
        return self.calibration.apply(self.raw_batch(texts))

    def predict(self, text: str, k: int = 5):
        from core.data.text import tokenize
        from core.inference import top_k
        from core.text.classify import TextPrediction
        start = time.perf_counter()
        raw = self.raw_batch([text])[0]
        p = self.calibration.apply(raw)
        # The encoder has its own 30,522-piece vocabulary: no word is unknown to it.
        return TextPrediction(p, top_k(p, self.class_names, k), tokenize(text, self.split), [], 0,
                              time.perf_counter() - start, raw, 0)

    def importance(self, text: str, class_index: int):
        """Occlusion: p(class | text) - p(class | text without the word), every word in one batch."""
        from core.data.text import tokenize
        tokens = [t for t in tokenize(text, self.split) if t.text]
        if not tokens:
            return []
        variants = [text] + [text[:t.start] + text[t.end:] for t in tokens]
        p = self.raw_batch(variants)[:, class_index]
        return [(t, float(p[0] - p[i + 1])) for i, t in enumerate(tokens)]

    explain = importance

    def warm_up(self) -> None:
        self.raw_batch(["warm up"])


# -- export: what the head reads, for the exported package ------------------------------------------

SENTENCE_PREPARE = r'''import numpy as np
# The model reads a text's 384-number sentence vector from all-MiniLM-L6-v2 (mean pooling, unit length):
# the frozen encoder it was trained on (pip install sentence-transformers; the studio: core/meaning/encoder.py).
from sentence_transformers import SentenceTransformer
text = open("{{example}}", encoding="utf-8").read()  # or any text
encoder = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
x = encoder.encode([text], normalize_embeddings=True).astype(np.float32)
'''


def sentence_modality():
    """The text modality of a head on sentence vectors (core/export.py asks for it by the run's
    preprocessing.json): its inputs are vectors of the frozen encoder, not token ids."""
    from core.modalities.base import fill
    from core.modalities.text import TextModality

    class SentenceVectors(TextModality):
        def describe_input(self, shape, preprocessing) -> str:
            return (f"{shape[0]} numbers: the text's sentence vector from the frozen all-MiniLM-L6-v2 encoder "
                    "(mean of its token vectors, scaled to length 1).")

        def prepare_code(self, shape, preprocessing, example, export_dir) -> str:
            return fill(SENTENCE_PREPARE, example=example)

        def encode(self, raw, preprocessing, model):
            from core.meaning import encoder as enc
            return enc.load_encoder().encode([str(text) for text in raw])

        def random_inputs(self, rng, shape, preprocessing):
            x = rng.standard_normal(shape)
            return x / np.linalg.norm(x, axis=-1, keepdims=True)  # unit length, like the encoder's

        def example_from_random(self, x0, preprocessing):
            return "My parcel never came."

    return SentenceVectors()
