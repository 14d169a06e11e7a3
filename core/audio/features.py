"""Log-mel spectrograms in plain NumPy: the picture of sound every studio audio model reads.

    features = log_mel(samples)          # (frames, N_MELS) in [0, 1], 100 frames per second

No librosa: its first call compiles with numba for about 37 s on a fresh install, and this is
20 lines of textbook signal processing. The steps: cut the signal into overlapping 25 ms frames,
window each with a Hann window, take the power spectrum |FFT|², pool it into mel bands (spaced
the way human hearing resolves pitch), and take decibels relative to the loudest point.
"""
from __future__ import annotations

import functools

import numpy as np

from core.audio.io import SAMPLE_RATE

WINDOW = 400          # 25 ms at 16 kHz
HOP = 160             # 10 ms: 100 frames per second
N_FFT = 512
N_MELS = 40
F_MIN, F_MAX = 20.0, 7600.0
TOP_DB = 80.0         # dynamic range kept below the loudest point
# Reference floor: a clip whose loudest band is quieter than this (a -60 dBFS tone) is drawn
# relative to the floor, so near-silence stays dark instead of being amplified to full scale.
REF_FLOOR_DB = -20.0
CLIP_SECONDS = 1.0    # keyword models see one second
CLIP_SAMPLES = int(CLIP_SECONDS * SAMPLE_RATE)
CLIP_FRAMES = 1 + (CLIP_SAMPLES - WINDOW) // HOP   # 98

FEATURE_PARAMS = {"sample_rate": SAMPLE_RATE, "window": WINDOW, "hop": HOP, "n_fft": N_FFT,
                  "n_mels": N_MELS, "f_min": F_MIN, "f_max": F_MAX, "top_db": TOP_DB, "ref_floor_db": REF_FLOOR_DB,
                  "clip_seconds": CLIP_SECONDS, "scale": "dB relative to the clip's peak, mapped to [0, 1]"}


def power_spectrogram(samples: np.ndarray) -> np.ndarray:
    """|STFT|² of Hann-windowed 25 ms frames every 10 ms: (frames, N_FFT // 2 + 1)."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < WINDOW:
        samples = np.pad(samples, (0, WINDOW - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    return np.abs(np.fft.rfft(frames * _hann(), n=N_FFT)) ** 2


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) float32 in [0, 1]: 1 is the clip's loudest band, 0 is TOP_DB below it.

    Relative to the clip's own peak, so a whisper and a shout of the same word look alike.
    """
    mel = power_spectrogram(samples) @ mel_filterbank().T
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    reference = max(float(db.max()), REF_FLOOR_DB)
    return np.clip((db - reference) / TOP_DB + 1, 0.0, 1.0).astype(np.float32)


def loudest_window_start(samples: np.ndarray) -> int:
    """Where the one-second stretch with the most energy begins (0 for clips up to a second)."""
    if len(samples) <= CLIP_SAMPLES:
        return 0
    energy = np.cumsum(np.concatenate([[0.0], np.asarray(samples, np.float64) ** 2]))
    window_energy = energy[CLIP_SAMPLES:] - energy[:-CLIP_SAMPLES]
    return int(np.argmax(window_energy[::HOP])) * HOP


def keyword_window(samples: np.ndarray) -> np.ndarray:
    """The loudest one-second stretch of a clip (zero-padded if shorter), where a word would be."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) <= CLIP_SAMPLES:
        pad = CLIP_SAMPLES - len(samples)
        return np.pad(samples, (pad // 2, pad - pad // 2))
    start = loudest_window_start(samples)
    return samples[start:start + CLIP_SAMPLES]


def clip_features(samples: np.ndarray) -> np.ndarray:
    """One model input for a keyword model: (CLIP_FRAMES, N_MELS, 1)."""
    return log_mel(keyword_window(samples))[..., None]


def sliding_windows(samples: np.ndarray, hop_seconds: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Features of every one-second window, `hop_seconds` apart, and each window's centre time."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < CLIP_SAMPLES:
        return clip_features(samples)[None], np.array([len(samples) / SAMPLE_RATE / 2])
    hop = int(hop_seconds * SAMPLE_RATE)
    starts = np.arange(0, len(samples) - CLIP_SAMPLES + 1, hop)
    batch = np.stack([log_mel(samples[s:s + CLIP_SAMPLES])[..., None] for s in starts])
    return batch, (starts + CLIP_SAMPLES / 2) / SAMPLE_RATE


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10 ** (np.asarray(mel) / 2595.0) - 1.0)


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, evenly spaced on the mel scale (HTK formula)."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_hz - lower) / (centre - lower)
    falling = (upper - fft_hz) / (upper - centre)
    return np.maximum(0, np.minimum(rising, falling)).astype(np.float32)


def mel_band_centres() -> np.ndarray:
    """Centre frequency (Hz) of each mel band, for axis labels."""
    return mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))[1:-1]


@functools.lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return np.hanning(WINDOW + 1)[:-1].astype(np.float32)  # periodic Hann, as in every STFT library
