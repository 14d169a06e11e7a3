"""Image classifiers for live inference: the pretrained registry and every trained image run.

    classifier = load_image_model("efficientnet_lite0_imagenet")   # or "run:<run id>", "imported:<id>"
    prediction = classifier.predict(rgb_uint8_photo)               # top 5, probabilities, seconds

A photo of any size is cropped to the model's aspect ratio around its centre and resized, the way
the model saw its training images. Single images go through `predict_on_batch` (a compiled call,
a few ms of overhead) rather than `model.predict` (about 100 ms of overhead per call).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import numpy as np

from core import paths
from core.calibration import UNCALIBRATED, Calibration, fit, is_sure
from core.calibration import read as read_calibration
from core.runs import COMPLETED, STOPPED, RunStore

RUN_PREFIX = "run:"
CALIBRATION_FILE = paths.ASSETS_DIR / "models" / "calibration.json"  # bundled models (assets/make_calibration.py)
CALIBRATION_LIMIT = 500   # validation examples a run's temperature is fitted on (loading stays quick)
NO_HELD_OUT_IMAGENET = ("not calibrated: no held-out ImageNet photos are available here, so this is the "
                        "model's own confidence")
# Published by the model's authors (TensorFlow model garden), not measured here.
EFFICIENTNET_LITE0_TOP1 = "75.1 % top-1 on the ImageNet validation set (published by its authors)"


@dataclass
class ModelInfo:
    """A model a lab can offer: its key for loading, a title, where it comes from, its card."""
    key: str
    title: str
    source: str  # 'pretrained', 'bundled', 'run' or 'imported'
    card: dict = field(default_factory=dict)


@dataclass
class Prediction:
    probabilities: np.ndarray   # calibrated (see core/calibration.py): what the page shows
    top: list[tuple[str, float]]
    seconds: float
    raw: np.ndarray | None = None   # the model's own softmax
    sure: bool = True               # the calibrated top probability reaches calibration.NOT_SURE_BELOW


def input_key(name: str, model_key: str, data) -> str:
    """The widget key of a per-input choice (explained class, chosen token...): a new input or a new
    model is a new key, so the choice starts again from the top answer instead of surviving from the
    previous input. `data`: the input itself (text, bytes or array)."""
    digest = hashlib.blake2b(str(model_key).encode(), digest_size=8)
    if isinstance(data, np.ndarray):
        digest.update(str(data.shape).encode())
        digest.update(np.ascontiguousarray(data).tobytes())
    else:
        digest.update(data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass"))
    return f"{name}-{digest.hexdigest()}"


def top_k(probabilities: np.ndarray, class_names: list[str], k: int = 5) -> list[tuple[str, float]]:
    best = np.argsort(-probabilities)[:k]
    return [(class_names[i], float(probabilities[i])) for i in best]


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

    def crop_box(self, image: np.ndarray) -> tuple[float, float, float, float]:
        """The central region of `image` (left, top, right, bottom) that the model looks at."""
        h, w = image.shape[:2]
        aspect = self.input_size[1] / self.input_size[0]
        crop_w, crop_h = (h * aspect, h) if w / h > aspect else (w, w / aspect)
        crop_w, crop_h = crop_w * self.crop_fraction, crop_h * self.crop_fraction
        return ((w - crop_w) / 2, (h - crop_h) / 2, (w + crop_w) / 2, (h + crop_h) / 2)

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 photo (H, W, 3) -> one model input (h, w, c) float32."""
        from PIL import Image
        photo = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
        if self.channels == 1:
            photo = photo.convert("L")
        resized = photo.resize(self.input_size[::-1], Image.Resampling.BICUBIC, box=self.crop_box(image))
        x = np.asarray(resized, dtype=np.float32).reshape(*self.input_size, self.channels)
        return self.normalize(x) if self.normalize else x

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        out = np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)
        if self.outputs_logits:
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out /= out.sum(axis=1, keepdims=True)
        return out

    def predict(self, image: np.ndarray, k: int = 5) -> Prediction:
        start = time.perf_counter()
        raw = self.probabilities(self.prepare(image)[None])[0]
        p = self.calibration.apply(raw)
        seconds = time.perf_counter() - start
        return Prediction(p, top_k(p, self.class_names, k), seconds, raw, is_sure(p))

    def dataset_probabilities(self, x) -> np.ndarray:
        """Raw probabilities for examples as the run's dataset holds them (already at input size)."""
        chunks = []
        for start in range(0, len(x), 64):
            batch = np.asarray(x[start:start + 64], dtype=np.float32)
            chunks.append(self.probabilities(self.normalize(batch) if self.normalize else batch))
        return np.concatenate(chunks)


