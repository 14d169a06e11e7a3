"""Offline speech-to-text with pocketsphinx's bundled US-English model.

Two modes in :func:`transcribe`:

* dictation (``phrases=None``): free speech with the default language model;
  fine for a rough transcript, expect mistakes.
* commands (``phrases=[...]``): recognition is restricted to the given phrases
  with a JSGF grammar, which is far more accurate. Only a whole phrase counts;
  other speech usually gives "", but can be taken for the closest phrase.

:func:`transcribe_auto` (the Audio Lab's default) picks per clip and says why:

* one short word: the bundled keyword model (trained on the ten command words,
  right on synthetic voices where pocketsphinx picks the wrong one of ten about
  40 % of the time) names it and a one-phrase grammar places it in time;
* speech that one phrase explains (it covers most of the clip's loud frames):
  commands, which are accurate;
* anything else (a sentence, long speech): dictation. A grammar always answers
  with its closest phrase, e.g. "stop" for a 3 s LibriVox sentence whose other
  2.5 s it labels silence, so coverage is the test, not the grammar's own score.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, replace

import numpy as np

from core.audio.io import SAMPLE_RATE

# The bundled keyword model's words and the Audio Lab's example phrases: the default grammar.
COMMAND_WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
EXAMPLE_PHRASES = ("go forward ten meters", "go back five meters", "go up then turn left and stop",
                   "turn left", "turn right")
DEFAULT_PHRASES = COMMAND_WORDS + EXAMPLE_PHRASES
MIN_COVERAGE = 0.6        # share of the loud frames a phrase must explain to count as a command
LONG_SPEECH_SECONDS = 6.0  # more speech than any command takes: straight to dictation
ONE_WORD_SECONDS = 1.0     # speech that fits the keyword model's one-second window

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
    mode: str  # "dictation", "commands" or "keyword" (the keyword model chose, a grammar aligned)
    reason: str = ""  # transcribe_auto: which mode it used and why, in plain words
    seconds: float = 0.0  # time spent recognising (transcribe_auto), loading apart
    load_seconds: float = 0.0  # time spent loading the recogniser first (0 once it is loaded)


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


def transcribe_auto(
    samples: np.ndarray, sample_rate: int = 16000, phrases: list[str] | None = None
) -> Transcript:
    """Commands when a phrase explains the speech, else dictation; `reason` says which and why.

    Args:
        phrases: the phrases to try first; None for :data:`DEFAULT_PHRASES`. A single short
            word is still checked against the ten command words.
    """
    import time

    started = time.perf_counter()
    result = _choose(samples, sample_rate, list(DEFAULT_PHRASES if phrases is None else phrases))
    return replace(result, seconds=time.perf_counter() - started)


def prepare(phrases: list[str] | None = None) -> float:
    """Load what transcribe_auto uses (the dictionary and its decoder, the phrases' grammar, the
    keyword model) and return the seconds that took: 0 once loaded. A page times the recognition
    apart from it, so "recognised in" is recognition alone."""
    import time
    started = time.perf_counter()
    _commands_decoder(_check_phrases(list(DEFAULT_PHRASES if phrases is None else phrases)))  # loads the dictionary too
    try:
        from core.audio.keywords import BUNDLED_KEY
        from core.catalog import load_model
        _keyword_model(BUNDLED_KEY, load_model)
    except Exception:  # noqa: BLE001 - a missing keyword model only loses transcribe_auto's shortcut
        pass
    return time.perf_counter() - started


def _choose(samples, sample_rate: int, phrases: list[str]) -> Transcript:
    grammar = transcribe(samples, sample_rate, phrases)  # checks the input and the phrases first
    loud = speech_frames(np.asarray(samples))
    speech = loud.sum() / FRAME_RATE
    if speech == 0:
        return replace(grammar, reason="No speech: the clip is silent or too short.")
    if speech > LONG_SPEECH_SECONDS:
        return _dictation(samples, f"{_secs(speech)} of speech: longer than any command, so dictation.")
    # A grammar picks the wrong one of ten single words easily (synthetic voices: ~40 %); a
    # phrase of several words is much harder to fake, so only one word asks the keyword model.
    one_word = len(grammar.words) <= 1 and _extent(loud) <= ONE_WORD_SECONDS
    if one_word and (word := _keyword(samples)):
        label, probability = word
        aligned = transcribe(samples, sample_rate, [label])
        if aligned.text:
            return replace(aligned, mode="keyword", reason=(
                f"One short word: the keyword model heard “{label}” ({_sure(probability)} sure) and the "
                "recogniser placed it in time."))
    if grammar.text:
        share = coverage(grammar.words, loud)
        if share >= MIN_COVERAGE:
            return replace(grammar, reason=(
                f"The phrase “{grammar.text}” explains {_pct(share)} of the speech, so commands mode."))
        return _dictation(samples, (
            f"No phrase fits: the closest, “{grammar.text}”, explains only {_pct(share)} of the speech, "
            "so dictation."))
    return _dictation(samples, "No phrase fits the speech, so dictation.")


def _dictation(samples, reason: str) -> Transcript:
    return replace(transcribe(samples), reason=reason)


def _secs(seconds: float) -> str:
    from core.formatting import format_seconds
    return format_seconds(seconds)


def _sure(probability: float) -> str:
    # "100%" would overstate a model's 0.9999: calibrated or not, it can still be wrong.
    return "over 99%" if probability > 0.99 else _pct(probability)


def _pct(share: float) -> str:
    from core.formatting import format_percent
    return format_percent(share, 0)


def _keyword(samples) -> tuple[str, float] | None:
    """The bundled keyword model's word when it is sure of one of the ten; None otherwise."""
    try:
        from core.audio.keywords import BUNDLED_KEY
        from core.catalog import load_model
        classifier = _keyword_model(BUNDLED_KEY, load_model)
        prediction = classifier.predict(np.asarray(samples, np.float32))
    except Exception:  # noqa: BLE001 - a missing or broken model only loses this shortcut
        return None
    label, probability = prediction.top[0]
    return (label, probability) if label in COMMAND_WORDS and prediction.sure else None


