"""English number words to Spanish: the bundled seq2seq translator and how well it does.

    translator = load_translator()
    result = translator.translate("Twenty-one thousand, three hundred and five")
    result.text                 # 'veintiún mil trescientos cinco'
    result.source_tokens        # ['twenty', 'one', 'thousand', 'three', 'hundred', 'and', 'five']
    result.attention            # (7 target words x 7 source words), each row sums to 1
    exact_match(translator, translator.card["held_out_pairs"])   # share translated word for word

The model (core/models/seq2seq.py) is trained by assets/make_translation_model.py on pairs it
generates itself; its card (assets/models/number_translator.json) says what it saw and how it
scores on numbers it never saw. Decoding is greedy: start from "<start>", take the most likely
next word, append it, run again, until "<end>". The input is cleaned exactly as the training
English was: lowercase, hyphens and punctuation become spaces; "and" is optional (it was trained
with and without it). Words outside its vocabulary (say "42" or "banana") are left out of what
the model reads and reported, never guessed at. Keras is imported only when the model loads.
"""
from __future__ import annotations

import functools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"
TRANSLATOR_MODEL_PATH = ASSETS / "number_translator.keras"
TRANSLATOR_CARD = ASSETS / "number_translator.json"
PAD, START, END = "<pad>", "<start>", "<end>"   # ids 0, 1, 2 of the target vocabulary
EXAMPLE = "forty two"


class TranslationError(ValueError):
    """Input the translator cannot take; the message is meant for the user as it stands."""

    def __init__(self, message: str, unknown_words: list[str] | None = None):
        super().__init__(message)
        self.unknown_words = list(unknown_words or [])


@dataclass(frozen=True)
class Translation:
    source_tokens: list[str]     # the words the model read, after cleaning (unknown ones left out)
    target_tokens: list[str]     # its translation, word by word, without <start>/<end>
    attention: np.ndarray        # (len(target_tokens), len(source_tokens)): where each word looked
    unknown_words: list[str] = field(default_factory=list)   # typed, but not in its vocabulary
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(self.target_tokens)


def words(text: str) -> list[str]:
    """Lowercase words; hyphens, commas and other punctuation separate them ("Forty-two," ->
    ['forty', 'two']). The training script cleans the English with this same function."""
    return re.findall(r"[^\W_]+", text.lower())


