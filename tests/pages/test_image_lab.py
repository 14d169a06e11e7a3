"""The Image Lab through AppTest: examples, uploads (good and bad), Grad-CAM, teaching classes."""
import io

import numpy as np
import pytest
from PIL import Image

from tests.pages.conftest import open_page, texts, wait_for_run


@pytest.fixture
def at(pretrained_cache):
    return open_page("pages/image_lab.py")


def _jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_example_photo_is_recognised_with_heatmap(at):
    assert not at.exception
    at.button(key="example-Chelsea the cat").click().run()
    assert not at.exception
    heading = "\n".join(m.value for m in at.markdown)
    assert "It sees:" in heading
    top = at.session_state["prediction"].top
    assert any(word in label.lower() for label, _ in top for word in ("cat", "tabby", "mau"))
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1  # the photo and the Grad-CAM overlay


def test_uploaded_photo_is_recognised(at):
    from skimage import data as skdata
    at.file_uploader(key="photo_upload").set_value(("coffee.jpg", _jpeg(skdata.coffee()), "image/jpeg")).run()
    assert not at.exception
    labels = [label.lower() for label, _ in at.session_state["prediction"].top]
    assert any("espresso" in label or "cup" in label for label in labels), labels


@pytest.mark.parametrize("name, data, message", [
    ("empty.jpg", b"", "0 bytes"),
    ("notes.jpg", b"hello, this is text", "not a readable image"),
    ("cut.jpg", _jpeg(np.full((64, 64, 3), 120, np.uint8))[:200], "corrupt or truncated"),
], ids=["zero-bytes", "text-as-jpg", "truncated"])
def test_bad_photos_get_a_message_and_page_keeps_working(at, name, data, message):
    at.file_uploader(key="photo_upload").set_value((name, data, "image/jpeg")).run()
    assert not at.exception
    assert message in texts(at.error)
    at.button(key="example-A cup of coffee").click().run()  # still usable afterwards
    assert not at.exception
    assert "It sees:" in "\n".join(m.value for m in at.markdown)
