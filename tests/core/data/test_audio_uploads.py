"""Audio uploads: a zip of sound folders or clips class by class become one-second log-mels."""
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.data import AUDIO, DataError, load_dataset, uploads

SOUNDS_ZIP = Path(__file__).resolve().parents[3] / "assets" / "samples" / "sounds.zip"


def wav(hz=440.0, seconds=0.6) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.4 * np.sin(2 * np.pi * hz * t), 16000, format="WAV")
    return buffer.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_sample_sounds_zip_imports_as_an_audio_dataset():
    report = uploads.import_audio_zip(SOUNDS_ZIP.read_bytes(), title="Sample sounds")
    assert report.kind == AUDIO and report.class_counts == {"hiss": 16, "knock": 16, "whistle": 16}
    assert report.skipped == {}
    data = load_dataset(report.dataset_key)
    assert data.kind == AUDIO and data.class_names == ["hiss", "knock", "whistle"]
    assert data.x.shape[1:] == (98, 40, 1) and data.x.dtype == np.float32
    assert len(data.x) + len(data.x_test) == 48 and 0 <= data.x.min() and data.x.max() <= 1


def test_broken_and_foreign_files_are_skipped_and_counted():
    entries = {f"low/{i}.wav": wav(300 + i) for i in range(3)}
    entries |= {f"high/{i}.flac": wav(3000 + i) for i in range(3)}
    entries |= {"high/photo.wav": b"\x89PNG\r\n\x1a\n" + bytes(50), "low/empty.wav": b"",
                "low/readme.txt": b"notes", "high/cut.wav": wav()[:30]}
    report = uploads.import_audio_zip(zip_of(entries))
    assert report.class_counts == {"high": 3, "low": 3}
    assert report.skipped == {"unreadable or unusable clip": 3, "not an audio file": 1}


def test_a_class_with_one_clip_is_refused_with_its_name():
    with pytest.raises(DataError, match=r"at least 2 clips.*'solo' \(1\)"):
        uploads.import_audio_files({"solo": [("a.wav", wav())], "pair": [("b.wav", wav()), ("c.wav", wav())]})


def test_only_broken_clips_says_so():
    with pytest.raises(DataError, match="No usable clips found. Skipped: 2 unreadable"):
        uploads.import_audio_zip(zip_of({"a/1.wav": b"junk", "b/1.wav": b"more junk"}))


def test_class_by_class_recordings():
    report = uploads.import_audio_files({"hum ": [(f"{i}.wav", wav(200 + i)) for i in range(2)],
                                         "beep": [(f"{i}.wav", wav(2000 + i)) for i in range(2)],
                                         "  ": [("x.wav", wav())]})
    assert report.class_counts == {"beep": 2, "hum": 2}
    assert uploads.upload_meta(report.upload_id)["features"]["n_mels"] == 40
