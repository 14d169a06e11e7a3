"""A table of numbers (the 2-D point datasets, a CSV of features)."""
from __future__ import annotations

import json
from pathlib import Path

from core.modalities.base import Modality, fill

TABULAR_PREPARE = """\
import numpy as np
x = np.array([[{{values}}]], np.float32)  # one example: its feature values, in the training columns' order
"""


class TabularModality(Modality):
    name = "tabular"
    noun = "examples"

    def preview_figure(self, examples, titles, x_all, labels_all):
        from core import charts
        return charts.scatter_figure(x_all, labels_all)  # every point: the shape of the classes is the point

    def prepare_code(self, shape, preprocessing, example, export_dir: Path) -> str:
        values = json.loads((export_dir / self.example_file).read_text(encoding="utf-8"))
        return fill(TABULAR_PREPARE, values=", ".join(f"{v:.8g}" for v in values))
