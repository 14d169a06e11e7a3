"""Audio classifiers for live inference: the bundled keyword spotter and every trained audio run.

    classifier = core.catalog.load_model("keyword_spotter")   # or "run:<run id>", "imported:<id>"
    prediction = classifier.predict(clip.samples)           # on the loudest second
    times, probabilities = classifier.over_time(clip.samples)   # one-second windows, 0.25 s apart
    heat = classifier.occlusion(features, class_index)      # which time-frequency regions mattered

The bundled keyword spotter also ships as a TFLite file, run by LiteRT (`ai-edge-litert`): it
loads in about 10 ms without importing TensorFlow (about 4 s), so a fresh server answers the
first clip at once. Its outputs match the Keras model's (checked by the tests); runs the user
trains are Keras models.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio import features as F
from core.calibration import UNCALIBRATED, Calibration, is_sure

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "models"
KEYWORD_MODEL_PATH = ASSETS / "keyword_spotter.keras"
KEYWORD_MODEL_CARD = ASSETS / "keyword_spotter.json"
KEYWORD_MODEL_TFLITE = ASSETS / "keyword_spotter.tflite"
BUNDLED_KEY = "keyword_spotter"  # its catalogue key (core/catalog.py)


@dataclass
class AudioPrediction:
    probabilities: np.ndarray   # calibrated (core/calibration.py): what the page shows
    top: list[tuple[str, float]]
    features: np.ndarray        # the (frames, mels, 1) input the model saw
    seconds: float
    raw: np.ndarray | None = None   # the model's own softmax
    sure: bool = True               # the calibrated top probability reaches calibration.NOT_SURE_BELOW
    novelty: object = None          # core.novelty.Verdict: is it any of a run's classes? (None: not checked)


class AudioClassifier:
    """A Keras model over one-second log-mel spectrograms, with its class names and card."""

    def __init__(self, model, class_names: list[str], card: dict, interpreter=None,
                 calibration: Calibration = UNCALIBRATED):
        self.model = model                # a Keras model, or None when LiteRT runs a .tflite file
        self.calibration = calibration
        self.interpreter = interpreter
        self.class_names = list(class_names)
        self.card = card
        self.runtime = "LiteRT (TFLite)" if interpreter is not None else "Keras"
        self._lock = threading.Lock()  # one interpreter, several browser sessions
        self.label_help: dict[str, str] = {}
        self.novelty = None               # a run's core.novelty.NoneOfThese: is a clip any of its classes?

    @classmethod
    def from_keras(cls, model, labels: list[str], preprocessing: dict, card: dict) -> "AudioClassifier":
        """A run's or an imported model (both take the studio's one-second log-mel spectrograms)."""
        return cls(model, labels, card)

    def dataset_probabilities(self, x) -> np.ndarray:
        """Raw probabilities for spectrograms as a dataset holds them, 128 per call."""
        return np.concatenate([self.probabilities(np.asarray(x[i:i + 128], np.float32))
                               for i in range(0, len(x), 128)])

    def warm_up(self) -> None:
        self.predict(np.zeros(F.CLIP_SAMPLES, np.float32))  # compile now, not on the user's clip

    def explain(self, features: np.ndarray, class_index: int) -> np.ndarray:
        """Where on the spectrogram the model heard `class_index`: occlusion, (frames, mels) in [0, 1]."""
        return self.occlusion(features, class_index)

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        if self.interpreter is not None:
            return np.stack([self._invoke(x[None]) for x in np.asarray(batch, np.float32)])
        # predict_on_batch: one compiled call, a few ms (model.predict adds ~100 ms per call).
        return np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        """One window through the TFLite graph (exported with a batch of one: see core.export.to_tflite)."""
        with self._lock:
            self.interpreter.set_tensor(self.interpreter.get_input_details()[0]["index"], x)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.interpreter.get_output_details()[0]["index"])[0].astype(np.float64)

    def predict(self, samples: np.ndarray, k: int = 5) -> AudioPrediction:
        start = time.perf_counter()
        x = F.clip_features(samples)
        raw, verdict = self.novelty.read(x[None]) if self.novelty and self.novelty.check \
            else (self.probabilities(x[None])[0], None)
        p = self.calibration.apply(raw)
        seconds = time.perf_counter() - start
        best = np.argsort(-p)[:k]
        return AudioPrediction(p, [(self.class_names[i], float(p[i])) for i in best], x, seconds, raw, is_sure(p),
                               verdict)

    def over_time(self, samples: np.ndarray, hop_seconds: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """(window centre times, probabilities per window) for a clip of any length."""
        batch, times = F.sliding_windows(samples, hop_seconds)
        chunks = [self.probabilities(batch[i:i + 64]) for i in range(0, len(batch), 64)]
        return times, self.calibration.apply(np.concatenate(chunks))

    def occlusion(self, x: np.ndarray, class_index: int, patch: tuple[int, int] = (10, 8),
                  stride: tuple[int, int] = (5, 4)) -> np.ndarray:
        """Occlusion sensitivity (Zeiler & Fergus, 2014): blank a patch of the spectrogram, see how
        far the class probability falls; the fall, averaged over the patches covering each cell, is
        that cell's importance. Returns (frames, mels) in [0, 1]."""
        frames, mels = x.shape[:2]
        baseline = self.probabilities(x[None])[0, class_index]
        boxes, batch = [], []
        for t in range(0, max(frames - patch[0], 0) + 1, stride[0]):
            for m in range(0, max(mels - patch[1], 0) + 1, stride[1]):
                occluded = x.copy()
                occluded[t:t + patch[0], m:m + patch[1]] = 0.0   # 0 = silence in these features
                boxes.append((t, m))
                batch.append(occluded)
        drops = np.concatenate([self.probabilities(np.stack(batch[i:i + 128]))[:, class_index]
                                for i in range(0, len(batch), 128)])
        drops = np.maximum(baseline - drops, 0.0)
        heat, cover = np.zeros((frames, mels)), np.zeros((frames, mels))
        for (t, m), drop in zip(boxes, drops):
            heat[t:t + patch[0], m:m + patch[1]] += drop
            cover[t:t + patch[0], m:m + patch[1]] += 1
        heat /= np.maximum(cover, 1)
        return heat / heat.max() if heat.max() > 0 else heat


