"""Decoding clips: every format the lab accepts, conversions, and every bad input with its message."""
import io
import shutil
import struct

import numpy as np
import pytest
import soundfile

from core.audio.io import MAX_SECONDS, SAMPLE_RATE, AudioError, decode_audio


def tone(seconds=1.0, rate=SAMPLE_RATE, hz=440.0, channels=1, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def encode(samples, rate=SAMPLE_RATE, fmt="WAV", subtype="PCM_16") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def wav_with_codec(tag: int) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 3200) + b"\0" * 3200
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("fmt, subtype, suffix", [
    ("WAV", "PCM_16", ".wav"), ("WAV", "FLOAT", ".wav"), ("FLAC", "PCM_24", ".flac"),
    ("OGG", "VORBIS", ".ogg"), ("OGG", "OPUS", ".opus"), ("MP3", "MPEG_LAYER_III", ".mp3")])
def test_each_format_decodes_to_16k_mono_with_the_tone_intact(fmt, subtype, suffix):
    clip = decode_audio(encode(tone(1.0), fmt=fmt, subtype=subtype), "clip" + suffix)
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    assert clip.sample_rate == SAMPLE_RATE and abs(clip.duration - 1.0) < 0.08  # codecs pad a little
    spectrum = np.abs(np.fft.rfft(clip.samples))
    assert abs(np.fft.rfftfreq(len(clip.samples), 1 / SAMPLE_RATE)[spectrum.argmax()] - 440) < 3
    assert fmt in clip.format and not clip.is_silent


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 96000])
def test_other_sample_rates_are_resampled_and_said(rate):
    clip = decode_audio(encode(tone(1.0, rate), rate), "x.wav")
    assert clip.original_rate == rate and clip.sample_rate == 16000
    assert len(clip.samples) == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(clip.samples))
    assert abs(spectrum.argmax() - 440) <= 2  # 1 Hz bins for one second
    assert any(f"{rate:,} Hz" in note for note in clip.notes)
    if rate == 8000:
        assert any("never recorded" in note for note in clip.notes)


def test_six_channels_are_mixed_to_mono():
    clip = decode_audio(encode(tone(0.5, channels=6)), "surround.wav")
    assert clip.channels == 6 and clip.samples.ndim == 1
    assert np.abs(clip.samples).max() == pytest.approx(0.5, abs=0.01)
    assert clip.notes == ["6 channels were mixed down to mono."]


def test_silence_decodes_and_is_flagged():
    clip = decode_audio(encode(np.zeros(16000, np.float32)), "quiet.wav")
    assert clip.is_silent and clip.peak == 0


@pytest.mark.parametrize("data, name, expected", [
    (b"", "empty.wav", "empty (0 bytes)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.wav", "is a PNG image, not audio"),
    (b"\xff\xd8\xff\xe0" + bytes(200), "photo.wav", "is a JPEG image, not audio"),
    (b"hello, this is text and not a sound at all" * 20, "notes.wav", "could not be read as audio"),
    (wav_with_codec(0x0055), "mp3inside.wav", "codec the studio cannot decode (MPEG Layer 3)"),
    (wav_with_codec(0x9999), "odd.wav", "format tag 0x9999"),
])
def test_bad_files_get_specific_messages(data, name, expected):
    with pytest.raises(AudioError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        decode_audio(data, name)


def test_truncated_wav_header_is_refused_and_truncated_data_is_decoded_as_far_as_it_goes():
    whole = encode(tone(1.0))
    with pytest.raises(AudioError, match="damaged or truncated WAV"):
        decode_audio(whole[:30], "cut.wav")
    cut = decode_audio(whole[:16044], "cut.wav")
    assert cut.duration == pytest.approx(0.5, abs=0.01)
    assert "cut short: its header announces 1.00 s of sound but it holds 0.50 s" in cut.notes[0]
    assert not decode_audio(whole, "whole.wav").notes


def test_too_short_and_too_long_say_the_limits():
    with pytest.raises(AudioError, match=r"too short: 50 ms.*at least 100 ms"):
        decode_audio(encode(tone(0.05)), "blip.wav")
    with pytest.raises(AudioError, match=rf"lasts 61\.0 s; the limit is {MAX_SECONDS:.0f} s"):
        decode_audio(encode(tone(61.0, rate=8000), 8000), "long.wav")


def test_m4a_without_ffmpeg_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match="needs ffmpeg"):
        decode_audio(b"\x00\x00\x00\x20ftypM4A " + bytes(100), "voice.m4a")


def two_hours_of_flac() -> bytes:
    """Two hours of quiet 8 kHz audio: a small FLAC file (180 KB), so a byte limit lets it through."""
    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, "w", 8000, 1, format="FLAC") as out:
        for _ in range(12):
            out.write(np.zeros(8000 * 600, np.int16))
    return buffer.getvalue()


def test_long_audio_callers_take_ten_minutes_and_a_two_hour_file_is_refused_unread(monkeypatch):
    import soundfile

    from core.audio.io import LONG_SECONDS
    assert decode_audio(encode(tone(70.0, rate=8000), 8000), "long.wav", max_seconds=LONG_SECONDS).duration == \
        pytest.approx(70.0)
    data = two_hours_of_flac()

    def read(*args, **kwargs):
        raise AssertionError("the two hours were decoded before being refused")

    with monkeypatch.context() as patched:  # refused from the header: no sample is ever read
        patched.setattr(soundfile.SoundFile, "read", read)
        with pytest.raises(AudioError, match="lasts 2 hours; the limit is 10 minutes. Trim it"):
            decode_audio(data, "meeting.flac", max_seconds=LONG_SECONDS)
    with pytest.raises(AudioError, match=r"lasts 10 min 1 s; the limit is 10 minutes"):
        decode_audio(encode(tone(601.0, rate=8000), 8000), "long.wav", max_seconds=LONG_SECONDS)
