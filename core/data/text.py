"""Text to token ids, with a vocabulary that is stored next to the model so inference matches."""
from __future__ import annotations

import numpy as np

SPLITS = ("whitespace", "character")  # character-level suits languages without spaces (Chinese)


def fit_vocabulary(texts, split: str = "whitespace", max_tokens: int = 20000) -> list[str]:
    """Adapt a TextVectorization layer on `texts`; returns its vocabulary ('' and '[UNK]' first)."""
    import keras
    layer = keras.layers.TextVectorization(max_tokens=max_tokens, split=split,
                                           standardize="lower_and_strip_punctuation")
    layer.adapt(np.asarray(texts, dtype=object).astype(str))
    return [str(token) for token in layer.get_vocabulary()]


def vectorize(texts, vocabulary: list[str], split: str = "whitespace",
              sequence_length: int = 64) -> np.ndarray:
    """Token ids (0 = padding, 1 = unknown), padded or cut to `sequence_length`."""
    import keras
    layer = keras.layers.TextVectorization(vocabulary=vocabulary[2:], split=split,
                                           standardize="lower_and_strip_punctuation",
                                           output_sequence_length=sequence_length)
    return np.asarray(layer(np.asarray(texts, dtype=object).astype(str)), dtype=np.int32)
