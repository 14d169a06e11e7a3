"""Synthesised speech with espeak-ng: the studio's own keyword dataset, made offline.

    samples = speak("yes", Voice("en-us", "f3", speed=150, pitch=60))   # float32 at 16 kHz

espeak-ng (Debian package) has about 8 English accents and 100 voice variants; with speed and
pitch that is thousands of different speakers. Real people still sound different from all of
them, so models trained on it are evaluated on voices held out from training, and on the few
real recordings the project has.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio.io import SAMPLE_RATE, resample

ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029", "en-us-nyc")


class SynthError(RuntimeError):
    pass


@dataclass(frozen=True)
class Voice:
    accent: str
    variant: str | None = None   # an espeak-ng variant such as "f3", "klatt2", "croak"
    speed: int = 160             # words per minute
    pitch: int = 50              # 0-99
    gap: int = 0                 # extra pause between words, in 10 ms units

    @property
    def name(self) -> str:
        return self.accent + (f"+{self.variant}" if self.variant else "")


def espeak_binary() -> str:
    binary = shutil.which("espeak-ng")
    if not binary:
        raise SynthError("espeak-ng is not installed (Debian: `sudo apt-get install espeak-ng`).")
    return binary


def variants() -> list[str]:
    """Every voice variant espeak-ng ships (files under espeak-ng-data/voices/!v)."""
    version = subprocess.run([espeak_binary(), "--version"], capture_output=True, text=True, check=True).stdout
    data_dir = Path(version.split("Data at:")[-1].strip())
    return sorted(p.name for p in (data_dir / "voices" / "!v").iterdir() if p.is_file() and " " not in p.name)


def speak(text: str, voice: Voice = Voice("en-us")) -> np.ndarray:
    """Text -> float32 samples at 16 kHz (espeak-ng speaks at 22,050 Hz; resampled exactly)."""
    import soundfile
    command = [espeak_binary(), "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch),
               "-g", str(voice.gap), "--stdout", text]
    wav = subprocess.run(command, capture_output=True, check=True, timeout=30).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    return resample(samples, rate, SAMPLE_RATE).astype(np.float32)


def trim_silence(samples: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """Cut espeak's leading and trailing silence so the word can be placed anywhere in a window."""
    loud = np.flatnonzero(np.abs(samples) > threshold * max(np.abs(samples).max(), 1e-9))
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples[:0]


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS background noise: 'white', 'pink' (1/f, like rain or fans) or 'brown' (rumble)."""
    white = rng.standard_normal(n)
    if kind != "white":
        spectrum = np.fft.rfft(white)
        f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
        spectrum /= np.sqrt(f) if kind == "pink" else f
        white = np.fft.irfft(spectrum, n)
    return (white / (white.std() + 1e-12)).astype(np.float32)


def place_in_window(word: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Put `word` at a random position in `length` samples (a random time shift)."""
    word = word[:length]
    start = rng.integers(0, length - len(word) + 1)
    out = np.zeros(length, np.float32)
    out[start:start + len(word)] = word
    return out


def mix_noise(signal: np.ndarray, rng: np.random.Generator, snr_db: float | None) -> np.ndarray:
    """Add background noise at a signal-to-noise ratio in dB (None: a faint noise floor only)."""
    kind = rng.choice(["white", "pink", "brown"])
    rms = np.sqrt(np.mean(signal ** 2)) if signal.any() else 0.05
    level = rms / 10 ** (snr_db / 20) if snr_db is not None else rms * 10 ** (-50 / 20)
    mixed = signal + level * noise(kind, len(signal), rng)
    peak = np.abs(mixed).max()
    return (mixed / peak * rng.uniform(0.2, 0.9) if peak > 0 else mixed).astype(np.float32)
