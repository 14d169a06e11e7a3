"""Keras text classifiers for live inference: the bundled topic model and every trained text run.

    classifier = core.catalog.load_model("topic_classifier")   # or "run:<run id>", "imported:<id>"
    prediction = classifier.predict("The compiler found a bug in my program")
    words = classifier.importance(text, prediction.best)  # (token, how much it mattered) pairs
    maps = classifier.attention(text)                     # Transformers: who looks at whom

A model reads token ids (core/data/text.py); its vocabulary, split and length travel in a JSON next
to the `.keras` file (bundled) or in the run's preprocessing.json (trained here).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np

from core import paths
from core.calibration import MOSTLY_UNKNOWN_FROM, UNCALIBRATED, Calibration, is_sure
from core.data.text import Encoder, Token
from core.inference import bundled_calibration, top_k

BATCH = 256  # rows per model call when scoring many texts


@dataclass
class TextPrediction:
    probabilities: np.ndarray  # calibrated (core/calibration.py): what the page shows
    top: list[tuple[str, float]]
    tokens: list[Token]       # what the model read (at most its sequence length)
    unknown: list[str]        # tokens outside its vocabulary: it cannot tell them apart
    cut: int                  # tokens beyond the model's length, not read
    seconds: float
    raw: np.ndarray | None = None   # the model's own softmax
    unknown_tokens: int = 0         # how many of `tokens` are outside its vocabulary
    not_english: bool = False       # an English-only encoder was given mostly another language

    @property
    def best(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def unknown_share(self) -> float:
        """The share of what it read that it never saw in training (1.0 when it read nothing)."""
        return self.unknown_tokens / len(self.tokens) if self.tokens else 1.0

    @property
    def mostly_unknown(self) -> bool:
        """Most of the input is unknown to the model: its answer is a guess, however confident."""
        return self.unknown_share >= MOSTLY_UNKNOWN_FROM

    @property
    def sure(self) -> bool:
        return is_sure(self.probabilities) and not self.mostly_unknown and not self.not_english


@dataclass
class AttentionMap:
    tokens: list[Token]
    weights: np.ndarray       # (blocks, heads, tokens, tokens): row i = how token i spreads its attention
    probabilities: np.ndarray  # the pass that produced them: equal to predict's raw (a test holds them)


class TextClassifier:
    """A Keras model over token ids, with its class names and the exact tokenizer it was trained with."""

    def __init__(self, model, class_names: list[str], vocabulary: list[str], split: str,
                 sequence_length: int, card: dict, calibration: Calibration = UNCALIBRATED):
        self.model, self.class_names, self.card = model, list(class_names), card
        self.encoder = Encoder(vocabulary, split, sequence_length)
        self.calibration = calibration
        self.label_help: dict[str, str] = {}

    @classmethod
    def from_keras(cls, model, labels: list[str], preprocessing: dict, card: dict) -> "TextClassifier":
        """A run's or an imported model, with the tokenizer its preprocessing.json describes."""
        if preprocessing.get("encoder"):  # a head on the frozen sentence encoder: it reads vectors, not ids
            return SentenceHeadClassifier.from_keras(model, labels, preprocessing, card)
        return cls(model, labels, preprocessing["vocabulary"], preprocessing["split"],
                   preprocessing["sequence_length"], card)

    def dataset_probabilities(self, texts) -> np.ndarray:
        return self.raw_batch(texts)

    def warm_up(self) -> None:
        self.predict("warm up")  # compile the predict step now, so the first answer is fast

    def explain(self, text: str, class_index: int) -> list[tuple[Token, float]]:
        """How much each token pushed towards `class_index` (occlusion, see `importance`)."""
        return self.importance(text, class_index)

    @property
    def split(self) -> str:
        return self.encoder.split

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        # A text with no token at all ("!!! ???") is all padding: the bag of words' masked mean is
        # then 0/0 (Keras 3.15 returns NaN). To the model such a text is one unknown word.
        ids = np.array(ids, copy=True)
        ids[~ids.any(axis=1), 0] = 1  # [UNK]
        return np.asarray(self.model.predict_on_batch(ids), dtype=np.float64)

    def predict(self, text: str, k: int = 5) -> TextPrediction:
        start = time.perf_counter()
        from core.data.text import tokenize
        all_tokens = tokenize(text, self.split)
        ids = self.encoder.ids(all_tokens)
        raw = self.probabilities(ids[None])[0]
        p = self.calibration.apply(raw)
        seconds = time.perf_counter() - start
        tokens = all_tokens[:self.encoder.sequence_length]
        unknown_ids = [t.text for t, i in zip(tokens, ids) if i == 1]
        return TextPrediction(p, top_k(p, self.class_names, k), tokens, sorted(set(unknown_ids)),
                              len(all_tokens) - len(tokens), seconds, raw, len(unknown_ids))

    def predict_batch(self, texts) -> np.ndarray:
        """Calibrated class probabilities (N, classes) for many texts, `BATCH` per model call."""
        return self.calibration.apply(self.raw_batch(texts))

    def raw_batch(self, texts) -> np.ndarray:
        """The model's own probabilities (N, classes), before calibration."""
        texts = list(texts)
        out = np.zeros((len(texts), len(self.class_names)))
        for start in range(0, len(texts), BATCH):
            ids = np.stack([self.encoder.encode(str(t))[0] for t in texts[start:start + BATCH]])
            out[start:start + len(ids)] = self.probabilities(ids)
        return out

    def importance(self, text: str, class_index: int) -> list[tuple[Token, float]]:
        """Occlusion: drop each token in turn; importance = p(class | text) - p(class | text without it).

        Positive: the token pushed towards the class; negative: away from it. One batched call.
        """
        ids, tokens = self.encoder.encode(text)
        if not tokens:
            return []
        n = len(tokens)
        variants = np.zeros((n + 1, len(ids)), np.int32)
        variants[0] = ids
        for i in range(n):
            without = np.delete(ids[:n], i)
            variants[i + 1, :n - 1] = without
        p = self.probabilities(variants)[:, class_index]
        return [(token, float(p[0] - p[i + 1])) for i, token in enumerate(tokens)]

    @property
    def has_attention(self) -> bool:
        import keras
        return any(isinstance(layer, keras.layers.MultiHeadAttention) for layer in self.model.layers)

    def attention(self, text: str) -> AttentionMap:
        """Self-attention weights of every block and head, for the tokens of `text`."""
        import keras
        ids, tokens = self.encoder.encode(text)
        scores = []

        def capture(operation):
            if not isinstance(operation, keras.layers.MultiHeadAttention):
                return operation

            def call(*args, **kwargs):
                output, weights = operation(*args, return_attention_scores=True, **kwargs)
                scores.append(weights)
                return output
            return call
        # Keras 3 cannot make attention scores outputs of a functional model ("not connected"),
        # so run the model's own graph once, eagerly, asking each attention layer for its weights.
        probabilities = self.model._run_through_graph(keras.ops.convert_to_tensor(ids[None]),
                                                      operation_fn=capture)
        n = len(tokens)
        weights = np.stack([np.asarray(s)[0, :, :n, :n] for s in scores]) if scores else np.zeros((0, 0, n, n))
        return AttentionMap(tokens, weights, np.asarray(probabilities, dtype=np.float64)[0])