def list_image_models(store: RunStore | None = None) -> list[ModelInfo]:
    """The pretrained image models, then every finished image run, then imported models, newest first."""
    from core.model_import import list_imported_models
    from core.models.pretrained import PRETRAINED
    return [ModelInfo(key, entry.title, "pretrained", _pretrained_card(key))
            for key, entry in PRETRAINED.items() if entry.task == "image"] + run_models("image", store) \
        + list_imported_models("image")


def run_models(kind: str, store: RunStore | None = None) -> list[ModelInfo]:
    """Every finished run trained on `kind` data, as a model a lab can offer, newest first."""
    return [ModelInfo(RUN_PREFIX + run.id, f"Your model: {run.name}", "run", run_card(run))
            for run in finished_runs(kind, store)]


def finished_runs(kind: str, store: RunStore | None = None) -> list:
    """Completed or stopped runs with a saved model trained on `kind` data, newest first."""
    return [run for run in (store or RunStore()).list_runs()
            if run.status in (COMPLETED, STOPPED) and run.model_path.exists()
            and (run_preprocessing(run) or {}).get("kind") == kind]


def run_preprocessing(run) -> dict | None:
    """What inference must do before the run's model (None if the file is missing or broken)."""
    try:
        return json.loads((run.dir / "preprocessing.json").read_text())
    except (OSError, ValueError):
        return None


def load_run_model(run_id: str):
    """(Keras model loaded with safe_mode, class names, preprocessing, run) of a finished run."""
    import keras

    import core.models.layers  # noqa: F401 - registers the studio's custom layers for loading
    run = RunStore().get_run(run_id)
    if run is None or not run.model_path.exists():
        raise FileNotFoundError(f"Run {run_id} has no saved model (deleted, or it did not finish).")
    model = keras.models.load_model(run.model_path, safe_mode=True)
    labels = json.loads((run.dir / "labels.json").read_text())
    return model, labels, run_preprocessing(run) or {}, run


def run_validation(run, limit: int = CALIBRATION_LIMIT):
    """(inputs, labels) of a run's validation examples as its dataset holds them, cut exactly as
    core/training/prepare.py cut them (same seed, same share), at most `limit`; None when the run
    kept none or its data is gone."""
    from core.data import DataError, load_dataset
    from core.params import ConfigError
    from core.training.config import RunConfig
    try:
        config = RunConfig.from_dict(run.config)
        data = load_dataset(config.dataset, config.dataset_params)
    except (ConfigError, DataError, OSError, ValueError, KeyError, TypeError):
        return None
    order = np.random.default_rng(config.seed).permutation(len(data.x))
    chosen = np.sort(order[:int(round(len(order) * config.validation_split))][:limit])
    return (data.x[chosen], data.y[chosen]) if len(chosen) else None


def calibrate_on_run(run, probabilities_of) -> Calibration:
    """Temperature fitted on the run's own validation examples (never trained on); says why not when
    it cannot be. `probabilities_of(inputs)`: the model's raw probabilities for dataset inputs."""
    validation = run_validation(run)
    if validation is None:
        return Calibration(source="not calibrated: this run kept no validation examples")
    x, y = validation
    try:
        return fit(probabilities_of(x), y, f"{len(y):,} validation examples of this run (never trained on)")
    except Exception as err:  # noqa: BLE001 - calibration must never stop a model from loading
        return Calibration(source=f"not calibrated: {err}")


def bundled_calibration(key: str) -> Calibration:
    """The temperature assets/make_calibration.py fitted for a bundled model on its held-out data."""
    found = read_calibration(CALIBRATION_FILE, key)
    return found if found.fitted else Calibration(
        source="not calibrated: its temperature was not fitted yet (python assets/make_calibration.py)")


