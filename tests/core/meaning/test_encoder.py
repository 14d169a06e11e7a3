"""The Keras port of all-MiniLM-L6-v2 against an independent NumPy forward pass of BERT, written here
from the published tensors (Hugging Face names, torch layout) without any of the port's code."""
from __future__ import annotations

import math

import os

import numpy as np
import pytest

from core.meaning import encoder as enc

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips

pytestmark = pytest.mark.skipif(not enc.available() and not IN_CI, reason=enc.missing_message())

SENTENCES = ["My parcel never came.", "The delivery was delayed by three days.",
             "How do I reset my password?", "A cat is sleeping on the warm windowsill in the afternoon sun."]


def layer_norm(x, g, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def numpy_bert(w, ids):
    """One sentence (no padding) -> its mean-pooled, normalised embedding."""
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    for i in range(6):
        p = f"encoder.layer.{i}."
        lin = lambda t, name: t @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # noqa: E731
        q, k, v = (lin(x, f"attention.self.{name}").reshape(n, 12, 32).transpose(1, 0, 2)
                   for name in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(32)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(1, 0, 2).reshape(n, 384)
        x = layer_norm(x + lin(context, "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        hidden = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(hidden, "output.dense"),
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_keras_port_matches_an_independent_numpy_bert():
    encoder = enc.load_encoder()
    weights = {k: v.astype(np.float64) for k, v in enc.source_weights().items() if v.dtype == np.float32}
    ours = encoder.encode(SENTENCES)  # one padded batch: padding must not change any sentence's vector
    for sentence, vector, ids in zip(SENTENCES, ours, encoder.token_ids(SENTENCES)):
        reference = numpy_bert(weights, ids)
        assert float(vector @ reference) >= 0.999, sentence
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_tokenizer_does_not_pad_to_128_and_batches_keep_order():
    encoder = enc.load_encoder()
    ids = encoder.token_ids(["hello"])[0]
    assert len(ids) == 3 and ids[0] == 101 and ids[-1] == 102  # [CLS] hello [SEP]
    one_by_one = np.stack([encoder.encode_one(s) for s in SENTENCES])
    assert np.allclose(one_by_one, encoder.encode(SENTENCES, batch_size=3), atol=1e-4)
    assert encoder.encode([]).shape == (0, 384)
