"""Search a document set two ways, side by side: by meaning (cosine similarity of sentence vectors)
and by words (BM25, the classic keyword ranking of search engines).

An index is the documents' vectors, stored in the data directory under a name made from the
texts and the encoder (meaning/indexes/<hash>.npy), so a document set is encoded once and reused
by every later visit, page refresh and process.
"""
from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core import paths

Progress = Callable[[float, str], None]


@dataclass
class Hit:
    index: int
    text: str
    score: float


def index_key(texts: Sequence[str], model_key: str = "minilm_l6_v2") -> str:
    digest = hashlib.sha256(model_key.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "replace") + b"\x00")
    return digest.hexdigest()[:24]


def index_path(key: str) -> Path:
    folder = paths.data_dir() / "meaning" / "indexes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.npy"


class SemanticIndex:
    """The documents and their unit vectors; `search` ranks by cosine similarity (a dot product)."""

    def __init__(self, texts: list[str], vectors: np.ndarray, reused: bool = False, seconds: float = 0.0):
        self.texts, self.vectors, self.reused, self.seconds = texts, vectors, reused, seconds

    @classmethod
    def build(cls, encoder, texts: Sequence[str], progress: Progress | None = None) -> "SemanticIndex":
        """Encode `texts` (or read their stored vectors when this set was indexed before)."""
        texts = list(texts)
        path = index_path(index_key(texts, getattr(encoder, "key", "minilm_l6_v2")))  # one index per encoder
        started = time.perf_counter()
        if path.exists():
            vectors = np.load(path)
            if vectors.shape == (len(texts), encoder.dimension):
                return cls(texts, vectors, reused=True, seconds=time.perf_counter() - started)
        vectors = encoder.encode(texts, progress=progress)
        temporary = path.with_suffix(".part.npy")
        np.save(temporary, vectors)
        temporary.replace(path)  # never a half-written index for the next reader
        return cls(texts, vectors, reused=False, seconds=time.perf_counter() - started)

    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        return self.vectors @ query_vector

    def search(self, query_vector: np.ndarray, k: int = 5) -> list[Hit]:
        return top_hits(self.scores(query_vector), self.texts, k)


def top_hits(scores: np.ndarray, texts: Sequence[str], k: int) -> list[Hit]:
    k = min(k, len(texts))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [Hit(int(i), texts[i], float(scores[i])) for i in best]


# -- keyword search ----------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25:
    """Okapi BM25 (k1 = 1.5, b = 0.75): documents that share the query's rarer words rank first.
    A document with none of the query's words scores 0, however close its meaning."""

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75):
        self.texts = list(texts)
        self.k1, self.b = k1, b
        self.counts = [Counter(words(t)) for t in self.texts]
        self.lengths = np.array([sum(c.values()) for c in self.counts], float)
        self.average = float(self.lengths.mean()) if len(self.texts) else 0.0
        frequency = Counter(word for c in self.counts for word in c)
        n = len(self.texts)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items()}
        self.postings: dict[str, list[int]] = {}
        for i, c in enumerate(self.counts):
            for word in c:
                self.postings.setdefault(word, []).append(i)

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(len(self.texts))
        for word in set(words(query)):
            for i in self.postings.get(word, ()):
                tf = self.counts[i][word]
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / max(self.average, 1e-9))
                scores[i] += self.idf[word] * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The top `k` documents that share at least one word with the query."""
        scores = self.scores(query)
        return [hit for hit in top_hits(scores, self.texts, k) if hit.score > 0]


# Below this lift the best match does not stand out. On the help desk (374 documents), queries it
# answers lift 0.56-0.79 (MiniLM) and 0.32-0.57 (e5); unrelated ones ("How do I change the colour of
# my car?", "asdf qwer zxcv") 0.13-0.25 on both (measured 2026-12-07).
STANDS_OUT_FROM = 0.28


def lift(score: float, typical: float) -> float:
    """How far a score lies above the typical document's, as a share of the way to a perfect 1.0.

    Each encoder has its own scale: MiniLM's unrelated documents score about 0.0-0.2, e5's about 0.8,
    so a raw 0.85 says nothing (e5 gives every document 0.80-0.88). Measured from the median document
    the two read alike: 0 is typical, 1 is identical."""
    return (score - typical) / max(1.0 - typical, 1e-6)


def search_both(encoder, index: SemanticIndex, keyword: BM25, query: str, k: int = 5) -> dict:
    """One query, both ways: {'meaning': [Hit], 'keywords': [Hit], 'query_seconds': time to encode
    it, 'typical': the median document's score, 'standout': the best match's lift above it}."""
    started = time.perf_counter()
    # e5 encodes a query unlike a document (its "query: " prefix); MiniLM encodes both alike.
    vector = encoder.encode_query(query) if hasattr(encoder, "encode_query") else encoder.encode_one(query)
    encoded = time.perf_counter()
    scores = index.scores(vector)
    meaning = top_hits(scores, index.texts, k)
    searched = time.perf_counter()
    typical = float(np.median(scores)) if len(scores) else 0.0
    return {"meaning": meaning, "keywords": keyword.search(query, k), "typical": typical,
            "standout": lift(meaning[0].score, typical) if meaning else 0.0,
            "query_seconds": encoded - started, "search_seconds": searched - encoded}
