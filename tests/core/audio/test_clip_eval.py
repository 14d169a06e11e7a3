"""The Audio Lab's ready-made answers on its bundled clips, held by tests/evals/clips.csv: the
keyword each one-word clip says, and what every clip says in words, with the reason.

Measured 2026-12-07: the keyword spotter names 3 of 3 one-word clips; Whisper base transcribes all
5 clips with 0 word errors in 14 words (numbers compared as words: "10" is "ten").
"""
import csv
from pathlib import Path

import pytest

from core.audio.io import decode_audio
from core.audio.keywords import BUNDLED_KEY
from core.audio.speech import word_errors
from core.audio.whisper import base_available
from core.catalog import load_model
from core.paths import ASSETS_DIR

EVAL = Path(__file__).resolve().parents[2] / "evals" / "clips.csv"
CLIPS = ASSETS_DIR / "samples" / "audio"


def rows() -> list[dict]:
    with open(EVAL, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def clip(name: str):
    return decode_audio((CLIPS / name).read_bytes(), name)


def test_every_bundled_clip_is_in_the_eval_set():
    assert {r["clip"] for r in rows()} == {p.name for p in CLIPS.glob("*.wav")}


def test_the_keyword_spotter_names_every_one_word_clip():
    spotter = load_model(BUNDLED_KEY)
    single = [r for r in rows() if r["keyword"]]
    said = {r["clip"]: spotter.predict(clip(r["clip"]).samples).top[0][0] for r in single}
    assert said == {r["clip"]: r["keyword"] for r in single}


@pytest.mark.skipif(not base_available(), reason="Whisper base is not installed (requirements-models.txt)")
def test_whisper_transcribes_every_bundled_clip_word_for_word():
    recogniser = load_model("whisper_base")
    errors = words = 0
    for r in rows():
        wrong, total = word_errors(r["transcript"], recogniser.transcribe(clip(r["clip"]).samples).text)
        errors, words = errors + wrong, words + total
    assert words == 14 and errors <= 1, errors
