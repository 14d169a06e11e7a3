"""What every lab's live inference shares: predictions, runs as models, calibration, teach flows.

The labs' classifiers live with their modality (core/image, core/audio, core/text); the catalogue
(core/catalog.py) lists and loads them by key. This module holds what they have in common: the
prediction record, the widget key of a per-input choice, finished runs as models (their files,
card and validation examples) and the temperature that calibrates a run's confidence.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from core import paths
from core.calibration import Calibration, fit
from core.calibration import read as read_calibration
from core.catalog import RUN_PREFIX, TASKS, ModelInfo, resolve
from core.runs import COMPLETED, STOPPED, RunStore

CALIBRATION_FILE = paths.ASSETS_DIR / "models" / "calibration.json"  # bundled models (assets/make_calibration.py)
CALIBRATION_LIMIT = 500   # validation examples a run's temperature is fitted on (loading stays quick)


@dataclass
class Prediction:
    probabilities: np.ndarray   # calibrated (see core/calibration.py): what the page shows
    top: list[tuple[str, float]]
    seconds: float
    raw: np.ndarray | None = None   # the model's own softmax
    sure: bool = True               # the calibrated top probability (its group's, if grouped) reaches NOT_SURE_BELOW
    groups: list | None = None      # core.image.groups.GroupAnswer, likeliest first, for a grouped model
    novelty: object = None          # core.novelty.Verdict: is it any of a run's classes? (None: not checked)


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


def wrap(task: str, model, labels, preprocessing: dict, card: dict, run=None, calibrated: bool = True):
    """A Keras model from a run or an import, as its lab's classifier (core.catalog.TASKS): calibrated
    on the run's own validation examples (an import has none), its predict step compiled."""
    if task not in TASKS:
        raise KeyError(f"No lab uses '{task}' models (labs: {', '.join(TASKS)}).")
    classifier = resolve(TASKS[task])(model, labels, preprocessing, card)
    from core.modalities import modality_of
    if run is not None and modality_of(task).none_of_these:
        from core import novelty
        classifier.novelty = novelty.attach(model, run.dir)
    if calibrated:
        classifier.calibration = calibrate_on_run(run, classifier.dataset_probabilities) if run is not None \
            else Calibration(source="not calibrated: an imported model comes without held-out examples")
    classifier.warm_up()
    return classifier


class RunSource:
    """The catalogue's "run:" models: finished runs of this studio (completed or stopped, with a model)."""

    def list(self, task: str, store=None) -> list[ModelInfo]:
        return [ModelInfo(RUN_PREFIX + run.id, f"Your model: {run.name}", "run", run_card(run), task)
                for run in finished_runs(task, store)]

    def load(self, key: str, progress=None, calibrated: bool = True, **_):
        model, labels, preprocessing, run = load_run_model(key[len(RUN_PREFIX):])
        return wrap(preprocessing.get("kind", "tabular"), model, labels, preprocessing, run_card(run), run,
                    calibrated)

    def task_of(self, key: str) -> str | None:
        run = RunStore().get_run(key[len(RUN_PREFIX):])
        return (run_preprocessing(run) or {}).get("kind") if run else None


RUN_SOURCE = RunSource()


def finished_runs(kind: str, store: RunStore | None = None) -> list:
    """Completed or stopped runs with a saved model trained on `kind` data, newest first."""
    return [run for run in (store or RunStore()).list_runs()
            if run.status in (COMPLETED, STOPPED) and run.model_path.exists()
            and (run_preprocessing(run) or {}).get("kind") == kind]


def run_preprocessing(run) -> dict | None:
    """What inference must do before the run's model (None if the file is missing or broken)."""
    try:
        return json.loads((run.dir / "preprocessing.json").read_text(encoding="utf-8"))
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
    labels = json.loads((run.dir / "labels.json").read_text(encoding="utf-8"))
    return model, labels, run_preprocessing(run) or {}, run


def run_validation(run, limit: int = CALIBRATION_LIMIT):
    """(inputs, labels) of a run's validation examples as its dataset holds them, cut as training
    cut them (core/training/prepare.py: validation_cut), at most `limit`; None when the run kept
    none or its data is gone."""
    from core.data import DataError, load_dataset
    from core.params import ConfigError
    from core.training.config import RunConfig
    try:
        config = RunConfig.from_dict(run.config)
        data = load_dataset(config.dataset, config.dataset_params)
    except (ConfigError, DataError, OSError, ValueError, KeyError, TypeError):
        return None
    from core.training.prepare import validation_cut
    chosen = np.sort(validation_cut(len(data.x), config)[0][:limit])
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


def run_card(run) -> dict:
    from core.data import dataset_title
    from core.modalities import modality_of
    r = run.results
    return {"title": run.name, "trained on": dataset_title(run.config.get("dataset", "")),
            "classes": r.get("class_names", []), "number of classes": len(r.get("class_names", [])),
            "accuracy": f"{r['test_accuracy']:.1%} on {r['test_examples']:,} held-out test "
                        + modality_of((run_preprocessing(run) or {}).get("kind", "image")).noun
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