class Translator:
    """A seq2seq Keras model with its vocabularies and card; greedy decoding, batched."""

    def __init__(self, model, card: dict):
        self.model = model
        self.card = card
        self.source_vocabulary = list(card["source_vocabulary"])   # index = id; 0 is padding
        self.target_vocabulary = list(card["target_vocabulary"])   # 0 pad, 1 <start>, 2 <end>
        self.max_source_length = int(card["max_source_length"])    # words
        self.max_target_length = int(card["max_target_length"])    # words, without <start>/<end>
        self._source_ids = {w: i for i, w in enumerate(self.source_vocabulary) if i}
        self._start = self.target_vocabulary.index(START)
        self._end = self.target_vocabulary.index(END)
        self._lock = threading.Lock()   # one model, possibly several browser sessions

    def prepare(self, text: str) -> tuple[list[str], list[str]]:
        """(words the model will read, words it does not know), or a TranslationError."""
        if not isinstance(text, str) or not text.strip():
            raise TranslationError(
                f"Type an English number in words to translate, for example '{EXAMPLE}'.")
        typed = words(text)
        if not typed:
            raise TranslationError(
                f"There are no words in that. Try English number words such as '{EXAMPLE}'.")
        if len(typed) > self.max_source_length:
            raise TranslationError(
                f"That is {len(typed)} words; this translator reads at most {self.max_source_length} "
                "(the longest number it learnt, 999,999, needs that many).")
        known = [w for w in typed if w in self._source_ids]
        unknown = [w for w in typed if w not in self._source_ids]
        if not known:
            digits = any(w.isdigit() for w in unknown)
            hint = " It reads numbers written as words, not digits." if digits else ""
            raise TranslationError(
                f"None of these are words it knows: {', '.join(repr(w) for w in unknown)}.{hint} "
                f"Try English number words from zero to nine hundred and ninety-nine thousand, "
                f"for example '{EXAMPLE}'.", unknown)
        return known, unknown

    def translate(self, text: str) -> Translation:
        """Translate one text; raises TranslationError for empty, too long or all-unknown input."""
        return self.translate_batch([text])[0]

    def translate_batch(self, texts: list[str]) -> list[Translation]:
        """Greedy decoding of many texts at once: one model call per output position."""
        started = time.perf_counter()
        prepared = [self.prepare(t) for t in texts]
        source = np.zeros((len(texts), self.max_source_length), np.int32)
        for row, (known, _) in enumerate(prepared):
            source[row, :len(known)] = [self._source_ids[w] for w in known]
        # Fixed shapes (padding is masked), so the compiled predict function is traced once.
        steps = self.max_target_length + 1                       # the words, then <end>
        prefix = np.zeros((len(texts), steps), np.int32)
        prefix[:, 0] = self._start
        chosen = np.full((len(texts), steps), self._end)
        finished = np.zeros(len(texts), bool)
        with self._lock:
            for t in range(steps):
                out = self.model.predict_on_batch([source, prefix])
                # The decoder is causal: position t's output depends only on prefix[:, :t + 1].
                best = out["probabilities"][:, t].argmax(axis=-1)
                chosen[:, t] = np.where(finished, self._end, best)
                finished |= best == self._end
                if finished.all() or t + 1 == steps:
                    break
                prefix[:, t + 1] = np.where(finished, 0, best)
        # Row k of the last run's attention is the one word k was chosen with (causal again).
        attention = np.asarray(out["attention"])
        seconds = (time.perf_counter() - started) / len(texts)
        results = []
        for row, (known, unknown) in enumerate(prepared):
            ids = list(chosen[row, :self.max_target_length])
            n = ids.index(self._end) if self._end in ids else len(ids)
            results.append(Translation(known, [self.target_vocabulary[i] for i in ids[:n]],
                                       attention[row, :n, :len(known)].copy(), unknown, seconds))
        return results


def _decoded(translator: Translator, pairs) -> list[tuple[list[str], list[str]]]:
    """(translation words, reference words) for (english, spanish) pairs, decoded in batches."""
    pairs = [tuple(p) for p in pairs]
    outputs = []
    for i in range(0, len(pairs), 512):
        chunk = pairs[i:i + 512]
        outputs += [r.target_tokens for r in translator.translate_batch([e for e, _ in chunk])]
    return [(out, spanish.split()) for out, (_, spanish) in zip(outputs, pairs)]


def exact_match(translator: Translator, pairs) -> float:
    """Share of pairs whose translation equals the reference word for word."""
    decoded = _decoded(translator, pairs)
    return sum(out == ref for out, ref in decoded) / max(len(decoded), 1)


def token_accuracy(translator: Translator, pairs) -> float:
    """Share of word positions right: matches at the same position over the longer of the two
    (so a missing or extra word counts as wrong)."""
    decoded = _decoded(translator, pairs)
    right = sum(sum(a == b for a, b in zip(out, ref)) for out, ref in decoded)
    total = sum(max(len(out), len(ref)) for out, ref in decoded)
    return right / max(total, 1)


@functools.lru_cache(maxsize=1)
def load_translator(model_path: Path = TRANSLATOR_MODEL_PATH,
                    card_path: Path = TRANSLATOR_CARD) -> Translator:
    """The bundled translator (loaded once per process, `safe_mode=True`)."""
    import keras
    card = json.loads(Path(card_path).read_text(encoding="utf-8"))
    model = keras.models.load_model(model_path, safe_mode=True, compile=False)
    return Translator(model, card)
