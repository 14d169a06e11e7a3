"""The Image Lab's ready-made answers held by an evaluation set: tests/evals/images.csv, the six
bundled example photos and the other photos scikit-image and scikit-learn ship, each with the
answer a person would call right (a group, a class, or "not sure" where ImageNet has no class for
what is shown) and the reason.

Measured 2026-12-07: 12 of 14 (the clock is read as a bubble, the flower only "not sure"), 4 of the
6 bundled photos read right before grouping (Chelsea and the temple were "Not sure").
"""
import csv
from pathlib import Path

import numpy as np
import pytest

from core.catalog import load_model
from core.image.groups import reading

EVAL = Path(__file__).resolve().parents[2] / "evals" / "images.csv"
FLOOR = 12 / 14
BUNDLED = {"skimage:chelsea", "skimage:coffee", "skimage:astronaut", "skimage:rocket", "sklearn:china.jpg",
           "sklearn:flower.jpg"}


def photo(source: str) -> np.ndarray:
    package, name = source.split(":")
    if package == "sklearn":
        from sklearn.datasets import load_sample_image
        return load_sample_image(name)
    import skimage.data
    image = getattr(skimage.data, name)()
    return np.stack([image] * 3, axis=-1) if image.ndim == 2 else image[..., :3]


@pytest.fixture(scope="module")
def classifier():
    return load_model("efficientnet_lite0_imagenet")


def test_every_photo_of_the_eval_set_reads_as_a_person_would_say(classifier):
    with open(EVAL, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["photo"] for r in rows} >= BUNDLED and all(r["reason"] for r in rows)
    said = {r["photo"]: reading(classifier.predict(photo(r["photo"]))) for r in rows}
    right = [r["photo"] for r in rows if said[r["photo"]] == r["expected"]]
    assert len(right) / len(rows) >= FLOOR, {p: said[p] for p in said if p not in right}
    bundled_right = [p for p in right if p in BUNDLED]
    assert len(bundled_right) >= 5, said  # of the Image Lab's own six examples, only the flower is unsure


def test_a_group_adds_up_its_kinds_and_names_them(classifier):
    prediction = classifier.predict(photo("skimage:chelsea"))
    cat = prediction.groups[0]
    assert cat.name == "cat" and cat.is_group and cat.probability > 0.8 and prediction.sure
    assert cat.probability == pytest.approx(sum(p for _, p in cat.members), abs=0.05)
    assert prediction.top[0][1] < 0.5  # no single kind of cat would have been sure
