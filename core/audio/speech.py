"""Offline speech-to-text with pocketsphinx's bundled US-English model.

Two modes:

* dictation (``phrases=None``): free speech with the default language model;
  fine for a rough transcript, expect mistakes.
* commands (``phrases=[...]``): recognition is restricted to the given phrases
  with a JSGF grammar, which is far more accurate. Only a whole phrase counts;
  other speech usually gives "", but can be taken for the closest phrase.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import numpy as np

from core.audio.io import SAMPLE_RATE

FRAME_RATE = 100  # pocketsphinx frames per second (10 ms hop)
_LOCK = threading.RLock()
_SILENCE_RMS = 10 ** (-60 / 20)  # -60 dBFS: below a quiet room's mic noise
_ALT_PRON = re.compile(r"\(\d+\)$")  # "the(2)" = 2nd pronunciation of "the"


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds
    end: float  # seconds


@dataclass(frozen=True)
class Transcript:
    text: str
    words: list[Word]
    mode: str  # "dictation" or "commands"


class SpeechError(ValueError):
    """Bad input to :func:`transcribe`; the message is meant for the end user."""


def transcribe(
    samples: np.ndarray, sample_rate: int = 16000, phrases: list[str] | None = None
) -> Transcript:
    """Transcribe mono float audio in [-1, 1].

    Args:
        samples: 1-D float array at 16 kHz.
        sample_rate: must be 16000 (the model's rate); resample beforehand.
        phrases: None for dictation, or the only phrases to recognise.
    """
    if sample_rate != SAMPLE_RATE:
        raise SpeechError(
            f"Speech recognition needs audio at {SAMPLE_RATE} Hz, got {sample_rate} Hz. "
            "Resample the audio first."
        )
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise SpeechError(
            f"Speech recognition needs mono audio (one channel), got an array of shape "
            f"{samples.shape}. Mix the channels down to one first."
        )

    if phrases is None:
        mode, decoder = "dictation", _dictation_decoder()
    else:
        allowed = _check_phrases([phrases] if isinstance(phrases, str) else phrases)
        mode, decoder = "commands", _commands_decoder(allowed)

    # Less than ~0.1 s holds no word, and on (near) silence the language model
    # hallucinates words like "yeah": answer "" for both instead.
    if samples.size < SAMPLE_RATE // 10 or _rms(samples) < _SILENCE_RMS:
        return Transcript("", [], mode)

    pcm = (np.clip(np.nan_to_num(samples.astype(np.float32)), -1.0, 1.0) * 32767).astype("<i2")
    # A Decoder holds one utterance at a time; Streamlit runs sessions in threads.
    with _LOCK:
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
        # seg() is None (not empty) when nothing was recognised.
        found = decoder.hyp() is not None
        segments = [(s.word, s.start_frame, s.end_frame) for s in decoder.seg()] if found else []

    words = []
    for token, start, end in segments:
        if _is_filler(token):
            continue
        words.append(Word(_ALT_PRON.sub("", token), start / FRAME_RATE, (end + 1) / FRAME_RATE))
    text = " ".join(w.text for w in words)
    # When no phrase fits to its end, the grammar search returns a partial path
    # (e.g. "turn" for "turn left"); that is not a command, so report nothing.
    if mode == "commands" and text not in allowed:
        return Transcript("", [], mode)
    return Transcript(text, words, mode)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.nan_to_num(samples.astype(np.float64))))))


def _is_filler(token: str) -> bool:
    # <s>, </s>, <sil> and noise fillers like [NOISE], ++BREATH++
    return token.startswith(("<", "[", "+"))


def _normalise(phrase: str) -> str:
    # Keep apostrophes inside words: the dictionary has "don't", "it's", ...
    text = re.sub(r"[^a-z0-9' ]+", " ", str(phrase).lower())
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def _check_phrases(phrases: list[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(p for p in map(_normalise, phrases) if p))
    if not cleaned:
        raise SpeechError("Give at least one command phrase made of words.")
    dictionary = _dictation_decoder()
    with _LOCK:
        unknown = {w for p in cleaned for w in p.split() if dictionary.lookup_word(w) is None}
    if unknown:
        raise SpeechError(
            "These words are not in the speech dictionary: "
            + ", ".join(sorted(unknown))
            + ". Use common English words and write numbers as words (e.g. 'ten')."
        )
    return cleaned


def _new_decoder(**config):
    # Imported lazily: loading the model is only paid by pages that use speech.
    from pocketsphinx import Decoder

    return Decoder(loglevel="FATAL", **config)


@functools.lru_cache(maxsize=1)
def _dictation_decoder():
    with _LOCK:
        return _new_decoder()


@functools.lru_cache(maxsize=8)
def _commands_decoder(phrases: tuple[str, ...]):
    grammar = (
        "#JSGF V1.0;\ngrammar commands;\npublic <command> = "
        + " | ".join(phrases)
        + ";\n"
    )
    with _LOCK:
        decoder = _new_decoder(lm=None)  # no language model: the grammar is the only search
        decoder.add_jsgf_string("commands", grammar)
        decoder.activate_search("commands")
    return decoder
