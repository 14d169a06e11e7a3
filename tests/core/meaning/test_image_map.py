"""The image map (#17): a zip of label folders read by the studio's upload reader, EfficientNet-Lite0's
pooled features (sharing the classifier's weights), one point per image, and the odd ones out."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.data import DataError
from core.meaning import image_map, maps


def png(value: int, size: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_every_readable_image_becomes_one_item_labelled_by_its_folder():
    images = image_map.read_image_zip(zipped({"set/dark/a.png": png(10), "set/dark/b.png": png(20),
                                              "set/light/c.png": png(240), "set/light/readme.txt": b"hi"}))
    assert images.labels == ["dark", "dark", "light"]
    assert images.files == ["set/dark/a.png", "set/dark/b.png", "set/light/c.png"]
    assert images.pixels.shape == (3, 224, 224, 3) and images.thumbnail(0).shape[:2] == (75, 75)
    assert images.notes == ["1 files that are not images were ignored."]


def test_a_broken_image_is_left_out_with_a_note_naming_it():
    images = image_map.read_image_zip(zipped({"a/1.png": png(10), "a/2.png": png(20), "b/3.png": png(200),
                                              "b/broken.png": png(200)[:60]}))
    assert len(images) == 3 and "b/broken.png" not in images.files
    assert images.notes == ["Left out 1: 1 corrupt or truncated image (b/broken.png)."]


@pytest.mark.parametrize("data, phrase", [
    (b"not a zip at all", "not a zip file"),
    (zipped({"a/notes.txt": b"x", "b/more.csv": b"y"}), "No images found in the zip (2 other files)"),
    (zipped({"a/1.png": png(1), "b/2.png": png(2)[:30], "b/3.png": b""}), "Only 1 readable images; a map needs at least 3"),
    (zipped({f"a/{i}.png": png(i) for i in range(5)}), "The zip holds 5 images; the map takes up to 4 at once"),
], ids=["not-a-zip", "no-images", "too-few-readable", "too-many"])  # the bytes hold the zip's time: xdist's
# two processes would collect different ids and refuse to run
def test_zips_that_cannot_be_mapped_say_why(data, phrase):
    with pytest.raises(DataError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        image_map.read_image_zip(data, limit=4)


def test_odd_ones_out_are_images_whose_neighbours_mostly_carry_another_label():
    rng = np.random.default_rng(0)
    centres = {"cat": np.eye(8)[0], "dog": np.eye(8)[1]}
    labels = ["cat"] * 6 + ["dog"] * 6
    vectors = np.array([centres[label] + 0.05 * rng.normal(size=8) for label in labels])
    labels[2] = "dog"                     # a cat filed under dog
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    odd = image_map.odd_ones_out(vectors, labels, k=5)
    assert [(o.index, o.looks_like, o.others, o.neighbours) for o in odd] == [(2, "cat", 5, 5)]
    assert odd[0].other_share == 1.0
    assert image_map.odd_ones_out(vectors, ["cat"] * 6 + ["dog"] * 6) == []


@pytest.fixture
def efficientnet(pretrained_cache):
    """The real model, converted once per session into the shared models folder."""
    from core.catalog import load_model
    return load_model(image_map.BACKBONE)


def test_the_bundled_example_maps_one_point_per_image_and_finds_the_misfiled_two(efficientnet):
    images = image_map.example_images()
    assert len(images) == 50 and set(images.labels) == {"trouser", "sneaker", "bag"}
    vectors = image_map.embed(efficientnet, images.pixels)
    assert vectors.shape == (50, 1280) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert maps.project(vectors).shape == (50, 2) and maps.project(vectors, "tsne").shape == (50, 2)
    odd = {images.files[o.index]: o.looks_like for o in image_map.odd_ones_out(vectors, images.labels)}
    # assets/make_image_map_sample.py put a bag in trouser/ and a sneaker in bag/
    assert odd == {"clothes/trouser/trouser_08.png": "bag", "clothes/bag/bag_16.png": "sneaker"}
    near = image_map.nearest(vectors, images.files.index("clothes/bag/bag_16.png"))
    assert [images.labels[i] for i, _ in near].count("sneaker") >= 4


def test_the_pooled_features_share_the_classifiers_weights(efficientnet):
    pooled = image_map.pooled_model(efficientnet)
    assert image_map.pooled_model(efficientnet) is pooled                   # built once
    assert pooled.output.shape[-1] == 1280
    assert pooled.get_layer("stem_conv") is efficientnet.model.get_layer("stem_conv")   # no second copy
