"""A map of a zip of images: EfficientNet-Lite0's 1,280-number summary of each image (its global
average pool, the layer just before the ImageNet classes), squeezed to two numbers (core.meaning.maps),
coloured by the folder each image came from, with the nearest neighbours of any image and the
"odd ones out": images whose nearest neighbours mostly sit in another folder, the usual sign of a
mislabeled or unusual image.

    images = read_image_zip(data, "my photos.zip")        # one folder per label, like the Train page
    vectors = embed(classifier, images.pixels)            # classifier = core.catalog.load_model(BACKBONE)
    odd = odd_ones_out(vectors, images.labels)

The zip is read by the studio's own upload reader (core.data.uploads: the same safety checks, the
same folder-per-class grouping, the same image decoding as the Train page's image zip).
"""
from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import paths
from core.data import uploads
from core.data.dataset import DataError
from core.meaning.maps import neighbours

BACKBONE = "efficientnet_lite0_imagenet"
POOL_LAYER = "avg_pool"      # core/models/efficientnet_lite.py: the 1,280 numbers before the classes
MAX_IMAGES = 300             # embedding costs about 20-50 ms an image on a CPU; a map of 300 is legible
MIN_IMAGES = 3               # a neighbour needs someone else to be near
IMAGE_SIZE = 224             # the model's input; images are stored at this size, once
THUMB_SIZE = 72
NEIGHBOURS = 5
EXAMPLE_ZIP = paths.ASSETS_DIR / "samples" / "odd_one_out.zip"
BATCH = 32


@dataclass
class ImageSet:
    """Decoded images of a zip: pixels at the model's size, their labels (folder names), file names."""
    name: str
    pixels: np.ndarray                 # (N, 224, 224, 3) uint8
    labels: list[str]
    files: list[str]
    notes: list[str] = field(default_factory=list)    # what was left out and why

    def __len__(self) -> int:
        return len(self.labels)

    def thumbnail(self, index: int, size: int = THUMB_SIZE) -> np.ndarray:
        step = max(1, IMAGE_SIZE // size)
        return self.pixels[index, ::step, ::step]


@dataclass(frozen=True)
class OddOne:
    """An image whose nearest neighbours mostly carry another label."""
    index: int
    others: int              # how many of its nearest neighbours carry another label
    neighbours: int          # out of how many
    looks_like: str          # the label most of those others carry

    @property
    def other_share(self) -> float:
        return self.others / self.neighbours


def read_image_zip(data: bytes, name: str = "My images", limit: int = MAX_IMAGES) -> ImageSet:
    """Every image of a zip of label folders, decoded to the model's size; unreadable ones are left out
    with a note. DataError (a sentence for the user) when the zip cannot be mapped."""
    by_label = uploads._zip_readers(data)  # the Train page's reader: safety checks, folders -> labels
    entries = [(label, filename, read) for label in sorted(by_label) for filename, read in by_label[label]]
    images = [e for e in entries if Path(e[1]).suffix.lower() in uploads.IMAGE_SUFFIXES]
    others = len(entries) - len(images)
    if not images:
        raise DataError(f"No images found in the zip ({others} other files). Put images "
                        f"({', '.join(sorted(s[1:] for s in uploads.IMAGE_SUFFIXES))}) in one folder per label.")
    if len(images) > limit:
        raise DataError(f"The zip holds {len(images):,} images; the map takes up to {limit:,} at once. "
                        "Zip a smaller sample of each folder.")
    pixels, labels, files, skipped, left_out = [], [], [], Counter(), []
    for label, filename, read in images:
        try:
            pixels.append(uploads.decode_image(read(), IMAGE_SIZE))
        except DataError as err:
            skipped[str(err).split(":")[0]] += 1  # "corrupt or truncated image", "too large", ...
            left_out.append(filename)
            continue
        labels.append(label)
        files.append(filename)
    notes = []
    if skipped:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
        notes.append(f"Left out {len(left_out)}: " + ", ".join(f"{n} {reason}" for reason, n in skipped.items())
                     + f" ({shown}).")
    if others:
        notes.append(f"{others} files that are not images were ignored.")
    if len(labels) < MIN_IMAGES:
        raise DataError(f"Only {len(labels)} readable images; a map needs at least {MIN_IMAGES}. "
                        + " ".join(notes))
    return ImageSet(name, np.stack(pixels), labels, files, notes)


def example_images() -> ImageSet:
    """The bundled example (assets/make_image_map_sample.py): Fashion-MNIST trousers, sneakers and bags,
    two of them in the wrong folder on purpose."""
    return read_image_zip(EXAMPLE_ZIP.read_bytes(), "Trousers, sneakers and bags (bundled, 2 misfiled)")


# -- the embeddings -----------------------------------------------------------------------------------

_POOLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def pooled_model(classifier):
    """The classifier's own network cut at its global average pool: shares its weights (no second
    copy of the model in memory), built once per classifier."""
    if classifier not in _POOLED:
        import keras
        model = classifier.model
        _POOLED[classifier] = keras.Model(model.inputs, model.get_layer(POOL_LAYER).output)
    return _POOLED[classifier]


def embed(classifier, pixels: np.ndarray, progress=None) -> np.ndarray:
    """(N, 1280) unit-length vectors: cosine similarity is then a dot product (as for the texts).
    Each image is prepared exactly as the classifier prepares a photo (centre crop, scaling)."""
    features = pooled_model(classifier)
    out = []
    for start in range(0, len(pixels), BATCH):
        batch = np.stack([classifier.prepare(image) for image in pixels[start:start + BATCH]])
        out.append(np.asarray(features.predict_on_batch(batch), np.float32))
        if progress:
            done = min(start + BATCH, len(pixels))
            progress(done / len(pixels), f"Embedding the images… {done:,} of {len(pixels):,}")
    vectors = np.concatenate(out)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def nearest(vectors: np.ndarray, index: int, k: int = NEIGHBOURS) -> list[tuple[int, float]]:
    """The `k` images most alike to image `index` (itself left out), with their cosine similarity."""
    return neighbours(vectors, index, k)


# -- odd ones out -------------------------------------------------------------------------------------

def odd_ones_out(vectors: np.ndarray, labels: list[str], k: int = NEIGHBOURS,
                 threshold: float = 0.5) -> list[OddOne]:
    """Images more than `threshold` of whose `k` nearest neighbours carry another label, the oddest
    first (ties: the most similar neighbours first). A label's only image is never odd for that."""
    counts = Counter(labels)
    found = []
    for i, label in enumerate(labels):
        if counts[label] < 2:
            continue  # it has no one of its own label to be near
        near = nearest(vectors, i, k)
        if not near:
            continue
        near_labels = [labels[j] for j, _ in near]
        others = sum(other != label for other in near_labels)
        if others / len(near) > threshold:
            looks_like = Counter(other for other in near_labels if other != label).most_common(1)[0][0]
            found.append((others / len(near), float(np.mean([s for _, s in near])),
                          OddOne(i, others, len(near), looks_like)))
    found.sort(key=lambda t: (-t[0], -t[1]))
    return [odd for _, _, odd in found]
