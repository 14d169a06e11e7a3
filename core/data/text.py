"""Text to tokens to ids, with a vocabulary that is stored next to the model so inference matches.

    tokens = tokenize("Great phone, terrible battery!")   # great / phone / terrible / battery
    vocabulary = fit_vocabulary(training_texts)            # '' (padding), '[UNK]', then by frequency
    ids = vectorize(texts, vocabulary, sequence_length=64)

One tokenizer serves training and inference: `tokenize` standardizes (Unicode lowercase, punctuation
removed) and splits, remembering where each token sits in the original text so a page can highlight
it. Keras's `TextVectorization` then builds the vocabulary and maps tokens to ids; it sees the
tokens joined by single spaces, which it splits back exactly (tokens never contain whitespace).
Two ways to split:
- "whitespace": words. Chinese and Japanese characters are split one per token even here (the way
  BERT's basic tokenizer does it), because those languages put no spaces between words.
- "character": one token per character, spaces shown as "▁": for any language, and for short
  texts whose spelling matters.
"""
from __future__ import annotations

import re
import unicodedata

from core.params import Param
from dataclasses import dataclass

import numpy as np

SPLITS = ("whitespace", "character")

# Texts are split into tokens when a run prepares them; the run config records how.
TEXT_PARAMS = {"split": Param("whitespace", "Split the text into", choices=SPLITS,
                              help="whitespace: words (Chinese/Japanese characters one by one). "
                                   "character: one token per character, for any language.")}
SPACE_TOKEN = "▁"  # stands for a run of whitespace in character mode
PAD, UNKNOWN = "", "[UNK]"

# Ideographs (CJK, extension A, compatibility) and Japanese kana: written without spaces.
_NO_SPACE_SCRIPTS = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
# ASCII symbols Keras's own standardization strips too, besides Unicode punctuation.
_ASCII_SYMBOLS = set("$+<=>^`|~")


@dataclass(frozen=True)
class Token:
    text: str      # standardized: what the vocabulary holds
    start: int     # span in the original text
    end: int


def standardize(piece: str) -> str:
    """Lowercase and drop punctuation ("Don't!" -> "dont"), for every script, not just ASCII.

    NFKC first folds look-alike forms (full-width "Ａ", ligature "ﬁ") into the plain letters.
    """
    return "".join(ch for ch in unicodedata.normalize("NFKC", piece).lower()
                   if not unicodedata.category(ch).startswith("P") and ch not in _ASCII_SYMBOLS)


def tokenize(text: str, split: str = "whitespace") -> list[Token]:
    """The tokens of `text` with their character spans in it."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split '{split}'; use one of {SPLITS}.")
    tokens: list[Token] = []
    if split == "character":
        for match in re.finditer(r"\s+|\S", text):
            piece = match.group()
            word = SPACE_TOKEN if piece.isspace() else standardize(piece)
            if word and not (word == SPACE_TOKEN and (not tokens or tokens[-1].text == SPACE_TOKEN)):
                tokens.append(Token(word, match.start(), match.end()))
        if tokens and tokens[-1].text == SPACE_TOKEN:
            tokens.pop()
        return tokens
    for match in re.finditer(r"\S+", text):
        offset = match.start()
        for part in _NO_SPACE_SCRIPTS.split(match.group()):
            word = standardize(part)
            if word:
                tokens.append(Token(word, offset, offset + len(part)))
            offset += len(part)
    return tokens


def token_strings(texts, split: str = "whitespace") -> np.ndarray:
    """Each text as its tokens joined by single spaces: the form `TextVectorization` reads."""
    return np.asarray([" ".join(t.text for t in tokenize(str(text), split)) for text in texts], dtype=object)


def fit_vocabulary(texts, split: str = "whitespace", max_tokens: int = 20000) -> list[str]:
    """Adapt a TextVectorization layer on `texts`; returns its vocabulary ('' and '[UNK]' first)."""
    import keras
    layer = keras.layers.TextVectorization(max_tokens=max_tokens, standardize=None, split="whitespace")
    layer.adapt(token_strings(texts, split))
    return [str(token) for token in layer.get_vocabulary()]


def vectorize(texts, vocabulary: list[str], split: str = "whitespace",
              sequence_length: int = 64) -> np.ndarray:
    """Token ids (0 = padding, 1 = unknown), padded or cut to `sequence_length`."""
    import keras
    layer = keras.layers.TextVectorization(vocabulary=vocabulary[2:], standardize=None,
                                           split="whitespace", output_sequence_length=sequence_length)
    return np.asarray(layer(token_strings(texts, split)), dtype=np.int32)


class Encoder:
    """Fast single-text path for inference: a dict lookup instead of a TensorFlow op per call.

    Gives exactly the ids `vectorize` gives (a test holds them together), plus the tokens.
    """

    def __init__(self, vocabulary: list[str], split: str = "whitespace", sequence_length: int = 64):
        self.vocabulary, self.split, self.sequence_length = list(vocabulary), split, sequence_length
        self.index = {token: i for i, token in enumerate(self.vocabulary) if i >= 2}

    def ids(self, tokens: list[Token]) -> np.ndarray:
        ids = np.zeros(self.sequence_length, np.int32)
        kept = [self.index.get(t.text, 1) for t in tokens[:self.sequence_length]]
        ids[:len(kept)] = kept
        return ids

    def encode(self, text: str) -> tuple[np.ndarray, list[Token]]:
        """(ids, the tokens the model sees: at most `sequence_length` of them)."""
        tokens = tokenize(text, self.split)
        return self.ids(tokens), tokens[:self.sequence_length]
