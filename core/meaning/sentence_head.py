"""What an exported head on a frozen sentence encoder's vectors reads (core/export.py asks for it).
The head is trained by core.training.strategies.SentenceEncoderHead and used in the labs as
core.text.classify.SentenceHeadClassifier."""
from __future__ import annotations

import numpy as np


# -- export: what the head reads, for the exported package ------------------------------------------

SENTENCE_PREPARE = r'''import numpy as np
# The model reads a text's 384-number sentence vector from all-MiniLM-L6-v2 (mean pooling, unit length):
# the frozen encoder it was trained on (pip install sentence-transformers; the studio: core/meaning/encoder.py).
from sentence_transformers import SentenceTransformer
text = open("{{example}}", encoding="utf-8").read()  # or any text
encoder = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
x = encoder.encode([text], normalize_embeddings=True).astype(np.float32)
'''


def sentence_modality():
    """The text modality of a head on sentence vectors (core/export.py asks for it by the run's
    preprocessing.json): its inputs are vectors of the frozen encoder, not token ids."""
    from core.modalities.base import fill
    from core.modalities.text import TextModality

    class SentenceVectors(TextModality):
        def describe_input(self, shape, preprocessing) -> str:
            return (f"{shape[0]} numbers: the text's sentence vector from the frozen all-MiniLM-L6-v2 encoder "
                    "(mean of its token vectors, scaled to length 1).")

        def prepare_code(self, shape, preprocessing, example, export_dir) -> str:
            return fill(SENTENCE_PREPARE, example=example)

        def encode(self, raw, preprocessing, model):
            from core.meaning import encoder as enc
            return enc.load_encoder().encode([str(text) for text in raw])

        def random_inputs(self, rng, shape, preprocessing):
            x = rng.standard_normal(shape)
            return x / np.linalg.norm(x, axis=-1, keepdims=True)  # unit length, like the encoder's

        def example_from_random(self, x0, preprocessing):
            return "My parcel never came."

    return SentenceVectors()