def bundled_available() -> bool:
    return (paths.ASSETS_DIR / "models" / "topic_classifier.keras").exists()


def load_bundled(entry, progress=None, calibrated: bool = True) -> TextClassifier:
    """A bundled text model (its .keras and .json in assets/models), calibrated with the temperature
    in assets/models/calibration.json (`calibrated=False`: the raw model)."""
    import keras

    import core.models.layers  # noqa: F401 - registers the studio's custom layers for loading
    meta = _bundled_meta(entry.key)
    model = keras.models.load_model(paths.ASSETS_DIR / "models" / f"{entry.key}.keras", safe_mode=True)
    classifier = TextClassifier(model, meta["classes"], meta["vocabulary"], meta["split"],
                                meta["sequence_length"], entry.card(),
                                bundled_calibration(entry.key) if calibrated else UNCALIBRATED)
    classifier.warm_up()
    return classifier


def load_bundled_head(entry, progress=None, calibrated: bool = True) -> "SentenceHeadClassifier":
    """A bundled head on the frozen sentence encoder (assets/make_business_text_models.py made it):
    the head's .keras and .json in assets/models, calibrated with the temperature its script fitted."""
    import keras

    from core.calibration import UNCALIBRATED, Calibration
    meta = _bundled_meta(entry.key)
    progress = progress or (lambda fraction, message: None)
    progress(0.1, f"Loading the sentence encoder ({meta.get('encoder', MINILM)})")
    model = keras.models.load_model(paths.ASSETS_DIR / "models" / f"{entry.key}.keras", safe_mode=True)
    calibration = Calibration.from_dict(meta["calibration"]) if calibrated and "calibration" in meta else UNCALIBRATED
    classifier = SentenceHeadClassifier(model, meta["classes"], entry.card(), calibration,
                                        encoder_key=meta.get("encoder", MINILM))
    classifier.warm_up()
    progress(1.0, "Ready")
    return classifier


def head_available(key: str) -> bool:
    from core.catalog import CATALOG
    path = paths.ASSETS_DIR / "models" / f"{key}.keras"
    return path.exists() and CATALOG[_bundled_meta(key).get("encoder", MINILM)].is_available()


def business_topics_available() -> bool:
    return head_available("business_topics")


def business_sentiment_available() -> bool:
    return head_available("business_sentiment")


def bundled_card_facts(entry) -> dict:
    """The card assets/make_topic_model.py wrote when it made (and measured) the model."""
    card = bundled_card(entry.key)
    return {**card, "title": _bundled_meta(entry.key).get("title") or entry.title}


def _bundled_meta(key: str) -> dict:
    return json.loads((paths.ASSETS_DIR / "models" / f"{key}.json").read_text(encoding="utf-8"))


