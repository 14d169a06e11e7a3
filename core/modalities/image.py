"""Images: (height, width, channels) arrays of raw 0-255 pixels."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.modalities.base import Modality, fill

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
        from core.inference import ImageClassifier
        from core.models.pretrained import PRETRAINED
        classifier = ImageClassifier(model, [], {}, normalize=PRETRAINED[preprocessing["normalize"]].preprocess)
        return np.stack([classifier.prepare(image if image.shape[-1] == 3 else np.repeat(image, 3, -1))
                         for image in raw])

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
        from core.model_import import ModelImportError, _shown
        pixels = given.get("pixels", "0-255")
        if isinstance(pixels, str) and pixels.startswith("raw 0-255"):  # what studio image runs write
            pixels = "0-255"
        if pixels not in PIXEL_RANGES:
            raise ModelImportError(f"Refused: preprocessing.json says pixels '{_shown(pixels)}'; use one of "
                                   f"{', '.join(PIXEL_RANGES)} (the range the model expects).")
        prep = {"pixels": pixels}
        from core.models.pretrained import PRETRAINED
        if given.get("normalize") in PRETRAINED:  # a studio transfer-learning run
            prep["normalize"] = given["normalize"]
        return prep

    def probe_inputs(self, rng, shape, preprocessing):
        from core.model_import import image_normalizer
        normalize = image_normalizer(preprocessing)
        x = rng.uniform(0, 255, shape).astype(np.float32)
        return normalize(x) if normalize else x

    def preparation_text(self, preprocessing) -> str:
        height, width = preprocessing["input_shape"][:2]
        return (f"photo centre-cropped and resized to {height} x {width}, "
                + ("normalised as for EfficientNet-Lite0" if preprocessing.get("normalize")
                   else PIXEL_RANGES[preprocessing["pixels"]]))
