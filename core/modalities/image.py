"""Images: (height, width, channels) arrays of raw 0-255 pixels."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.modalities.base import InputRefused, Modality, fill, shown

MIN_IMAGE_SIDE = 8
# Pixel ranges an image model may expect; the studio's own runs take raw 0-255 values.
PIXEL_RANGES = {"0-255": "raw 0-255 pixel values", "0-1": "pixel values scaled to 0-1",
                "-1-1": "pixel values scaled to -1..1"}

IMAGE_PREPARE = """\
import numpy as np
from PIL import Image
image = Image.open("{{example}}").convert("{{mode}}").resize(({{width}}, {{height}}))  # or your own picture
x = np.asarray(image, np.float32).reshape(1, {{height}}, {{width}}, {{channels}})  # {{pixels}}
"""

EFFICIENTNET_NORMALIZE = "x = (x - 127.0) / 128.0  # EfficientNet-Lite0's scaling (preprocessing.json: normalize)\n"


class ImageModality(Modality):
    name = "image"
    noun = "images"
    example_file = "example.png"
    pixels = True
    grid = True
    none_of_these = True

    def training_preprocessing(self) -> dict:
        return {"pixels": "raw 0-255, RGB or grey as in input_shape"}

    def describe_input(self, shape, preprocessing) -> str:
        if preprocessing.get("normalize"):
            return f"An RGB image resized to {shape[1]}x{shape[0]}, pixels scaled as (value - 127) / 128."
        colours = "grey" if shape[-1] == 1 else "RGB"
        return f"A {colours} image of {shape[1]}x{shape[0]} pixels, raw values 0-255 (the model rescales them)."

    def prepare_code(self, shape, preprocessing, example, export_dir: Path) -> str:
        height, width, channels = shape
        normalize = bool(preprocessing.get("normalize"))
        code = fill(IMAGE_PREPARE, example=example, mode="L" if channels == 1 else "RGB", height=height,
                    width=width, channels=channels,
                    pixels="pixels 0-255" if normalize else "raw pixel values 0-255: the model rescales them")
        return code + (EFFICIENTNET_NORMALIZE if normalize else "")

    def encode(self, raw, preprocessing, model):
        if not preprocessing.get("normalize"):
            return np.asarray(raw, np.float32)
        # Transfer learning: crop, resize and scale as inference does.
        height, width, channels = model.input_shape[1:]
        normalize = self.normalizer(preprocessing)
        return np.stack([prepare_photo(image if image.shape[-1] == 3 else np.repeat(image, 3, -1), (height, width),
                                       channels, normalize=normalize) for image in raw])

    def random_inputs(self, rng, shape, preprocessing):
        return rng.uniform(-1, 1, shape) if preprocessing.get("normalize") else rng.uniform(0, 255, shape)

    def example_from_random(self, x0, preprocessing):
        return x0 if preprocessing.get("normalize") else x0.round().clip(0, 255).astype(np.uint8)

    def write_example(self, path: Path, example) -> None:
        from PIL import Image
        image = np.asarray(example).astype(np.uint8)
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)

    def pictures(self, examples) -> list:
        return [np.asarray(image) for image in examples]

    def import_shape_problem(self, input_shape):
        ok = len(input_shape) == 4 and input_shape[3] in (1, 3) \
            and all(isinstance(side, int) and side >= MIN_IMAGE_SIDE for side in input_shape[1:3])
        return None if ok else (f"(None, height, width, channels) with channels 1 (grey) or 3 (RGB) and height "
                                f"and width at least {MIN_IMAGE_SIDE}")

    def import_preprocessing(self, given, input_shape) -> dict:
        pixels = given.get("pixels", "0-255")
        if isinstance(pixels, str) and pixels.startswith("raw 0-255"):  # what studio image runs write
            pixels = "0-255"
        if pixels not in PIXEL_RANGES:
            raise InputRefused(f"Refused: preprocessing.json says pixels '{shown(pixels)}'; use one of "
                                   f"{', '.join(PIXEL_RANGES)} (the range the model expects).")
        prep = {"pixels": pixels}
        from core.catalog import CATALOG
        if given.get("normalize") in CATALOG:  # a studio transfer-learning run (its backbone's key)
            prep["normalize"] = given["normalize"]
        return prep

    def normalizer(self, preprocessing: dict):
        """The function from raw 0-255 pixels to what the model takes (None: it takes them as they are):
        a pretrained backbone's scaling (transfer learning runs), or the pixel range an import names."""
        if preprocessing.get("normalize"):
            from core.catalog import CATALOG
            return CATALOG[preprocessing["normalize"]].preprocess
        pixels = preprocessing.get("pixels", "0-255")
        if pixels.startswith("raw 0-255"):  # what studio image runs write
            return None
        return {"0-255": None, "0-1": _unit_pixels, "-1-1": _signed_pixels}[pixels]

    def probe_inputs(self, rng, shape, preprocessing):
        normalize = self.normalizer(preprocessing)
        x = rng.uniform(0, 255, shape).astype(np.float32)
        return normalize(x) if normalize else x

    def preparation_text(self, preprocessing) -> str:
        height, width = preprocessing["input_shape"][:2]
        return (f"photo centre-cropped and resized to {height} x {width}, "
                + ("normalised as for EfficientNet-Lite0" if preprocessing.get("normalize")
                   else PIXEL_RANGES[preprocessing["pixels"]]))


def _unit_pixels(x):
    return x / 255.0


def _signed_pixels(x):
    return x / 127.5 - 1.0


def crop_box(image_size: tuple, input_size: tuple, crop_fraction: float = 1.0) -> tuple[float, float, float, float]:
    """The central region (left, top, right, bottom) of a photo of `image_size` (h, w) that a model
    of `input_size` (h, w) looks at: its aspect ratio, then `crop_fraction` of that."""
    h, w = image_size
    aspect = input_size[1] / input_size[0]
    crop_w, crop_h = (h * aspect, h) if w / h > aspect else (w, w / aspect)
    crop_w, crop_h = crop_w * crop_fraction, crop_h * crop_fraction
    return ((w - crop_w) / 2, (h - crop_h) / 2, (w + crop_w) / 2, (h + crop_h) / 2)


def prepare_photo(image: np.ndarray, input_size: tuple, channels: int, crop_fraction: float = 1.0,
                  normalize=None) -> np.ndarray:
    """RGB uint8 photo (H, W, 3) -> one model input (h, w, c) float32: cropped around its centre to the
    model's aspect ratio, resized (bicubic) as the model saw its training images, then `normalize`d."""
    from PIL import Image
    photo = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
    if channels == 1:
        photo = photo.convert("L")
    box = crop_box(np.asarray(image).shape[:2], input_size, crop_fraction)
    resized = photo.resize(tuple(input_size[::-1]), Image.Resampling.BICUBIC, box=box)
    x = np.asarray(resized, dtype=np.float32).reshape(*input_size, channels)
    return normalize(x) if normalize else x
