"""A map of a document set: its 384-number vectors squeezed to two (PCA: the two directions of most
variation; t-SNE: keeps each document near its nearest neighbours), clusters when there are no
labels, and the nearest neighbours of any document."""
from __future__ import annotations

import numpy as np

MAX_TSNE = 5_000   # t-SNE costs grow quickly; above this the map uses PCA


def project(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, 2) coordinates, one point per document (N >= 1)."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2))
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if method == "tsne" and n <= MAX_TSNE:
        from sklearn.manifold import TSNE
        perplexity = float(min(30, max(2, (n - 1) / 3)))
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)
    from sklearn.decomposition import PCA
    return PCA(2, random_state=seed).fit_transform(vectors)


def clusters(vectors: np.ndarray, k: int | None = None, seed: int = 0) -> np.ndarray:
    """A cluster number per document (k-means; k about the square root of N/2, 2 to 10)."""
    n = len(vectors)
    if n < 2:
        return np.zeros(n, int)
    from sklearn.cluster import KMeans
    k = k or int(np.clip(round(np.sqrt(n / 2)), 2, 10))
    return KMeans(min(k, n), n_init=4, random_state=seed).fit_predict(vectors)


def neighbours(vectors: np.ndarray, index: int, k: int = 5) -> list[tuple[int, float]]:
    """The `k` documents most similar in meaning to document `index` (itself left out)."""
    scores = vectors @ vectors[index]
    scores[index] = -np.inf
    k = min(k, len(vectors) - 1)
    if k <= 0:
        return []
    best = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in best]
