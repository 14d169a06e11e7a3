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


def int8_config():
    """Keras int8, weights only: one scale per output row, activations stay float32."""
    import keras
    return keras.quantizers.Int8QuantizationConfig(activation_quantizer=None)


def quantize_as(model, precision: str | None) -> None:
    """In place: "int8" (quantize_int8) or None (float32, as loaded); anything else is refused."""
    if precision == "int8":
        quantize_int8(model)
    elif precision:
        raise ValueError(f"Unknown quantization {precision!r} (use 'int8' or None)")


def quantize_int8(model) -> None:
    """In place. Needs a built model with its weights loaded."""
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

# A paragraph written for this check (not from the model's training data as far as anyone can
# know): how surprised the model is by ordinary business English, before and after int8.
HELD_OUT_TEXT = (
    "Thank you for your message about the delayed shipment. We checked with our warehouse this "
    "morning: your parcel left on Tuesday and should arrive before the end of the week. We are sorry "
    "for the wait. As a small thank-you for your patience, the delivery fee for your next order is on "
    "us. If anything is missing or damaged when it arrives, reply to this email with a photo and we "
    "will send a replacement the same day. The quarterly report is attached; the sales figures for "
    "the northern region are still provisional and will be confirmed at the meeting on Monday.")


def process_memory() -> int | None:
    """This process's resident memory in bytes (what the operating system counts), or None."""
    try:
        import psutil
        return int(psutil.Process().memory_info().rss)
    except Exception:  # noqa: BLE001 - a figure we cannot read is shown as missing, never a crash
        return None


def measure(lm, decode_tokens: int = 32) -> dict:
    """What the int8 switch changes, measured on one loaded model: weight memory, the process's
    memory, greedy decoding speed, the greedy next token on AGREEMENT_PROMPTS (compared with the
    other precision by `agreement`) and perplexity on HELD_OUT_TEXT."""
    import time
    prompt = lm.chat_ids("Write a short note to a colleague about the team meeting.")
    t0 = time.perf_counter()
    seconds = [step.seconds for step in lm.generate(prompt, decode_tokens)]
    elapsed = time.perf_counter() - t0
    decode = (len(seconds) - 1) / (seconds[-1] - seconds[0]) if len(seconds) > 1 and seconds[-1] > seconds[0] else None
    return {"mode": lm.quantization or "float32", "weight_bytes": lm.weight_bytes(),
            "process_bytes": process_memory(), "tokens_per_second": decode, "tokens": len(seconds),
            "first_token_seconds": seconds[0] if seconds else None, "seconds": elapsed,
            "next_tokens": [int(np.argmax(lm.engine.logits(lm.encode(p)))) for p in AGREEMENT_PROMPTS],
            "perplexity": perplexity(lm, HELD_OUT_TEXT)}


def agreement(a: dict, b: dict) -> float:
    """Share of AGREEMENT_PROMPTS on which two measurements chose the same next token."""
    pairs = list(zip(a["next_tokens"], b["next_tokens"]))
    return sum(x == y for x, y in pairs) / len(pairs)
