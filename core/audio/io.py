"""Decode an uploaded or recorded clip into mono float32 samples at 16 kHz.

    clip = decode_audio(data, "hello.mp3")   # -> Clip(samples, sample_rate=16000, ...)

WAV, FLAC, OGG/Vorbis, Opus and MP3 go through libsndfile (the `soundfile` package); M4A/AAC
needs ffmpeg, used when it is installed. Every problem becomes an `AudioError` whose message says
what was wrong and what to do.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import DataError

SAMPLE_RATE = 16000           # what every studio model and the speech recogniser expect
MAX_SECONDS = 60.0            # longer clips are refused (say so) rather than cut silently
LONG_SECONDS = 600.0          # callers that handle long audio (Whisper: 10 minutes) pass this instead
MIN_SECONDS = 0.1
SILENCE_PEAK = 10 ** (-60 / 20)  # below -60 dBFS everywhere: nothing to hear
SOUNDFILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}
FFMPEG_SUFFIXES = {".m4a", ".aac", ".mp4", ".webm"}
# WAV format tags libsndfile decodes; any other tag is a codec the studio cannot read.
WAV_CODECS = {0x0001: "PCM", 0x0003: "float", 0x0006: "A-law", 0x0007: "µ-law", 0x0002: "MS ADPCM",
              0x0011: "IMA ADPCM", 0x0031: "GSM 6.10", 0xFFFE: "extensible"}
WAV_CODEC_NAMES = {0x0055: "MPEG Layer 3", 0x0050: "MPEG", 0x00FF: "AAC", 0x1610: "AAC",
                   0x0161: "Windows Media Audio", 0x2000: "Dolby AC-3", 0x0022: "TrueSpeech"}
AUDIO_SUFFIXES = SOUNDFILE_SUFFIXES | FFMPEG_SUFFIXES


class AudioError(DataError):
    """The clip cannot be used; the message says why and what to do."""


@dataclass
class Clip:
    samples: np.ndarray          # mono float32 in [-1, 1] at SAMPLE_RATE
    original_rate: int
    channels: int
    format: str
    notes: list[str] = field(default_factory=list)   # what was changed on the way in

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def peak(self) -> float:
        return float(np.abs(self.samples).max()) if len(self.samples) else 0.0

    @property
    def is_silent(self) -> bool:
        return self.peak < SILENCE_PEAK


def decode_audio(data: bytes, filename: str = "clip.wav", max_seconds: float = MAX_SECONDS) -> Clip:
    """Any supported audio file -> Clip (mono, 16 kHz), with notes on what was converted."""
    if not data:
        raise AudioError("The file is empty (0 bytes). Upload or record a clip again.")
    suffix = Path(filename).suffix.lower()
    if suffix in FFMPEG_SUFFIXES or _looks_like_mp4(data):
        samples, rate, fmt = _decode_with_ffmpeg(data, suffix or ".m4a", max_seconds)
    else:
        samples, rate, fmt = _decode_with_soundfile(data, filename, max_seconds)
    channels = samples.shape[1]
    duration = len(samples) / rate
    if duration > max_seconds:
        raise AudioError(too_long(duration, max_seconds))
    if duration < MIN_SECONDS:
        raise AudioError(f"The clip is too short: {duration * 1000:.0f} ms. Record or upload at least "
                         f"{MIN_SECONDS * 1000:.0f} ms (a spoken word takes about half a second).")
    notes = []
    announced = _wav_announced_seconds(data)
    if announced and announced > duration + 0.01:
        notes.append(f"The file is cut short: its header announces {announced:.2f} s of sound but it holds "
                     f"{duration:.2f} s (an interrupted download or copy?). The part that is there is used.")
    if channels > 1:
        notes.append(f"{channels} channels were mixed down to mono.")
    mono = samples.mean(axis=1, dtype=np.float64)
    if rate != SAMPLE_RATE:
        mono = resample(mono, rate, SAMPLE_RATE)
        notes.append(f"Resampled from {rate:,} Hz to {SAMPLE_RATE:,} Hz"
                     + (" (a low rate: sounds above {:,} Hz were never recorded)".format(rate // 2)
                        if rate < SAMPLE_RATE else "") + ".")
    mono = np.clip(np.nan_to_num(mono), -1.0, 1.0).astype(np.float32)
    return Clip(mono, rate, channels, fmt, notes)


def too_long(seconds: float, max_seconds: float) -> str:
    """What was wrong (how long, the limit) and what to do."""
    limit = f"{max_seconds:.0f} s" if max_seconds < 120 else f"{max_seconds / 60:.0f} minutes"
    return (f"The clip lasts {_duration(seconds)}; the limit is {limit}. "
            "Trim it (or upload the part you want) and try again.")


def _duration(seconds: float) -> str:
    """61.0 s, 10 min 1 s, 2 h 5 min: exact just over a limit, round for hours."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 2 * 3600:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(int(round(seconds / 60)), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} hours"


