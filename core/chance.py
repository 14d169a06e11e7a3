"""Is a test accuracy better than guessing? A room reads "33 % accuracy" as a score; with three
classes it is what always giving the same answer gets.

    note = chance_note(run.results)   # None, or a plain sentence saying the model is guessing

The guess is the strongest answer that needs no model: always the class most common in the test
set (with balanced classes, 1 / number of classes). An accuracy within two standard errors of it,
sqrt(p (1 - p) / n) for n test examples, cannot be told apart from that guess.
"""
from __future__ import annotations

import math

import numpy as np


def guessing_accuracy(confusion_matrix) -> tuple[float, int]:
    """(the accuracy of always answering the test set's most common class, that class's index)."""
    support = np.asarray(confusion_matrix, dtype=float).sum(axis=1)
    if not support.sum():
        return 0.0, 0
    return float(support.max() / support.sum()), int(support.argmax())


def chance_note(results: dict) -> str | None:
    """A sentence when the run's test accuracy is no better, or not clearly better, than guessing."""
    if "test_accuracy" not in results or "confusion_matrix" not in results:
        return None
    accuracy, names = float(results["test_accuracy"]), results.get("class_names", [])
    guess, majority = guessing_accuracy(results["confusion_matrix"])
    n = int(np.asarray(results["confusion_matrix"]).sum())
    if not n or len(names) < 2:
        return None
    support = np.asarray(results["confusion_matrix"]).sum(axis=1)
    # Classes of equal size: naming one would read as the one the model chose, which it may not be.
    which = "any one class" if (support == support.max()).sum() > 1 else f"“{names[majority]}”"
    always = f"always answering {which} scores {guess:.0%} on this test set"
    if accuracy <= guess + 1e-9:
        return (f"{accuracy:.0%} with {len(names)} classes: no better than guessing ({always}). The model "
                "has not learnt to tell the classes apart: more examples per class, more epochs or "
                "another network may.")
    if accuracy < guess + 2 * math.sqrt(guess * (1 - guess) / n):
        return (f"{accuracy:.0%} is not clearly better than guessing ({always}): {n} test examples are "
                "too few to tell the two apart. More examples per class would.")
    return None
