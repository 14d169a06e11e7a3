"""The modality registry: one object per kind of input, and no kind-string branches elsewhere."""
import re
from pathlib import Path

import numpy as np
import pytest

from core.modalities import LABS, MODALITIES, modality_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_of_dataset_has_a_modality_and_unknown_kinds_read_as_a_table():
    from core.data.dataset import AUDIO, IMAGE, TABULAR, TEXT
    assert set(MODALITIES) == {IMAGE, AUDIO, TEXT, TABULAR}
    assert set(LABS) <= set(MODALITIES)
    assert modality_of(None).name == modality_of("no such kind").name == "tabular"


@pytest.mark.parametrize("kind, good, bad", [
    ("image", (None, 32, 32, 3), (None, 32, 32, 4)),
    ("audio", None, (None, 10, 10, 1)),
    ("text", (None, 64), (None, 64, 8)),
])
def test_a_lab_accepts_the_input_shapes_it_can_feed_and_names_the_one_it_needs(kind, good, bad):
    if good is None:
        from core.audio.features import CLIP_FRAMES, N_MELS
        good = (None, CLIP_FRAMES, N_MELS, 1)
    assert modality_of(kind).import_shape_problem(good) is None
    assert "None" in modality_of(kind).import_shape_problem(bad)


def test_made_up_inputs_fall_in_each_modality_range():
    rng = np.random.default_rng(0)
    assert modality_of("image").random_inputs(rng, (4, 8, 8, 3), {}).max() > 1  # raw pixels, 0-255
    assert modality_of("image").random_inputs(rng, (4, 8, 8, 3), {"normalize": "x"}).min() >= -1
    audio = modality_of("audio").random_inputs(rng, (4, 10, 10, 1), {})
    assert audio.min() >= 0 and audio.max() <= 1
    ids = modality_of("text").random_inputs(rng, (4, 12), {"vocabulary": ["", "[UNK]", "a", "b"]})
    assert ids.dtype.kind == "i" and ids.max() < 4


def test_pictures_of_spectrograms_put_time_across_and_pitch_up():
    spectrogram = np.zeros((100, 40, 1), np.float32)
    spectrogram[:, 0] = 1.0  # the lowest mel band, loud all the time
    picture = modality_of("audio").pictures([spectrogram])[0]
    assert picture.shape == (40, 100) and picture[-1].min() == 255 and picture[0].max() == 0
    assert modality_of("text").pictures(["a text"]) is None


def test_only_texts_take_an_upload_setting():
    assert "split" in modality_of("text").upload_params()
    assert modality_of("image").upload_params() == {} == modality_of("audio").upload_params()


# A quoted kind ends at its quote (no word boundary can follow it); a constant ends at a word boundary.
KIND_BRANCH = re.compile(r"""(\bkind|\blab)\s*(==|!=|\bin\b|\bnot in\b)\s*[\(\[{]?\s*(["'](image|audio|text|tabular)["']|\b(IMAGE|AUDIO|TEXT|TABULAR)\b)""")


def test_the_branch_pattern_catches_what_it_is_for():
    for line in ('if kind == "text":', "x = 1 if lab == 'image' else 2", 'if kind in ("image", "audio"):',
                 "if data.kind == IMAGE:", "if lab != TEXT and y:"):
        assert KIND_BRANCH.search(line), line
    for line in ('if kind == "textual":', "if lab == IMAGES_DIR:", 'label == "text"'):
        assert not KIND_BRANCH.search(line), line


def test_no_code_outside_the_registry_branches_on_a_modality_string():
    offenders = []
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        if "modalities" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if KIND_BRANCH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "ask core.modalities instead:\n" + "\n".join(offenders)
