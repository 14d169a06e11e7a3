"""Log-mel features: shapes, the mel scale, where a tone lands, and the one-second windows."""
import numpy as np
import pytest

from core.audio import features as F


def tone(hz, seconds=1.0, amplitude=0.5):
    t = np.arange(int(seconds * F.SAMPLE_RATE)) / F.SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_shapes_and_range():
    assert F.log_mel(tone(440)).shape == (F.CLIP_FRAMES, F.N_MELS) == (98, 40)
    assert F.log_mel(tone(440, 5.0)).shape == (498, 40)
    assert F.clip_features(tone(440, 3.0)).shape == (98, 40, 1)
    x = F.log_mel(tone(440))
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() == 1


@pytest.mark.parametrize("hz", [300, 1000, 4000])
def test_a_tone_lights_the_mel_band_at_its_pitch(hz):
    loudest_band = F.log_mel(tone(hz)).mean(axis=0).argmax()
    centres = F.mel_band_centres()
    assert abs(centres[loudest_band] - hz) <= np.diff(centres).max()


def test_loudness_invariant_but_silence_stays_dark():
    assert np.allclose(F.log_mel(tone(500, amplitude=0.5)), F.log_mel(tone(500, amplitude=0.05)), atol=1e-4)
    assert F.log_mel(np.zeros(16000)).max() == 0.0
    assert F.log_mel(np.random.default_rng(0).normal(0, 1e-5, 16000)).max() < 0.6


def test_filterbank_is_triangles_on_the_mel_scale():
    bank = F.mel_filterbank()
    assert bank.shape == (F.N_MELS, F.N_FFT // 2 + 1) and bank.min() >= 0 and bank.max() <= 1
    peaks = bank.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0) and np.diff(peaks)[-1] > np.diff(peaks)[0]  # wider up high
    assert F.mel_to_hz(F.hz_to_mel(1000.0)) == pytest.approx(1000.0)


def test_keyword_window_finds_the_word_and_pads_short_clips():
    clip = np.zeros(3 * F.SAMPLE_RATE, np.float32)
    clip[40000:44000] = tone(700)[:4000]
    start = F.loudest_window_start(clip)
    assert start <= 40000 and start + F.CLIP_SAMPLES >= 44000
    assert np.count_nonzero(F.keyword_window(clip)) == np.count_nonzero(clip[40000:44000])
    short = F.keyword_window(tone(700, 0.3))
    assert len(short) == F.CLIP_SAMPLES and np.count_nonzero(short) == np.count_nonzero(tone(700, 0.3))


def test_sliding_windows_cover_the_clip():
    batch, times = F.sliding_windows(tone(440, 3.0), hop_seconds=0.25)
    assert batch.shape == (9, 98, 40, 1) and times[0] == 0.5 and times[-1] == 2.5
    batch, times = F.sliding_windows(tone(440, 0.4))
    assert batch.shape == (1, 98, 40, 1)
