"""The one image decoder (core/image_file.py) behind photo uploads and documents."""
import io

import pytest
from PIL import Image

from core import image_file
from core.document.io import read_document


def png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_transparency_is_laid_on_white_and_large_images_are_scaled_down():
    image, original = image_file.open_rgb(png(Image.new("RGBA", (300, 100), (0, 0, 0, 0))), max_side=150)
    assert image.mode == "RGB" and image.size == (150, 50) and original == (300, 100)
    assert image.getpixel((10, 10)) == (255, 255, 255)
    # A document scan with a transparent background reads as a white page too (it was black before).
    assert read_document(png(Image.new("LA", (40, 40), (0, 0)))).pages[0][0, 0].tolist() == [255, 255, 255]


@pytest.mark.parametrize("data, error, message", [
    (b"", image_file.ImageFileError, "0 bytes"),
    (b"plain words, no picture" * 5, image_file.UnreadableImage, "not a readable image"),
    (png(Image.new("1", (20000, 20000))), image_file.ImageFileError, "decompression bomb"),
    (png(Image.new("RGB", (64, 64), (200, 0, 0)))[:60], image_file.ImageFileError, "corrupt or truncated"),
])
def test_every_failure_says_what_was_wrong(data, error, message):
    with pytest.raises(error, match=message):
        image_file.open_rgb(data, max_side=1000)
