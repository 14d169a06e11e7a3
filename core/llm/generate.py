"""Decoding: the next-token distribution, sampling, and streamed generation with a KV cache.

How one answer is made: the prompt goes through the model once ("prefill"), which writes every
layer's keys and values into a cache of fixed size, in place; then each new token is one step
that writes its own key and value and computes only the new position. Both are tf.functions
with fixed signatures, traced once per process (`Engine.warm_up`): the step is XLA-compiled
(XLA fuses each layer's small operations, and for int8 the int8 -> float conversion into each
product; attention runs over the whole fixed-size cache, the unwritten part masked); the prefill
is a plain graph accepting any prompt length. `jit=False` makes the step a plain graph too.

One cache per engine, owned by one `Sequence` at a time; a lock makes each step atomic, and a
sequence that finds the cache taken by another is fed again from its start, so two callers can
interleave without ever mixing their tokens (slower, never wrong).

Sampling is plain NumPy on the 49,152 probabilities, so the page can show exactly what was cut:
temperature -> top-k -> top-p, then a draw from a seeded generator.
"""
from __future__ import annotations

import codecs
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

# ---------------------------------------------------------------- sampling (pure functions)


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0    # 0 = greedy (always the most likely token)
    top_k: int = 0              # 0 = no limit
    top_p: float = 1.0          # 1 = no limit

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


GREEDY = Sampling()


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    z = np.exp(z - z.max())
    return z / z.sum()


def top_k_mask(probs: np.ndarray, k: int) -> np.ndarray:
    """True for the k most likely tokens (ties broken by lower id); k <= 0 keeps all."""
    if k <= 0 or k >= probs.size:
        return np.ones(probs.shape, bool)
    order = np.argsort(-probs, kind="stable")
    mask = np.zeros(probs.shape, bool)
    mask[order[:k]] = True
    return mask


def top_p_mask(probs: np.ndarray, p: float) -> np.ndarray:
    """The nucleus: the fewest most-likely tokens whose probabilities add up to at least p.
    A token is kept when the tokens ranked above it add up to less than p (so the token that
    crosses p is kept, and at least one token always is)."""
    if p >= 1.0:
        return np.ones(probs.shape, bool)
    order = np.argsort(-probs, kind="stable")
    before = np.cumsum(probs[order]) - probs[order]
    mask = np.zeros(probs.shape, bool)
    mask[order[before < p]] = True
    mask[order[0]] = True
    return mask


@dataclass
class Distribution:
    """One next-token choice: the model's probabilities at temperature 1, after temperature,
    what top-k / top-p keep, and the renormalised distribution a token is drawn from."""
    raw: np.ndarray
    tempered: np.ndarray
    kept: np.ndarray
    final: np.ndarray

    def top(self, n: int = 10, which: str = "final") -> list[tuple[int, float]]:
        probs = getattr(self, which)
        order = np.argsort(-probs, kind="stable")[:n]
        return [(int(i), float(probs[i])) for i in order]


def distribution(logits: np.ndarray, sampling: Sampling = GREEDY) -> Distribution:
    raw = softmax(logits)
    if sampling.greedy:
        kept = np.zeros(raw.shape, bool)
        kept[int(np.argmax(raw))] = True
        return Distribution(raw, raw, kept, kept.astype(np.float64))
    tempered = softmax(logits, sampling.temperature)
    kept = top_k_mask(tempered, sampling.top_k)
    # top-p is applied to what top-k left, renormalised (the usual order of the two filters)
    after_k = np.where(kept, tempered, 0.0)
    kept &= top_p_mask(after_k / after_k.sum(), sampling.top_p)
    final = np.where(kept, tempered, 0.0)
    return Distribution(raw, tempered, kept, final / final.sum())


def choose(dist: Distribution, rng: np.random.Generator | None) -> int:
    if rng is None or dist.kept.sum() == 1:
        return int(np.argmax(dist.final))
    return int(rng.choice(dist.final.size, p=dist.final))


# ---------------------------------------------------------------- compiled model steps


class CacheSlot:
    """One layer's keys and values, (1, context, K, D) float32 variables written in place: a step
    writes only its own positions instead of copying the whole cache (47 MB for 30 layers) three
    times over, as a functional update would."""

    def __init__(self, shape: tuple, fixed: bool):
        import tensorflow as tf
        self.k = tf.Variable(tf.zeros(shape), trainable=False)
        self.v = tf.Variable(tf.zeros(shape), trainable=False)
        self.fixed = fixed

    def update(self, k, v, start):
        """Write this step's keys/values at start.., return the keys/values queries may look at:
        positions 0..start+T-1 (a plain graph takes any length), or the whole cache where XLA
        needs fixed shapes (the attention's causal mask hides the unwritten rest)."""
        import tensorflow as tf
        from keras import ops
        if self.fixed:
            # XLA would take a strided slice's bounds as compile-time constants and compile the
            # step again for every position; a dynamic update slice takes them at run time.
            k = ops.slice_update(self.k.read_value(), (0, start, 0, 0), k)
            v = ops.slice_update(self.v.read_value(), (0, start, 0, 0), v)
            self.k.assign(k)
            self.v.assign(v)
            return k, v
        end = start + tf.shape(k)[1]
        self.k[:, start:end].assign(k)
        self.v[:, start:end].assign(v)
        return self.k[:, :end], self.v[:, :end]

    @classmethod
    def view(cls, slot: "CacheSlot") -> "CacheSlot":
        """The same variables, read up to the written end (for a plain-graph prefill)."""
        other = cls.__new__(cls)
        other.k, other.v, other.fixed = slot.k, slot.v, False
        return other


