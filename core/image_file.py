"""Any common image file (PNG, JPEG, WebP, GIF, TIFF, 16-bit, CMYK, transparent) as RGB pixels, safely.

    image, original_size = open_rgb(data, max_side=4096)     # a PIL image, RGB, at most 4096 px a side

The one decoder behind photo uploads (core/data/uploads.py) and documents (core/document/io.py):
a decompression bomb (a few kB that unpack to hundreds of megapixels) is refused before a pixel is
decoded, a large JPEG decodes straight at a fraction of its size, EXIF rotation is applied, an
animated image gives its first frame, transparency is laid on white. Every failure is an
`ImageFileError` whose message says what was wrong and what to do.
"""
from __future__ import annotations

import io
import warnings

import numpy as np

MAX_PIXELS = 150_000_000   # above this, a decompression bomb: a 10000 x 10000 photo still passes


class ImageFileError(ValueError):
    """Why bytes cannot be read as an image, in plain words."""


class UnreadableImage(ImageFileError):
    """Not an image format at all (the caller may know what else it could have been)."""


def open_rgb(data: bytes, max_side: int, max_pixels: int = MAX_PIXELS, resample: str = "bilinear"):
    """(RGB PIL image scaled down to at most `max_side` pixels a side, its size in the file).
    `resample`: "bilinear" for photos, "lanczos" where small print must stay legible."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    if not data:
        raise ImageFileError("empty file: the image has 0 bytes.")
    pil_limit = Image.MAX_IMAGE_PIXELS  # process-wide in Pillow: set for this decode only, restored below
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow warns above it (an error here), refuses above 2x
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise ImageFileError(f"too large: {image.width:,}x{image.height:,} pixels, over the limit of "
                                     f"{max_pixels / 1e6:.0f} megapixels (a decompression bomb?). Scale it down first.")
            original = image.size
            image.seek(0)                               # the first frame of an animated GIF
            image.draft("RGB", (max_side, max_side))    # JPEG: big photos decode at 1/2 .. 1/8 scale
            image = _to_rgb(ImageOps.exif_transpose(image))
            if max(image.size) > max_side:
                image.thumbnail((max_side, max_side), getattr(Image.Resampling, resample.upper()))
            return image, original
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageFileError(f"too large: more than {max_pixels / 1e6:.0f} megapixels, the limit "
                             "(a decompression bomb?). Scale the image down first.") from err
    except UnidentifiedImageError as err:
        raise UnreadableImage(f"not a readable image: {err}") from err
    except (OSError, ValueError, SyntaxError) as err:  # truncated or corrupt pixel data
        raise ImageFileError(f"corrupt or truncated image: {err}") from err
    finally:
        Image.MAX_IMAGE_PIXELS = pil_limit


def _to_rgb(image):
    """16-bit and 32-bit greyscale stretched to 0-255; transparency laid on white; anything else converted."""
    from PIL import Image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        arr = (arr - arr.min()) / max(arr.max() - arr.min(), 1) * 255
        image = Image.fromarray(arr.astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")
