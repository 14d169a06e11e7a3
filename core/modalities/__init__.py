"""Modalities: the kinds of input a studio model reads (image, audio, text, a table of numbers).

    modality = modality_of(preprocessing["kind"])        # one object per kind
    modality.describe_input(shape, preprocessing)        # what the numbers of one input are
    modality.import_shape_problem(input_shape)           # can a lab use an imported model?
    modality.pictures(examples)                          # a gallery of examples, when they are pictures

Everything that differs between kinds of input lives on these objects (Ludwig's feature types),
so code elsewhere asks a modality instead of branching on a kind string. Adding a modality is
adding one class and one entry in MODALITIES.
"""
from __future__ import annotations

from core.modalities.base import Modality
from core.modalities.image import ImageModality
from core.modalities.audio import AudioModality
from core.modalities.text import TextModality
from core.modalities.tabular import TabularModality

MODALITIES: dict[str, Modality] = {m.name: m for m in (ImageModality(), AudioModality(), TextModality(),
                                                        TabularModality())}
LABS = ("image", "audio", "text")  # the modalities that have a lab page (and can import a model)


def modality_of(kind: str | None) -> Modality:
    """The modality named `kind` (a table of numbers when the kind is unknown or missing)."""
    return MODALITIES.get(kind or "", MODALITIES["tabular"])


__all__ = ["LABS", "MODALITIES", "Modality", "modality_of"]
