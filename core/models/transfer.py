"""Transfer learning on EfficientNet-Lite0: keep its ImageNet features, train a new last layer.

The runner trains it through the `TransferLearning` strategy (core/training/strategies.py), so
curves, Stop and the run store work as for any run; these are its model-side steps:
1. `featurize`: every image goes once through the frozen network up to its 1,280-number summary
   (global average pool). Training images also go through `augment_copies` randomly flipped,
   rotated, zoomed and brightened copies. Images are read, augmented and embedded a batch at a
   time (an upload's images stay on disk). Results are cached on disk, so a second run on the
   same upload skips this step.
2. `build_head`: the only trainable part, dropout + one softmax layer over those 1,280 numbers.
3. `assemble`: backbone + trained head as one Keras model, saved as the run's `model.keras`, so
   inference and Grad-CAM treat it like any other image model.
4. `fine_tune` (optional second stage): unfreeze the backbone's last blocks of the assembled model
   and train it on the images themselves.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib

import numpy as np

from core import paths

BACKBONE_KEY = "efficientnet_lite0_imagenet"
FEATURES = "features"  # InputSpec kind of the featurized data
BATCH = 32


def _feature_extractor():
    return _load_backbone(str(paths.data_dir() / "models"))


@functools.lru_cache(maxsize=1)
def _load_backbone(cache_dir: str):
    import keras

    from core.models.pretrained import load_pretrained
    model, _ = load_pretrained(BACKBONE_KEY, cache_dir)
    return model, keras.Model(model.input, model.get_layer("avg_pool").output)


def _augmenter(seed: int):
    """A function of a batch of images: randomly flipped, rotated, zoomed and brightened copies
    (uint8). Seeded: the same sequence of batches gets the same copies."""
    import keras
    augmenter = keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=seed),
        keras.layers.RandomRotation(0.08, fill_mode="reflect", seed=seed),
        keras.layers.RandomZoom((-0.15, 0.15), fill_mode="reflect", seed=seed),
        keras.layers.RandomBrightness(0.2, value_range=(0, 255), seed=seed),
    ])
    return lambda images: np.asarray(augmenter(np.asarray(images, np.float32), training=True)
                                     ).round().clip(0, 255).astype(np.uint8)


def _digest(images, tag: str) -> str:
    """A content hash of the images (read a chunk at a time) and a tag."""
    digest = hashlib.sha1()
    for start in range(0, len(images), BATCH):
        digest.update(np.ascontiguousarray(images[start:start + BATCH]).tobytes())
    digest.update(f"{images.shape}{tag}".encode())
    return digest.hexdigest()[:20]


def _embed(extractor, images, on_batch=None, transform=None) -> np.ndarray:
    """Features of images (an array, or `Rows` on disk), read and transformed a batch at a time."""
    from core.models.pretrained import PRETRAINED
    import tensorflow as tf
    preprocess = PRETRAINED[BACKBONE_KEY].preprocess
    out = []
    for start in range(0, len(images), BATCH):
        batch = images[start:start + BATCH]
        batch = np.asarray(transform(batch) if transform else batch, np.float32)
        if batch.shape[1:3] != (224, 224):
            batch = tf.image.resize(batch, (224, 224)).numpy()
        out.append(np.asarray(extractor.predict_on_batch(preprocess(batch))))
        if on_batch:
            on_batch(min(start + BATCH, len(images)))
    return np.concatenate(out) if out else np.zeros((0, 1280), np.float32)


def featurize(data, copies: int, seed: int, on_progress=None):
    """Replace the images of a `Prepared` set by their (cached) EfficientNet embeddings."""
    from core.models.architectures import InputSpec
    _, extractor = _feature_extractor()
    parts = {"train": data.x_train, "val": data.x_val if data.x_val is not None else data.x_train[:0],
             "test": data.x_test}
    total = len(data.x_train) * (1 + copies) + len(parts["val"]) + len(parts["test"])
    done = [0]

    def embed_cached(images, tag, transform=None):
        cache = paths.data_dir() / "cache" / "embeddings" / f"{_digest(images, tag)}.npy"
        if cache.exists():
            done[0] += len(images)
            return np.load(cache)
        base = done[0]
        result = _embed(extractor, images, lambda n: on_progress and on_progress(base + n, total), transform)
        done[0] += len(images)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, result)
        return result

    features = [embed_cached(data.x_train, "plain")]
    for copy in range(1, 1 + copies):  # augmented copies, made batch by batch while embedding
        features.append(embed_cached(data.x_train, f"augmented-{seed}-{copy}", _augmenter(seed + copy)))
    x_val = embed_cached(parts["val"], "plain") if len(parts["val"]) else None
    return dataclasses.replace(
        data, x_train=np.concatenate(features), y_train=np.tile(data.y_train, 1 + copies),
        x_val=x_val, x_test=embed_cached(parts["test"], "plain"),
        spec=InputSpec(FEATURES, (1280,), data.spec.num_classes),
        preprocessing={**data.preprocessing, "input_shape": [224, 224, 3], "normalize": BACKBONE_KEY})


def build_head(spec, dropout: float = 0.2, augment_copies: int = 2, fine_tune_blocks: int = 0,
               fine_tune_epochs: int = 3):
    """The trainable part: dropout, then softmax(W·features + b)."""
    import keras
    inputs = keras.Input(spec.shape, name="imagenet_features")
    x = keras.layers.Dropout(dropout, name="head_dropout")(inputs)
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax", name="class_probabilities")(x)
    return keras.Model(inputs, outputs, name="transfer_head")


def assemble(head):
    """Backbone (frozen, normalised 224x224 input) + trained head: one model from photo to classes."""
    import keras
    backbone, _ = _feature_extractor()
    features = backbone.get_layer("avg_pool").output
    outputs = head(features)
    model = keras.Model(backbone.input, outputs, name="efficientnet_lite0_transfer")
    for layer in model.layers:
        layer.trainable = layer is head
    return model


def fine_tune(model, data, config):
    """Unfreeze the last `fine_tune_blocks` MBConv blocks (+ the head conv) of an assembled model.

    Batch-norm layers stay frozen: their running statistics came from 1.28 M photos and would be
    ruined by a few dozen. The learning rate is a tenth of the head's, so the unfrozen features move
    gently. Returns the compiled model and the images (train, val, test) as `Rows`, resized to
    224x224 and normalised a batch at a time (the runner streams them).
    """
    import keras
    import tensorflow as tf

    from core.data.dataset import Rows
    from core.models.pretrained import PRETRAINED
    blocks = int(config.arch_params.get("fine_tune_blocks", 0))
    last = max(int(layer.name[5:].split("_")[0]) for layer in model.layers if layer.name.startswith("block"))
    unfrozen = tuple(f"block{i}_" for i in range(last - blocks + 1, last + 1)) + ("head_",)
    for layer in model.layers:
        bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = (layer.name.startswith(unfrozen) and not bn) or layer.name == "transfer_head"
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate / 10),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    preprocess = PRETRAINED[BACKBONE_KEY].preprocess

    def to_input(batch):
        return preprocess(tf.image.resize(batch, (224, 224)).numpy() if batch.shape[1:3] != (224, 224) else batch)

    def images(x):
        return Rows(x, dtype=np.float32, transform=to_input) if x is not None and len(x) else None

    return model, (images(data.x_train), images(data.x_val), images(data.x_test))