def load_image_model(key: str, progress=None, calibrated: bool = True) -> ImageClassifier:
    """Load a classifier by key; the pretrained one is converted on first use (progress reported).
    A run's model is calibrated on its validation examples (`calibrated=False`: the raw model)."""
    from core.model_import import IMPORTED_PREFIX, image_normalizer, load_imported
    if key.startswith(RUN_PREFIX):
        classifier = _load_run_model(key[len(RUN_PREFIX):], calibrated)
    elif key.startswith(IMPORTED_PREFIX):
        model, labels, preprocessing, card = load_imported(key)  # outputs probabilities, also for logits
        classifier = ImageClassifier(model, labels, card, normalize=image_normalizer(preprocessing),
                                     calibration=Calibration(source="not calibrated: an imported model "
                                                                    "comes without held-out examples"))
    else:
        from core.models.pretrained import PRETRAINED, load_pretrained
        model, labels = load_pretrained(key, paths.data_dir() / "models", progress)
        classifier = ImageClassifier(model, labels, _pretrained_card(key), crop_fraction=224 / 256,
                                     normalize=PRETRAINED[key].preprocess, outputs_logits=True,
                                     calibration=Calibration(source=NO_HELD_OUT_IMAGENET))
    classifier.predict(np.zeros((32, 32, 3), np.uint8))  # compile the predict step now, not on the user's photo
    return classifier


def _load_run_model(run_id: str, calibrated: bool = True) -> ImageClassifier:
    from core.models.pretrained import PRETRAINED
    model, labels, preprocessing, run = load_run_model(run_id)
    normalize = PRETRAINED[preprocessing["normalize"]].preprocess if preprocessing.get("normalize") else None
    classifier = ImageClassifier(model, labels, run_card(run), normalize=normalize)
    if calibrated:
        classifier.calibration = calibrate_on_run(run, classifier.dataset_probabilities)
    return classifier


def _pretrained_card(key: str) -> dict:
    from core.models.pretrained import PRETRAINED
    entry = PRETRAINED[key]
    cache = paths.data_dir() / "models" / f"{key}.keras"
    return {"title": entry.title, "trained on": "ImageNet-1k: 1.28 million photos of 1,000 everyday things",
            "number of classes": 1000, "accuracy": EFFICIENTNET_LITE0_TOP1,
            "parameters": "4,694,024", "file size": f"{cache.stat().st_size / 2**20:.1f} MB" if cache.exists()
            else "converted on first use (about 19 MB)", "weights licence": entry.licence, "source": entry.source}


def run_card(run) -> dict:
    from core.data import dataset_title
    r = run.results
    return {"title": run.name, "trained on": dataset_title(run.config.get("dataset", "")),
            "classes": r.get("class_names", []), "number of classes": len(r.get("class_names", [])),
            "accuracy": f"{r['test_accuracy']:.1%} on {r['test_examples']:,} held-out test "
                        + {"audio": "clips", "text": "texts"}.get((run_preprocessing(run) or {}).get("kind"), "images")
            if "test_accuracy" in r else "not evaluated",
            "parameters": f"{r.get('parameters', 0):,}",
            "file size": f"{run.model_path.stat().st_size / 2**20:.1f} MB",
            "weights licence": "yours: trained here on your data", "source": f"run {run.id} ({run.status})"}


# -- the labs' teach flows ------------------------------------------------------------------------

def fitting_batch_size(dataset_key: str, dataset_params: dict | None, validation_split: float,
                       wanted: int = 16) -> tuple[int, str | None]:
    """The batch size a lab's teach flow trains with: `wanted`, or all the training examples when
    there are fewer (a 20-row CSV leaves 13), with a sentence saying so; (wanted, None) otherwise.
    The count is the one RunConfig.validated checks (core/training/config.py): the training pool
    less the validation share."""
    from core.data import DataError, load_dataset
    try:
        pool = len(load_dataset(dataset_key, dataset_params).x)
    except DataError:
        return wanted, None  # the launch itself says what is wrong with the data
    n_train = pool - int(round(pool * validation_split))
    if n_train < 1 or n_train >= wanted:
        return wanted, None
    return n_train, (f"Only {n_train} examples are left to train on (the others are kept to test and "
                     f"validate it), so it learns from all {n_train} at once: batch size {n_train} "
                     f"instead of {wanted}. More examples per label give a better model.")