def to_wav_bytes(samples: np.ndarray) -> bytes:
    """16-bit PCM WAV at 16 kHz, as heard: no loudness normalisation (silence stays silent)."""
    import soundfile
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(samples, np.float32), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased), exact for rational rate ratios."""
    from math import gcd

    from scipy.signal import resample_poly
    g = gcd(int(rate), int(target))
    return resample_poly(samples, target // g, rate // g)


def _decode_with_soundfile(data: bytes, filename: str, max_seconds: float) -> tuple[np.ndarray, int, str]:
    import soundfile
    tag = _wav_format_tag(data)
    if tag is not None and tag not in WAV_CODECS:
        codec = WAV_CODEC_NAMES.get(tag, f"format tag 0x{tag:04X}")
        raise AudioError(f"'{filename}' is a WAV file whose sound is encoded with a codec the studio "
                         f"cannot decode ({codec}). Export it as plain PCM WAV, FLAC or MP3.")
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as f:
            rate, fmt = f.samplerate, f"{f.format} {f.subtype}"
            if f.frames > 0 and f.frames / rate > max_seconds * 1.5:  # don't decode two hours to refuse them
                raise AudioError(too_long(f.frames / rate, max_seconds))
            samples = f.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError, EOFError) as err:
        raise AudioError(_explain_decode_failure(data, filename, str(err))) from err
    if len(samples) == 0:
        raise AudioError("The file holds no audio samples (a header with nothing after it?). "
                         "Record or export the clip again.")
    return samples, rate, fmt


def _wav_format_tag(data: bytes) -> int | None:
    """The codec tag in a RIFF/WAVE file's 'fmt ' chunk, or None for anything else."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WAVE"):
        return None
    at = data.find(b"fmt ", 12, 4096)
    return struct.unpack("<H", data[at + 8:at + 10])[0] if at >= 0 and len(data) >= at + 10 else None


def _wav_announced_seconds(data: bytes) -> float | None:
    """How long a RIFF/WAVE file's header says its sound is (None when it does not say)."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WAVE"):
        return None
    fmt, chunk = data.find(b"fmt ", 12, 4096), data.find(b"data", 12, 1 << 16)
    if fmt < 0 or chunk < 0 or len(data) < max(fmt + 20, chunk + 8):
        return None
    byte_rate = struct.unpack("<I", data[fmt + 16:fmt + 20])[0]
    size = struct.unpack("<I", data[chunk + 4:chunk + 8])[0]
    if not byte_rate or size in (0, 0xFFFFFFFF):  # streaming writers leave the size unset
        return None
    return size / byte_rate


def _explain_decode_failure(data: bytes, filename: str, detail: str) -> str:
    detail = re.sub(r"^Error opening <[^>]*>: ", "", detail).strip()  # libsndfile's prefix: noise
    head = data[:16]
    images = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
              b"%PDF": "a PDF document", b"PK\x03\x04": "a zip archive"}
    for magic, what in images.items():
        if head.startswith(magic):
            return f"'{filename}' is {what}, not audio. Upload a WAV, MP3, FLAC or OGG clip."
    if head.startswith(b"RIFF") and b"WAVE" in data[:12]:
        lowered = detail.lower()
        if "unsupported" in lowered or "format" in lowered and "encoding" in lowered:
            return (f"'{filename}' is a WAV file with a codec the studio cannot decode ({detail}). "
                    "Export it as plain PCM WAV, FLAC or MP3.")
        return (f"'{filename}' is a damaged or truncated WAV file ({detail}). "
                "Export or record it again.")
    return (f"'{filename}' could not be read as audio ({detail}): it is corrupt, truncated, or in a "
            "format the studio cannot decode. Use WAV, MP3, FLAC or OGG/Opus"
            + (" (or M4A with ffmpeg installed)." if not shutil.which("ffmpeg") else " or M4A."))


def _looks_like_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def _decode_with_ffmpeg(data: bytes, suffix: str, max_seconds: float) -> tuple[np.ndarray, int, str]:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise AudioError(f"{suffix.lstrip('.').upper()} audio (AAC inside an MP4 container) needs ffmpeg, "
                         "which is not installed here. Install it (`sudo apt-get install ffmpeg`) or "
                         "convert the clip to WAV, MP3 or FLAC first.")
    # One second past the limit is decoded, so a longer file is refused by decode_audio, not cut.
    command = [ffmpeg, "-nostdin", "-v", "error", "-i", "pipe:0", "-t", str(max_seconds + 1),
               "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "pipe:1"]
    probe = subprocess.run(command, input=data, capture_output=True, timeout=60)
    if probe.returncode != 0 or not probe.stdout:
        message = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no audio"]
        raise AudioError(f"ffmpeg could not decode this {suffix} file ({message[0]}). "
                         "It may be corrupt or use an unusual codec; convert it to WAV and try again.")
    samples = np.frombuffer(probe.stdout, dtype="<f4").reshape(-1, 1)
    return samples, SAMPLE_RATE, f"{suffix.lstrip('.').upper()} via ffmpeg"
