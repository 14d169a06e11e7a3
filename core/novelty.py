"""“None of these”: whether an input looks like anything a taught classifier has seen.

    check = fit(train_features, train_labels, held_out_features, "24 validation images")
    check.save(run_dir / FILE)                 # the runner does this when a run finishes
    verdict = load(run_dir / FILE).judge(features)
    verdict.familiar                           # False: the page says "None of these"

A softmax always shares 100 % among the classes it knows, so a shapes model shown a clock still
answers "circle (90 %)"; its confidence cannot say "none of them". The features its last layer reads
can: each taught class is a cloud of points there, and an input unlike all of them lands far from
every cloud. The distance is Mahalanobis's to the nearest class mean, with one covariance shared
by the classes (Lee et al., 2018, "A Simple Unified Framework for Detecting Out-of-Distribution
Samples"):

    d(x) = min over classes c of  sqrt((φ(x) − μ_c)ᵀ Σ⁻¹ (φ(x) − μ_c))

μ_c and Σ come from the training examples; Σ is shrunk towards a diagonal (Ledoit-Wolf), because a
few dozen photos give 1,280 features no invertible covariance of their own. The limit is fitted on
held-out examples the model never trained on: the distance that KEEP of them stay within, read from
a log-normal fitted to their distances (ten held-out clips cannot show how far the farthest 1 % go;
their maximum alone called 2 of 30 new clips of taught sounds "none of these", the fitted curve 0).
Beyond it an input is farther from every class than nearly all real examples of the classes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np

FILE = "novelty.npz"      # in a run's folder, beside model.keras
KEEP = 0.99               # held-out examples of the taught classes that stay within the limit
MIN_HELD_OUT = 3          # fewer: no limit can be fitted (the page says the check is off)
TRAIN_SAMPLE = 1000       # training examples the class means and covariance are measured on
HELD_OUT_SAMPLE = 500


@dataclass(frozen=True)
class Verdict:
    distance: float       # to the nearest taught class, in the shared covariance's units
    limit: float          # farther than this: none of the taught classes
    nearest: int          # the class it is nearest to

    @property
    def familiar(self) -> bool:
        return self.distance <= self.limit

    @property
    def times_limit(self) -> float:
        return self.distance / self.limit


class NoveltyCheck:
    """Class means and a whitening of the shared covariance: distances to every class in one product."""

    def __init__(self, whitening, means, classes, limit: float, source: str):
        self.whitening = np.asarray(whitening, np.float32)   # W with WᵀW = Σ⁻¹: d = ‖W(φ − μ)‖
        self.means = np.asarray(means, np.float32)           # μ_c, one row per class with training examples
        self.classes = np.asarray(classes, int)              # the class index of each row
        self.limit = float(limit)
        self.source = source                                 # what the limit was fitted on, for the page
        self._white_means = self.means @ self.whitening.T

    def distances(self, features) -> np.ndarray:
        """(examples, rows of `means`) Mahalanobis distances of each example to each class mean."""
        white = np.asarray(features, np.float32).reshape(len(features), -1) @ self.whitening.T
        return np.sqrt(((white[:, None, :] - self._white_means[None]) ** 2).sum(-1))

    def judge(self, features) -> Verdict:
        """The verdict on one input's features."""
        distances = self.distances(np.asarray(features)[None])[0]
        nearest = int(distances.argmin())
        return Verdict(float(distances[nearest]), self.limit, int(self.classes[nearest]))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, whitening=self.whitening, means=self.means, classes=self.classes,
                            limit=self.limit, source=np.array(self.source))



def fit(train_features, train_labels, held_out_features, source: str) -> NoveltyCheck:
    """Class means and shared covariance from training features; the limit from held-out ones."""
    from sklearn.covariance import LedoitWolf
    x = np.asarray(train_features, np.float64).reshape(len(train_features), -1)
    labels = np.asarray(train_labels, int)
    classes = np.unique(labels)
    means = np.stack([x[labels == c].mean(axis=0) for c in classes])
    centred = x - means[np.searchsorted(classes, labels)]
    covariance = LedoitWolf().fit(centred).covariance_
    # A feature no training example ever varies (a dead ReLU) would leave Σ singular: a tiny ridge.
    covariance += np.eye(len(covariance)) * max(1e-6 * np.trace(covariance) / len(covariance), 1e-9)
    # Σ = L Lᵀ (Cholesky)  =>  Σ⁻¹ = L⁻ᵀ L⁻¹, so W = L⁻¹ whitens: ‖W(φ − μ)‖ is the Mahalanobis distance.
    whitening = np.linalg.inv(np.linalg.cholesky(covariance))
    unfitted = NoveltyCheck(whitening, means, classes, np.inf, source)
    # Floored: a held-out input identical to a class mean (a duplicated photo) would take the log to −∞.
    log_held = np.log(np.maximum(unfitted.distances(held_out_features).min(axis=1), 1e-6))
    limit = np.exp(log_held.mean() + NormalDist().inv_cdf(KEEP) * log_held.std(ddof=1))
    return NoveltyCheck(whitening, means, classes, float(limit), source)