def bundled_card(key: str) -> dict:
    meta = _bundled_meta(key)
    held_out = meta.get("held_out", {})
    return {"title": meta.get("title", key), "trained on": meta.get("trained on", ""),
            "classes": meta["classes"], "number of classes": len(meta["classes"]),
            "accuracy": f"{held_out['accuracy']:.1%} on {held_out['examples']:,} held-out texts "
                        f"(always guessing the largest class: {held_out['majority_baseline']:.1%})"
            if "accuracy" in held_out else "not evaluated",
            "parameters": f"{meta.get('parameters', 0):,}",
            "file size": f"{(paths.ASSETS_DIR / 'models' / f'{key}.keras').stat().st_size / 2**20:.1f} MB",
            **({"architectures compared": ", ".join(
                f"{c['title']} {c['mean_held_out_accuracy']:.1%}" for c in meta["comparison"].values()
                if isinstance(c, dict) and "mean_held_out_accuracy" in c) + " (held-out, mean of 3 seeds)"}
               if "comparison" in meta else {}),
            **({"reads": meta["reads"]} if "reads" in meta else {}),
            "weights licence": meta.get("weights licence", ""), "corpus licence": meta.get("licence", ""),
            "source": meta.get("source", "")}


MAX_OCCLUDED_WORDS = 128
MINILM = "minilm_l6_v2"
# The catalogue's sentence encoders a head can read, by key: their process-wide loaders, and whether
# they learnt English only (another language's answer is then a guess).
HEAD_ENCODERS = {MINILM: ("core.meaning.encoder:load_encoder", True),
                 "multilingual_e5_small": ("core.meaning.e5:load_encoder", False)}


class SentenceHeadClassifier:
    """A trained head as a lab classifier (the Text Lab's interface): texts are encoded first by
    the frozen encoder the head was trained on (`encoder_key`, a catalogue key)."""
    has_attention = False
    split = "whitespace"   # how words are cut for the occlusion explanation

    def __init__(self, model, class_names: list[str], card: dict, calibration=None, encoder_key: str = MINILM):
        from core.calibration import UNCALIBRATED
        self.model, self.class_names, self.card = model, list(class_names), dict(card)
        self.calibration = calibration or UNCALIBRATED
        self.label_help: dict[str, str] = {}
        self.encoder_key = encoder_key
        self.card.setdefault("reads", f"sentence vectors of the frozen {encoder_key} encoder")

    @classmethod
    def from_keras(cls, model, labels: list[str], preprocessing: dict, card: dict) -> "SentenceHeadClassifier":
        return cls(model, labels, card)

    @property
    def encoder(self):
        from core.catalog import resolve
        return resolve(HEAD_ENCODERS[self.encoder_key][0])()

    @property
    def english_only(self) -> bool:
        return HEAD_ENCODERS[self.encoder_key][1]

    def raw_batch(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(self.class_names)))
        # The head is one small layer: called eagerly, any batch size costs no retrace (occlusion's
        # batch is a text's word count plus one; predict_on_batch traced a new graph for each).
        vectors = self.encoder.encode(texts)
        return np.asarray(self.model(vectors, training=False), dtype=np.float64)

    dataset_probabilities = raw_batch

    def predict_batch(self, texts) -> np.ndarray:
        return self.calibration.apply(self.raw_batch(texts))

    def read(self, text: str):
        """(the part of `text` the encoder reads, its words, the words left unread). An encoder reads
        its first few hundred word pieces (MiniLM 256): the words after about MAX_OCCLUDED_WORDS
        change nothing, and encoding 20,000 characters for each of them would take minutes."""
        from core.data.text import tokenize
        tokens = [t for t in tokenize(text, self.split) if t.text]
        if len(tokens) <= MAX_OCCLUDED_WORDS:
            return text, tokens, 0
        kept = tokens[:MAX_OCCLUDED_WORDS]
        return text[:kept[-1].end], kept, len(tokens) - len(kept)

    def predict(self, text: str, k: int = 5):
        from core.inference import top_k
        start = time.perf_counter()
        read, tokens, cut = self.read(text)
        raw = self.raw_batch([read])[0]
        p = self.calibration.apply(raw)
        # The encoder has its own 30,522-piece vocabulary: no word is unknown to it, but MiniLM learnt
        # English only, so another language gets an answer that is a guess.
        from core.meaning.documents import mostly_not_english
        return TextPrediction(p, top_k(p, self.class_names, k), tokens, [], cut, time.perf_counter() - start, raw,
                              0, not_english=self.english_only and mostly_not_english([read]))

    def importance(self, text: str, class_index: int):
        """Occlusion: p(class | text) - p(class | text without the word), every word in one batch."""
        text, tokens, _ = self.read(text)
        if not tokens:
            return []
        variants = [text] + [text[:t.start] + text[t.end:] for t in tokens]
        p = self.raw_batch(variants)[:, class_index]
        return [(t, float(p[0] - p[i + 1])) for i, t in enumerate(tokens)]

    explain = importance

    def warm_up(self) -> None:
        self.raw_batch(["warm up"])