@functools.lru_cache(maxsize=1)
def _keyword_model(key, load):
    return load(key)


def speech_frames(samples: np.ndarray) -> np.ndarray:
    """A boolean per 10 ms frame: loud enough to be speech.

    Loud means 12 dB above the clip's quiet floor (its 10th-percentile frame) and within 35 dB
    of its loudest frame, and above -60 dBFS: it follows the clip's own noise level.
    """
    hop = SAMPLE_RATE // FRAME_RATE
    n = samples.size // hop
    if n == 0:
        return np.zeros(0, bool)
    frames = np.nan_to_num(samples[: n * hop].astype(np.float64)).reshape(n, hop)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    threshold = max(np.percentile(level, 10) + 12, level.max() - 35, -60)
    return level > threshold


def coverage(words: list[Word], loud: np.ndarray) -> float:
    """The share of the loud frames that fall inside one of the recognised words."""
    if not loud.any():
        return 0.0
    inside = np.zeros_like(loud)
    for w in words:
        inside[int(w.start * FRAME_RATE): int(np.ceil(w.end * FRAME_RATE))] = True
    return float((inside & loud).sum() / loud.sum())


def _extent(loud: np.ndarray) -> float:
    """Seconds from the first loud frame to the last."""
    where = np.flatnonzero(loud)
    return (where[-1] - where[0] + 1) / FRAME_RATE if where.size else 0.0


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


# -- scoring a transcript against a reference (pocketsphinx and Whisper alike) -------------------------

LIBRIVOX_DIR = "/usr/share/pocketsphinx/test/data/librivox"  # Debian's pocketsphinx-testdata
# The bundled examples' words (assets/samples/audio): their reference transcripts.
EXAMPLE_REFERENCES = {"yes.wav": "yes", "stop.wav": "stop", "left.wav": "left",
                      "go_up_left_stop.wav": "go up then turn left and stop",
                      "go_forward_ten_meters.wav": "go forward ten meters"}
# Whisper writes "Mr." and "10" where a reference spells words out; scoring compares words, not spelling.
_SPOKEN = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "0": "zero", "1": "one",
           "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight",
           "9": "nine", "10": "ten", "ok": "okay", "metres": "meters"}


def normalised_words(text: str) -> list[str]:
    """Lower case, no punctuation, hyphens split, common abbreviations and digits spelled out."""
    text = re.sub(r"[-‐–—]", " ", str(text).lower())
    words = re.sub(r"[^a-z0-9' ]+", " ", text).split()
    return [_SPOKEN.get(w, w) for w in (w.strip("'") for w in words) if w]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words): the edit distance over words."""
    ref, hyp = normalised_words(reference), normalised_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate: edits over reference words (0 = word for word; can exceed 1)."""
    errors, total = word_errors(reference, hypothesis)
    return errors / total if total else float(bool(normalised_words(hypothesis)))


def librivox_references() -> dict[str, str]:
    """{clip file name: its reference transcript} for the LibriVox clips, {} when not installed."""
    from pathlib import Path
    listing = Path(LIBRIVOX_DIR) / "transcription"
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    found = (re.fullmatch(r"<s>\s*(.*?)\s*</s>\s*\((\S+)\)", line.strip()) for line in lines)
    return {f"{m.group(2)}.wav": m.group(1) for m in found if m}


def reference_for(name: str) -> str | None:
    """The known reference transcript of a clip by its file name (bundled examples, LibriVox clips)."""
    return EXAMPLE_REFERENCES.get(name) or librivox_references().get(name)
