"""Zero-shot labels: no training at all. Each label is turned into a sentence ("This text is about
delivery."), encoded like the texts, and a text's probabilities are a softmax over its cosine
similarity to each label, sharpened by a temperature (cosines of related sentences differ by
a few hundredths; dividing by 0.05 turns those differences into clear probabilities)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

TEMPERATURE = 0.05
TEMPLATE = "This text is about {}."
MAX_LABELS = 20
Progress = Callable[[float, str], None]


class LabelError(ValueError):
    """Labels that cannot be used; the message says why."""


def parse_labels(text: str) -> list[str]:
    """Comma- or line-separated labels, trimmed, duplicates (ignoring case) dropped."""
    labels, seen = [], set()
    for part in text.replace("\n", ",").split(","):
        label = part.strip()
        if label and label.lower() not in seen:
            seen.add(label.lower())
            labels.append(label)
    if len(labels) < 2:
        raise LabelError("Give at least two labels, separated by commas (for example: delivery, refund, "
                         "account): with one label every text would get it with certainty.")
    if len(labels) > MAX_LABELS:
        raise LabelError(f"{len(labels)} labels were given; up to {MAX_LABELS} are compared at once.")
    return labels


def softmax(scores: np.ndarray, temperature: float = TEMPERATURE) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class ZeroShot:
    def __init__(self, encoder, labels: Sequence[str], template: str = TEMPLATE, temperature: float = TEMPERATURE):
        self.encoder, self.labels, self.temperature = encoder, list(labels), temperature
        self.label_vectors = encoder.encode([template.format(label) for label in self.labels])

    def probabilities(self, texts: Sequence[str], batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """(N, labels) probabilities, each row summing to 1."""
        vectors = self.encoder.encode(list(texts), batch_size=batch_size, progress=progress)
        return softmax(vectors @ self.label_vectors.T, self.temperature)

    def label_table(self, texts: Sequence[str], progress: Progress | None = None):
        """A DataFrame: text, the best label, its probability, then one column per label."""
        import pandas as pd
        p = self.probabilities(texts, progress=progress)
        table = pd.DataFrame({"text": list(texts), "label": [self.labels[i] for i in p.argmax(1)],
                              "probability": p.max(1)})
        for j, label in enumerate(self.labels):
            table[f"p({label})"] = p[:, j]
        return table