def bundled_available() -> bool:
    return KEYWORD_MODEL_PATH.exists()


def load_bundled(entry, progress=None, prefer_litert: bool = True, calibrated: bool = True) -> AudioClassifier:
    """The bundled keyword spotter (catalogue entry "keyword_spotter"): LiteRT when it can, else Keras.

    Its confidence is calibrated with the temperature in assets/models/calibration.json
    (`calibrated=False`: the raw model)."""
    from core.inference import bundled_calibration
    if not KEYWORD_MODEL_PATH.exists():
        raise FileNotFoundError(f"The bundled keyword model is missing ({KEYWORD_MODEL_PATH}); "
                                "run `python assets/make_keyword_model.py` to make it.")
    card = entry.card()
    interpreter = _litert_interpreter(KEYWORD_MODEL_TFLITE) if prefer_litert else None
    if interpreter is None:
        import keras
        model = keras.models.load_model(KEYWORD_MODEL_PATH, safe_mode=True)
    else:
        model = None
    classifier = AudioClassifier(model, card["classes"], card, interpreter,
                                 bundled_calibration(entry.key) if calibrated else UNCALIBRATED)
    classifier.warm_up()
    return classifier


def _litert_interpreter(path: Path):
    """A LiteRT interpreter for `path`, or None (no file, or ai-edge-litert not installed)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    if not path.exists():
        return None
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    return interpreter


def bundled_card() -> dict:
    return json.loads(KEYWORD_MODEL_CARD.read_text(encoding="utf-8"))


def bundled_card_facts(entry) -> dict:
    """The card assets/make_keyword_model.py wrote when it made (and measured) the model."""
    return bundled_card()
