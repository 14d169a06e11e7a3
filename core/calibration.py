"""How sure a classifier really is: temperature scaling, and "not sure" below a threshold.

    calibration = fit(val_probabilities, val_labels, "242 validation fortunes")
    p = calibration.apply(probabilities)          # same ranking, honest confidence
    sure = is_sure(p)                             # False: the page says "Not sure"

A network's softmax is usually over-confident: trained to drive the loss down, it learns to push
its probabilities towards 0 and 1. Temperature scaling (Guo et al., 2017) divides the logits by one
number T fitted on held-out examples (the one T that minimises their negative log-likelihood):
T > 1 softens over-confident answers, T < 1 sharpens timid ones, and the order of the classes never
changes, so the answer stays the same and only its confidence is corrected. The studio's models
output probabilities, not logits; log p is the logits up to a constant per example, which softmax
ignores, so softmax(log p / T) is the same thing.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

NOT_SURE_BELOW = 0.5        # calibrated top probability under this: the page says "Not sure"
MOSTLY_UNKNOWN_FROM = 0.5   # share of an input the model never saw in training: its answer is a guess
MIN_EXAMPLES = 10           # fewer held-out examples than this: a fitted T would be noise
T_RANGE = (0.05, 20.0)
_FLOOR = 1e-12              # log(0) guard: a float32 softmax rounds tiny probabilities to 0


@dataclass(frozen=True)
class Calibration:
    """One fitted temperature and what it was fitted on (shown on the page)."""
    temperature: float = 1.0
    examples: int = 0
    source: str = "not calibrated: no held-out examples for this model"
    nll_before: float | None = None   # mean negative log-likelihood on those examples, before and after
    nll_after: float | None = None

    @property
    def fitted(self) -> bool:
        return self.examples > 0

    def apply(self, probabilities) -> np.ndarray:
        return apply(probabilities, self.temperature)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


UNCALIBRATED = Calibration()


def apply(probabilities, temperature: float) -> np.ndarray:
    """softmax(log p / T) over the last axis: probabilities at temperature T (1: unchanged)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, _FLOOR, 1.0)) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def nll(probabilities, labels) -> float:
    """Mean negative log-likelihood of the true labels (lower: better calibrated and more accurate)."""
    p = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)
    return float(-np.log(np.clip(p[np.arange(len(labels)), labels], _FLOOR, 1.0)).mean())


def fit_temperature(probabilities, labels) -> float:
    """The T in T_RANGE that minimises the NLL of `labels` under `apply(probabilities, T)`.

    NLL is convex in 1/T, so a bounded one-dimensional search finds the minimum."""
    from scipy.optimize import minimize_scalar
    p = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)
    result = minimize_scalar(lambda log_t: nll(apply(p, float(np.exp(log_t))), labels),
                             bounds=tuple(np.log(T_RANGE)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def fit(probabilities, labels, source: str) -> Calibration:
    """A fitted Calibration, or UNCALIBRATED (saying why) when there are too few examples."""
    labels = np.asarray(labels, dtype=int)
    if len(labels) < MIN_EXAMPLES:
        return Calibration(source=f"not calibrated: {len(labels)} held-out examples are too few; "
                                  f"at least {MIN_EXAMPLES} are needed")
    temperature = fit_temperature(probabilities, labels)
    return Calibration(round(temperature, 4), int(len(labels)), source, round(nll(probabilities, labels), 4),
                       round(nll(apply(probabilities, temperature), labels), 4))


def is_sure(probabilities, threshold: float = NOT_SURE_BELOW) -> bool:
    """Whether the top (calibrated) probability reaches the threshold."""
    return float(np.max(probabilities)) >= threshold


def read(path: Path, key: str) -> Calibration:
    """The calibration stored for `key` in a JSON file of {key: calibration}; UNCALIBRATED if none."""
    try:
        return Calibration.from_dict(json.loads(Path(path).read_text(encoding="utf-8"))[key])
    except (OSError, ValueError, KeyError, TypeError):
        return UNCALIBRATED


# -- words for the pages (plain strings; core never imports streamlit) ---------------------------

def headline(verb: str, label: str, probability: float, sure: bool, why_not: str = "") -> str:
    """'### It reads: **computers** (87%)', or '### It reads: **Not sure** · best guess “science” (34%)'."""
    from core.formatting import format_percent
    shown = format_percent(probability, 0)
    if sure:
        return f"### {verb}: **{label}** ({shown})"
    return f"### {verb}: **Not sure** · best guess “{label}” ({shown}{', ' + why_not if why_not else ''})"


def describe(calibration: Calibration, threshold: float = NOT_SURE_BELOW) -> str:
    """One or two sentences on how the confidence shown was obtained and when it says 'Not sure'."""
    from core.formatting import format_number, format_percent
    rule = f"Below {format_percent(threshold, 0)} for its best answer it says “Not sure”."
    if not calibration.fitted:
        return f"Confidence: the model's own ({calibration.source}). {rule}"
    t = calibration.temperature
    direction = ("its raw scores were over-confident, so they are softened" if t > 1.05 else
                 "its raw scores were too timid, so they are sharpened" if t < 0.95 else
                 "its raw scores were already about right")
    return (f"Confidence calibrated by temperature scaling on {calibration.source}: temperature "
            f"{format_number(t)} ({direction}). {rule}")
