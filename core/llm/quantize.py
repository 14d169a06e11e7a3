"""Made cheaper to run: Keras int8 quantization and how much it changes the answers.

`model.quantize("int8", config=Int8QuantizationConfig(activation_quantizer=None))` replaces each
projection's float32 kernel by int8 values and one float scale per output row (w ~ q / scale),
and the tied embedding by int8 rows with one scale per token: 4x less memory to stream per
token. Activations stay float32 (weight-only): TensorFlow's int8 x int8 matmul on CPU was slower
than float32 here, while XLA fuses "convert int8 -> float, multiply" into one pass over memory.
"""
from __future__ import annotations

import contextlib
import gc
import warnings

import numpy as np


@contextlib.contextmanager
def _one_garbage_collection():
    """Keras runs gc.collect() for every variable a layer drops (keras/src/layers/layer.py,
    Layer.__delattr__); with TensorFlow loaded that is about a second each, 4 minutes for this
    model's 211 layers on a busy machine. Collect once at the end instead."""
    collect = gc.collect
    gc.collect = lambda *args, **kwargs: 0
    try:
        yield
    finally:
        gc.collect = collect
        gc.collect()


def quantize_int8(model) -> None:
    """In place. Needs a built model with its weights loaded."""
    from .lm import int8_config
    config = int8_config()
    with _one_garbage_collection(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Layer .* does not have a `quantize` method")
        model.quantize("int8", config=config)   # every EinsumDense projection (norms stay float)
        # Keras quantizes only exact Embedding layers; TiedEmbedding adds `logits` and nothing
        # that changes how its table is stored, so its int8 table is the same as Embedding's.
        model.embed.quantize("int8", type_check=False, config=config)


def same_next_token(a, b, prompts: list[str]) -> float:
    """Fraction of prompts on which two LanguageModels pick the same greedy next token."""
    same = [int(np.argmax(a.engine.logits(a.encode(p)))) == int(np.argmax(b.engine.logits(b.encode(p))))
            for p in prompts]
    return sum(same) / len(same)


def perplexity(lm, text: str, max_tokens: int = 256) -> float:
    """exp(mean negative log-likelihood of each token given the ones before it)."""
    ids = lm.encode(text)[:max_tokens]
    if len(ids) < 2:
        raise ValueError("Perplexity needs at least two tokens of text")
    logits = np.asarray(lm.model(np.asarray([ids], np.int32)), np.float64)[0, :-1]
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(np.exp(-logp[np.arange(len(ids) - 1), ids[1:]].mean()))


AGREEMENT_PROMPTS = [
    "The capital of France is",
    "Dear customer, thank you for your",
    "def add(a, b):\n    return",
    "The meeting has been moved to",
    "Water boils at a temperature of",
    "Please find attached the",
]