class KVCache:
    """Keys and values of every layer: one CacheSlot per block."""

    def __init__(self, model, context: int, fixed: bool = False):
        c = model.cfg
        self.context = context
        self.slots = [CacheSlot((1, context, c.kv_heads, c.head_dim), fixed) for _ in range(c.layers)]

    @property
    def nbytes(self) -> int:
        return sum(int(np.prod(s.k.shape)) * 4 * 2 for s in self.slots)


class Sequence:
    """One conversation's tokens so far; the engine's cache holds them while it is the owner."""

    def __init__(self):
        self.ids: list[int] = []


class Engine:
    """Compiled prefill and one-token step over one shared cache; thread-safe.

    Both functions are traced once (fixed signatures, the cache captured as variables). The
    cache belongs to one Sequence at a time: when another sequence takes a step, its tokens are
    fed again first, so interleaved callers cost a re-read but never see each other's tokens."""

    def __init__(self, model, context: int = 1024, jit: bool = True):
        import tensorflow as tf
        if context > model.max_positions:
            raise ValueError(f"context {context} exceeds the model's {model.max_positions} positions")
        self.model, self.context = model, context
        self.lock = threading.RLock()
        self._owner: Sequence | None = None
        self._length = 0
        # The prefill is a plain graph (any prompt length, keys up to the prompt's end); the step
        # is XLA-compiled when jit, which needs the whole, fixed-size cache as keys.
        self.cache = KVCache(model, context, fixed=jit)
        prefill_slots = self.cache.slots if not jit else [
            CacheSlot.view(slot) for slot in self.cache.slots]

        def runner(slots):
            def run(ids, start):
                return model.forward(ids, start, slots)["logits"][0, -1]
            return run

        self._prefill = tf.function(runner(prefill_slots), input_signature=[
            tf.TensorSpec((1, None), tf.int32), tf.TensorSpec((), tf.int32)])
        self._step = tf.function(runner(self.cache.slots), jit_compile=jit, input_signature=[
            tf.TensorSpec((1, 1), tf.int32), tf.TensorSpec((), tf.int32)])
        self._tf = tf

    def _feed(self, ids: list[int], start: int) -> np.ndarray:
        tf = self._tf
        fn = self._step if len(ids) == 1 else self._prefill
        return fn(tf.constant([ids], tf.int32), tf.constant(start, tf.int32)).numpy()

    def extend(self, seq: Sequence, new_ids: list[int]) -> np.ndarray:
        """Append tokens to a sequence; returns the logits for the token after them."""
        if not new_ids:
            raise ValueError("No tokens to feed")
        if len(seq.ids) + len(new_ids) > self.context:
            raise ValueError(f"{len(seq.ids) + len(new_ids)} tokens do not fit the "
                             f"{self.context}-token context")
        with self.lock:
            if self._owner is not seq or self._length != len(seq.ids):
                new_ids, start = seq.ids + list(new_ids), 0      # cache held another sequence
            else:
                start = len(seq.ids)
            logits = self._feed(list(new_ids), start)
            seq.ids = (seq.ids[:start] + list(new_ids)) if start else list(new_ids)
            self._owner, self._length = seq, len(seq.ids)
        return logits

    def logits(self, ids: list[int]) -> np.ndarray:
        """Logits after a fresh sequence of ids (no sequence kept)."""
        return self.extend(Sequence(), list(ids))

    def warm_up(self) -> None:
        """Compile both functions now, so the first answer does not wait for it."""
        seq = Sequence()
        self.extend(seq, [1, 2])
        self.extend(seq, [3])


# ---------------------------------------------------------------- streamed generation


@dataclass
class TokenStep:
    id: int
    text: str                        # new text this token completes (may be "" mid-character)
    dist: Distribution               # what it was chosen from (top() gives the alternatives)
    index: int                       # 0 for the first generated token
    seconds: float                   # since the start (prefill included)


def fit_prompt(ids: list[int], context: int, max_new_tokens: int) -> tuple[list[int], int]:
    """Keep the end of a prompt that is too long: returns (kept ids, number dropped)."""
    room = max(context - max_new_tokens, 1)
    if len(ids) <= room:
        return list(ids), 0
    return list(ids[-room:]), len(ids) - room


def generate(engine: Engine, prompt_ids: list[int], tokenizer, max_new_tokens: int = 128,
             sampling: Sampling = GREEDY, seed: int | None = 0,
             should_stop: Callable[[], bool] | None = None,
             stop_ids: tuple[int, ...] | None = None) -> Iterator[TokenStep]:
    """Yield generated tokens one by one as they are made. Stops at an end token, at
    max_new_tokens, when the context is full, or as soon as should_stop() returns True.
    The same seed and settings give the same tokens."""
    if not prompt_ids:
        raise ValueError("The prompt is empty")
    stop_ids = stop_ids if stop_ids is not None else (tokenizer.eos_id, tokenizer.special.get("<|endoftext|>", 0))
    rng = None if sampling.greedy else np.random.default_rng(seed)
    seq = Sequence()
    ids, _ = fit_prompt(prompt_ids, engine.context, max_new_tokens)
    t0 = time.perf_counter()
    logits = engine.extend(seq, ids)
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for index in range(max_new_tokens):
        if should_stop and should_stop():
            return
        dist = distribution(logits, sampling)
        token = choose(dist, rng)
        if token in stop_ids:
            return
        text = utf8.decode(tokenizer.token_bytes(token))
        yield TokenStep(token, text, dist, index, time.perf_counter() - t0)
        if len(seq.ids) >= engine.context or index == max_new_tokens - 1:
            return
        logits = engine.extend(seq, [token])
