"""Texts: token ids looked up in a run's vocabulary (words, or characters), 0-padded."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.data.text import TEXT_PARAMS
from core.modalities.base import InputRefused, Modality, fill, shape_text, shown

TEXT_PREPARE = r'''import json
import re
import unicodedata
import numpy as np
preprocessing = json.load(open("preprocessing.json", encoding="utf-8"))
vocabulary, length = preprocessing["vocabulary"], preprocessing["sequence_length"]
text = open("{{example}}", encoding="utf-8").read()  # or any text


def standardize(piece):  # lowercase, punctuation dropped: the studio's tokenizer (split: {{split}})
    return "".join(c for c in unicodedata.normalize("NFKC", piece).lower()
                   if not unicodedata.category(c).startswith("P") and c not in "$+<=>^`|~")


{{tokens}}
index = {token: i for i, token in enumerate(vocabulary) if i >= 2}
ids = [index.get(token, 1) for token in tokens[:length]]  # 1: a token the model never saw
x = np.zeros((1, length), np.float32)  # 0: padding (the model takes the ids as float32)
x[0, :len(ids)] = ids
'''

TEXT_TOKENS = {
    "whitespace": r'''# Words; Chinese and Japanese characters one by one (they are written without spaces).
one_by_one = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
tokens = [standardize(part) for word in re.findall(r"\S+", text) for part in one_by_one.split(word)]
tokens = [token for token in tokens if token]''',
    "character": '''tokens = []  # one per character; "▁" for a run of spaces
for piece in re.findall(r"\\s+|\\S", text):
    token = "▁" if piece.isspace() else standardize(piece)
    if token and not (token == "▁" and (not tokens or tokens[-1] == "▁")):
        tokens.append(token)
if tokens and tokens[-1] == "▁":
    tokens.pop()''',
}


class TextModality(Modality):
    name = "text"
    noun = "texts"
    example_file = "example.txt"
    tokens = True

    def upload_params(self) -> dict:
        return TEXT_PARAMS

    def shape_label(self, shape) -> str:
        return "text"

    def describe_input(self, shape, preprocessing) -> str:
        return (f"{shape[0]} token ids (integers stored as float32): the text's tokens looked up in the "
                "vocabulary of preprocessing.json, 1 for an unknown token, 0-padded.")

    def prepare_code(self, shape, preprocessing, example, export_dir: Path) -> str:
        split = preprocessing.get("split", "whitespace")
        return fill(TEXT_PREPARE, example=example, split=split, tokens=TEXT_TOKENS[split])

    def encode(self, raw, preprocessing, model):
        from core.data.text import Encoder
        encoder = Encoder(preprocessing["vocabulary"], preprocessing["split"], preprocessing["sequence_length"])
        return np.stack([encoder.encode(str(text))[0] for text in raw])

    def random_inputs(self, rng, shape, preprocessing):
        return rng.integers(0, len(preprocessing["vocabulary"]), shape)

    def example_from_random(self, x0, preprocessing):
        return " ".join(preprocessing["vocabulary"][2:12])

    def write_example(self, path: Path, example) -> None:
        path.write_text(str(example), encoding="utf-8")

    def import_shape_problem(self, input_shape):
        return None if len(input_shape) == 2 else "(None, sequence length): token ids, one row per text"

    def import_preprocessing(self, given, input_shape) -> dict:
        from core.data.text import PAD, SPLITS, UNKNOWN
        upload_hint = ("Upload the preprocessing.json exported with the model (a studio text run writes it next "
                       "to model.keras): the model reads token ids, and only that file says which word each id is.")
        if not given:
            raise InputRefused(f"Refused: a text model needs its vocabulary. {upload_hint}")
        vocabulary, split, length = given.get("vocabulary"), given.get("split", "whitespace"), \
            given.get("sequence_length")
        if not isinstance(vocabulary, list) or len(vocabulary) < 3 or not all(isinstance(t, str) for t in vocabulary):
            raise InputRefused(f"Refused: preprocessing.json has no vocabulary (a list of tokens). {upload_hint}")
        if vocabulary[:2] != [PAD, UNKNOWN]:
            raise InputRefused("Refused: the vocabulary in preprocessing.json must start with '' (padding, "
                                   "id 0) and '[UNK]' (unknown words, id 1), as studio text runs write it.")
        if split not in SPLITS:
            raise InputRefused(f"Refused: preprocessing.json says split '{shown(split)}'; "
                                   f"use one of {', '.join(SPLITS)}.")
        if length is None:
            length = input_shape[1]
        if not isinstance(length, int) or isinstance(length, bool) or length < 1 \
                or (input_shape[1] is not None and length != input_shape[1]):
            raise InputRefused(f"Refused: preprocessing.json says sequence_length {shown(length)}, but the "
                                   f"model takes {shape_text(input_shape)}. Upload the preprocessing.json exported "
                                   "with this model.")
        return {"vocabulary": vocabulary, "split": split, "sequence_length": length, "input_shape": [length]}

    def probe_inputs(self, rng, shape, preprocessing):
        size = len(preprocessing["vocabulary"])
        return np.stack([np.arange(shape[1]) % size, np.full(shape[1], size - 1)]).astype(np.int32)

    def preparation_text(self, preprocessing) -> str:
        return (f"{preprocessing['split']} tokens, {len(preprocessing['vocabulary']):,}-token vocabulary, "
                f"first {preprocessing['sequence_length']} tokens")

    def probe_hint(self) -> str:
        return " Check that preprocessing.json belongs to this model (its vocabulary size)."
