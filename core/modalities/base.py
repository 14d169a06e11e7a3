"""The base modality: what every kind of input answers, with the plain defaults."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np


class InputRefused(ValueError):
    """A model's input or its preprocessing.json does not fit a modality; the message says why
    (core.model_import turns it into the refusal the user reads)."""


def shape_text(shape) -> str:
    return "(" + ", ".join("None" if side is None else str(side) for side in shape) + ")"


def shown(value) -> str:
    """A value from an uploaded file, safe to put in a message: printable, no markup, at most 80 characters."""
    return re.sub(r"[^\w.>:/ -]", "?", str(value))[:80]


def fill(template: str, **values) -> str:
    """`{{name}}` placeholders of a code template, filled."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m.group(1)]), template)


class Modality:
    name = "tabular"
    noun = "examples"          # plural, for counts: "1,000 held-out images"
    example_file = "example.json"
    tokens = False             # inputs are token ids: the model starts with an embedding
    pixels = False             # inputs are raw 0-255 pixels: the model's first layer rescales them
    grid = False               # inputs are (height, width, channels): 2-D convolutions, rows as time steps
    none_of_these = False      # its lab says when an input is none of a run's classes (core/novelty.py)

    # -- training ------------------------------------------------------------------------------
    def upload_params(self) -> dict:
        """The settings (core.params.Param) a user's upload of this kind takes, e.g. how to split texts."""
        return {}

    def training_preprocessing(self) -> dict:
        """What a run adds to its preprocessing.json for this kind of input (beyond kind and shape)."""
        return {}

    # -- describing and exporting a model ------------------------------------------------------
    def describe_input(self, shape: list, preprocessing: dict) -> str:
        return f"{shape[0] if shape else '?'} feature values, in the order of the training data's columns."

    def prepare_code(self, shape: list, preprocessing: dict, example: str, export_dir: Path) -> str:
        """Python that makes `x`, a batch of one input, for an exported model's snippet."""
        raise NotImplementedError

    def encode(self, raw: np.ndarray, preprocessing: dict, model) -> np.ndarray | None:
        """Raw test examples (as a dataset holds them) -> the model's input batch."""
        return np.asarray(raw, np.float32)

    def random_inputs(self, rng, shape: tuple, preprocessing: dict) -> np.ndarray:
        """A batch shaped `shape` (examples first) of made-up inputs in the range the model expects."""
        return rng.standard_normal(shape)

    def example_from_random(self, x0: np.ndarray, preprocessing: dict):
        return x0

    def write_example(self, path: Path, example) -> None:
        path.write_text(json.dumps([float(v) for v in np.ravel(example)], indent=2), encoding="utf-8")

    def shape_label(self, shape: tuple) -> str:
        """One example's input, in a word or a shape, for a caption."""
        return str(tuple(shape))

    def preview_figure(self, examples, titles: list[str], x_all, labels_all: list[str]):
        """A Plotly figure of a few examples (or of all the points), or None: show them as a table."""
        pictures = self.pictures(examples)
        if pictures is None:
            return None
        from core import charts
        return charts.image_grid_figure(np.stack([p if p.ndim == 3 else p[..., None] for p in pictures]), titles,
                                        **self.grid_options)

    grid_options: dict = {}

    def pictures(self, examples) -> list | None:
        """Examples as pictures for a gallery (None: they are not pictures; show a table)."""
        return None

    # -- importing a user's model into a lab ---------------------------------------------------
    def import_shape_problem(self, input_shape: tuple) -> str | None:
        """None when a lab can feed this input shape, else the shape it needs, in words."""
        return None if len(input_shape) == 2 else "(None, features)"

    def import_preprocessing(self, given: dict, input_shape: tuple) -> dict:
        return {}

    def probe_inputs(self, rng, shape: tuple, preprocessing: dict) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    def preparation_text(self, preprocessing: dict) -> str:
        return "the feature values as they are"

    def probe_hint(self) -> str:
        return ""
