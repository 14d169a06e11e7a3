"""The Meaning lab's map of images (#17) through AppTest: the bundled example (one point per image, the
two misfiled pictures among the odd ones out, a picked image's neighbours as thumbnails), an uploaded
zip with a broken image (left out, named), a file that is no zip. More bad zips: tests/pages/test_bad_uploads.py."""
from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
from PIL import Image

from tests.pages.conftest import open_page, texts

PAGE = "pages/meaning_lab.py"


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def images_tab(at):
    at.radio(key="meaning_map_what").set_value("images").run()
    no_exception(at)
    return at


def points_on_the_map(at) -> int:
    chart = next(c for c in at.get("plotly_chart") if "meaning_imgmap_chart" in c.proto.id)
    return sum(_length(trace.get("x", [])) for trace in json.loads(chart.proto.spec)["data"])


def _length(values) -> int:
    """Plotly writes NumPy arrays as base64 typed arrays ({"dtype", "bdata"}), lists as lists."""
    if isinstance(values, dict):
        return len(np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]))
    return len(values)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def png(value: int) -> bytes:
    buffer = io.BytesIO()
    image = np.full((40, 40, 3), value, np.uint8)
    image[10:20, 10:30] = 255 - value
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_example_maps_every_image_and_lists_the_misfiled_ones(pretrained_cache):
    at = images_tab(open_page(PAGE))
    assert "Use the example" in texts(at.info)
    at.button(key="meaning_imgmap_example").click().run()
    no_exception(at)
    assert points_on_the_map(at) == 50
    assert "50 images, 3 labels" in texts(at.caption)
    shown = texts(at.markdown)
    assert ("**clothes/trouser/trouser_08.png** is in **trouser**, but 5 of its 5 nearest neighbours are not: "
            "most of them are **bag**") in shown
    assert "**clothes/bag/bag_16.png** is in **bag**" in shown and "most of them are **sneaker**" in shown
    picker = at.selectbox(key="meaning_imgmap_pick")
    assert len(picker.options) == 50
    picker.set_value(picker.options.index("clothes/bag/bag_16.png (bag)")).run()  # the sneaker filed as a bag
    no_exception(at)
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert "bag · picked" in captions and sum(c.startswith("sneaker · ") for c in captions) >= 4
    at.radio(key="meaning_imgmap_method").set_value("tsne").run()
    no_exception(at)
    assert points_on_the_map(at) == 50
    assert not [t for t in shown.split("\n") if "None" in t or "nan" in t]


def test_an_uploaded_zip_with_a_broken_image_maps_the_rest_and_names_it(pretrained_cache):
    at = images_tab(open_page(PAGE))
    data = zipped({"dark/1.png": png(20), "dark/2.png": png(30), "light/3.png": png(220), "light/4.png": png(230),
                   "light/broken.png": png(200)[:50]})
    at.file_uploader(key="meaning_image_zip").set_value(("mine.zip", data, "application/zip")).run()
    no_exception(at)
    assert "Left out 1: 1 corrupt or truncated image (light/broken.png)" in texts(at.warning)
    assert points_on_the_map(at) == 4 and not at.error
    at.file_uploader(key="meaning_image_zip").set_value(("notes.zip", b"just words", "application/zip")).run()
    no_exception(at)
    assert "**notes.zip** cannot be mapped: This is not a zip file." in texts(at.error)
    assert not [c for c in at.get("plotly_chart") if "meaning_imgmap_chart" in c.proto.id]   # no stale map
