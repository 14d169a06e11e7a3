"""Image classifiers: a Keras model with its labels and the exact input preparation it needs.

    classifier = core.catalog.load_model("efficientnet_lite0_imagenet")   # or "run:<id>", "imported:<id>"
    prediction = classifier.predict(rgb_uint8_photo)     # top 5, calibrated probabilities, seconds
    heatmap = classifier.explain(rgb_uint8_photo, prediction.best)        # Grad-CAM

A photo of any size is cropped to the model's aspect ratio around its centre and resized, the way
the model saw its training images. Single images go through `predict_on_batch` (a compiled call,
a few ms of overhead) rather than `model.predict` (about 100 ms of overhead per call).
"""
from __future__ import annotations

import time

import numpy as np

from core.calibration import UNCALIBRATED, Calibration, is_sure
from core.inference import Prediction, top_k
from core.modalities.image import crop_box, prepare_photo

NO_HELD_OUT_IMAGENET = ("not calibrated: no held-out ImageNet photos are available here, so this is the "
                        "model's own confidence")


class ImageClassifier:
    """A Keras image model with its labels and the exact input preparation it was trained with."""

    def __init__(self, model, class_names: list[str], card: dict, crop_fraction: float = 1.0,
                 normalize=None, outputs_logits: bool = False, calibration: Calibration = UNCALIBRATED):
        self.model = model
        self.calibration = calibration
        self.class_names = list(class_names)
        self.card = card
        height, width, channels = model.input_shape[1:]
        self.input_size, self.channels = (height, width), channels
        self.crop_fraction = crop_fraction
        self.normalize = normalize          # None: the model takes raw 0-255 pixel values
        self.outputs_logits = outputs_logits
        self._feature_map_model = None
        self.label_help: dict[str, str] = {}  # class name -> a longer description (pretrained models)
        self.groups: dict[int, str] = {}      # class index -> the group a person names (core/image/groups.py)
        self.novelty = None                   # a run's core.novelty.NoneOfThese: is a photo any of its classes?

    @classmethod
    def from_keras(cls, model, labels: list[str], preprocessing: dict, card: dict) -> "ImageClassifier":
        """A run's or an imported model, with the input scaling its preprocessing names."""
        from core.modalities import modality_of
        return cls(model, labels, card, normalize=modality_of("image").normalizer(preprocessing))

    def crop_box(self, image: np.ndarray) -> tuple[float, float, float, float]:
        """The central region of `image` (left, top, right, bottom) that the model looks at."""
        return crop_box(image.shape[:2], self.input_size, self.crop_fraction)

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 photo (H, W, 3) -> one model input (h, w, c) float32."""
        return prepare_photo(image, self.input_size, self.channels, self.crop_fraction, self.normalize)

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        out = np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)
        if self.outputs_logits:
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out /= out.sum(axis=1, keepdims=True)
        return out

    def predict(self, image: np.ndarray, k: int = 5) -> Prediction:
        start = time.perf_counter()
        batch = self.prepare(image)[None]
        raw, verdict = self.novelty.read(batch) if self.novelty and self.novelty.check \
            else (self.probabilities(batch)[0], None)
        p = self.calibration.apply(raw)
        seconds = time.perf_counter() - start
        if not self.groups:
            return Prediction(p, top_k(p, self.class_names, k), seconds, raw, is_sure(p), novelty=verdict)
        from core.image.groups import grouped
        answers = grouped(p, self.class_names, self.groups, k)  # "Not sure" only if the group is unsure
        shown = answers[0].probability if answers[0].is_group else p.max()  # what the headline names
        return Prediction(p, top_k(p, self.class_names, k), seconds, raw, is_sure([shown]), answers, verdict)

    def explain(self, image: np.ndarray, class_index: int) -> np.ndarray:
        """Grad-CAM: where in the photo the model found `class_index` (a heatmap of the photo's size)."""
        from core.image.explain import grad_cam
        return grad_cam(self, image, class_index)

    def feature_map_model(self):
        """The model with its last feature map as a second output (built once: Grad-CAM reads both)."""
        if self._feature_map_model is None:
            import keras

            from core.image.explain import last_feature_map_layer
            self._feature_map_model = keras.Model(
                self.model.inputs, [last_feature_map_layer(self.model).output, self.model.output])
        return self._feature_map_model

    def warm_up(self) -> None:
        self.predict(np.zeros((32, 32, 3), np.uint8))  # compile the predict step now, not on the user's photo

    def dataset_probabilities(self, x) -> np.ndarray:
        """Raw probabilities for examples as the run's dataset holds them (already at input size)."""
        chunks = []
        for start in range(0, len(x), 64):
            batch = np.asarray(x[start:start + 64], dtype=np.float32)
            chunks.append(self.probabilities(self.normalize(batch) if self.normalize else batch))
        return np.concatenate(chunks)


def load_pretrained_classifier(entry, progress=None, **options) -> ImageClassifier:
    """A pretrained catalogue entry as a classifier: converted once (progress reported), then cached."""
    from core import paths
    from core.models.pretrained import load_pretrained
    model, labels = load_pretrained(entry.key, paths.data_dir() / "models", progress)
    classifier = ImageClassifier(model, labels, entry.card(), normalize=entry.preprocess,
                                 calibration=Calibration(source=NO_HELD_OUT_IMAGENET), **entry.options)
    classifier.label_help = entry.label_help()
    classifier.groups = entry.groups()
    classifier.warm_up()
    return classifier
