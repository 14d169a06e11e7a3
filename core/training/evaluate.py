"""Test-set evaluation: accuracy, per-class accuracy and the confusion matrix."""
from __future__ import annotations

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """counts[i, j] = examples of true class i predicted as class j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def classification_report(y_true, probabilities, class_names: list[str]) -> dict:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(probabilities).argmax(axis=1)
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    support = matrix.sum(axis=1)
    per_class = np.divide(np.diag(matrix), support, out=np.full(len(class_names), np.nan),
                          where=support > 0)
    return {
        "test_accuracy": float((y_pred == y_true).mean()) if len(y_true) else float("nan"),
        "test_examples": int(len(y_true)),
        "class_names": class_names,
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in per_class],
        "confusion_matrix": matrix.tolist(),
        "mistakes": mistakes(y_true, probabilities),
    }


def mistakes(y_true, probabilities, limit: int = 48) -> list[dict]:
    """The test examples the model got wrong, most confident first (for a gallery of errors)."""
    probabilities = np.asarray(probabilities)
    y_pred = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != np.asarray(y_true))
    wrong = wrong[np.argsort(-probabilities[wrong, y_pred[wrong]])][:limit]
    return [{"index": int(i), "true": int(y_true[i]), "predicted": int(y_pred[i]),
             "confidence": float(probabilities[i, y_pred[i]])} for i in wrong]