def load(path: Path) -> NoveltyCheck | None:
    """The check saved beside a run's model, or None (a run from before it was measured)."""
    try:
        with np.load(path) as saved:
            return NoveltyCheck(saved["whitening"], saved["means"], saved["classes"], float(saved["limit"]),
                                str(saved["source"]))
    except (OSError, ValueError, KeyError):
        return None


class NoneOfThese:
    """A run's model with its check (or None, and why not): probabilities and verdict in one pass."""

    def __init__(self, model, check: NoveltyCheck | None):
        self.check = check
        self.reader = feature_reader(model) if check is not None else None

    def read(self, batch) -> tuple[np.ndarray, Verdict | None]:
        """The raw probabilities of a batch of one input, and the verdict on it (None: not checked)."""
        features, probabilities = self.reader.predict_on_batch(np.asarray(batch, np.float32))
        return np.asarray(probabilities, np.float64)[0], self.check.judge(np.asarray(features)[0])

    def describe(self) -> str:
        """How the page decides “None of these”, or why it cannot, in one or two sentences."""
        if self.check is None:
            return ("This model has no “None of these” check (it was trained before the studio measured one, "
                    "or kept too few held-out examples): it names one of its classes for anything it is shown.")
        return (f"It says “None of these” when an input is farther from every class it was taught than "
                f"{KEEP:.0%} of its {self.check.source}: distance measured in the features its last "
                "layer reads, to each class's average.")

    def how_far(self, verdict: Verdict, class_names: list[str]) -> str:
        """What one input's distance says, for the caption under the headline."""
        nearest = f"the nearest taught class (“{class_names[verdict.nearest]}”)"
        if verdict.familiar:
            return (f"It looks like what it was taught: its distance to {nearest} is {verdict.times_limit:.1f}× "
                    "the limit for “None of these”.")
        return (f"Its distance to {nearest} is {verdict.times_limit:.1f}× the limit, the distance within which "
                f"{KEEP:.0%} of its {self.check.source} lie. A probability always shares 100% among the classes "
                "a model knows, so it cannot say this by itself.")


def attach(model, run_dir: Path) -> NoneOfThese:
    """The check saved in a run's folder, ready to read inputs through `model`."""
    return NoneOfThese(model, load(Path(run_dir) / FILE))


def headline(verb: str, best_label: str, probability: float) -> str:
    """'### It sees: **None of these**', then the best guess in a line of its own (short at 1024 px)."""
    from core.formatting import format_percent
    return (f"### {verb}: **None of these**\n\nUnlike every class it was taught: its best guess would be "
            f"“{best_label}” ({format_percent(probability, 0)}).")


# -- the features a Keras classifier's last layer reads -------------------------------------------

def feature_reader(model):
    """A Keras model giving (the features the classifier's last layer reads, the class probabilities).

    The last layer is a Dense softmax, or a nested head (dropout + Dense: transfer learning), which
    reads the layer before it; dropout is the identity at inference, so both read the same features."""
    import keras
    position, last = next((i, layer) for i, layer in reversed(list(enumerate(model.layers)))
                          if isinstance(layer, (keras.layers.Dense, keras.Model)))
    features = last.input if isinstance(last, keras.layers.Dense) else model.layers[position - 1].output
    return keras.Model(model.inputs, [features, model.output])


def measure(model, train: tuple, held_out: list, noun: str, seed: int = 0) -> NoveltyCheck | None:
    """Fit the check for a trained `model` on (x, y) of its training examples and on sets of inputs
    it never trained on (arrays or lazy rows; None for a set it has not), at most TRAIN_SAMPLE and
    HELD_OUT_SAMPLE of them; None when fewer than MIN_HELD_OUT are held out."""
    x_train, y_train = train
    held_out = [x for x in held_out if x is not None and len(x)]
    if sum(map(len, held_out)) < MIN_HELD_OUT:
        return None
    reader = feature_reader(model)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(x_train))[:TRAIN_SAMPLE])
    held = np.concatenate([_features(reader, x, np.sort(rng.permutation(len(x))[:HELD_OUT_SAMPLE // len(held_out)]))
                           for x in held_out])
    return fit(_features(reader, x_train, chosen), np.asarray(y_train)[chosen], held, f"{len(held):,} held-out {noun}")


def _features(reader, x, rows, batch: int = 64) -> np.ndarray:
    parts = [np.asarray(reader.predict_on_batch(np.asarray(x[rows[i:i + batch]], np.float32))[0])
             for i in range(0, len(rows), batch)]
    return np.concatenate(parts).reshape(len(rows), -1)
