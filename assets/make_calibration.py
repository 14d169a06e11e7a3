"""Fit the temperature of each bundled classifier on held-out examples (committed; re-run after
re-making a model) and write assets/models/calibration.json, read when the model loads.

    python assets/make_calibration.py              # about 2 minutes on 2 CPU cores

- Topic classifier: fitted on its own validation fortunes (the 15 % of the training pool that
  stopped its training early, rebuilt from Debian's files exactly as make_topic_model.py cut
  them), checked on the 404 held-out fortunes it was never trained or calibrated on.
- Keyword spotter: fitted on 1,080 new clips spoken by the 20 held-out voices (a different seed
  from the test clips: other words' timings, other noise), checked on the test clips of the card.

Each entry records the temperature, what it was fitted on, and the negative log-likelihood
(lower is better) on the fitting set and on the check set, before and after.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import calibration  # noqa: E402

OUT = ROOT / "assets" / "models" / "calibration.json"
TOPIC_VALIDATION_FRACTION = 0.15  # make_topic_model.VALIDATION_FRACTION


def topic_splits(card: dict):
    """(validation texts, labels, held-out texts, labels) of the bundled topic model, rebuilt."""
    from core.text.corpora import load_fortunes, split_fortunes
    texts, labels = load_fortunes(card["classes"], card["max_per_category"])
    pool, y_pool, test, y_test = split_fortunes(texts, labels, card["seed"])
    order = np.random.default_rng(card["seed"]).permutation(len(pool))
    n_val = int(round(len(order) * TOPIC_VALIDATION_FRACTION))
    return [pool[i] for i in order[:n_val]], np.asarray(y_pool)[order[:n_val]], test, np.asarray(y_test)


def topic_entry() -> dict:
    from core.catalog import load_model
    from core.text.classify import _bundled_meta
    card = _bundled_meta("topic_classifier")
    val_texts, y_val, test_texts, y_test = topic_splits(card)
    classifier = load_model("topic_classifier", calibrated=False)
    return entry(classifier.predict_batch(val_texts), y_val, classifier.predict_batch(test_texts), y_test,
                 f"{len(y_val):,} validation fortunes (never trained on)", "held-out fortunes")


def keyword_entry() -> dict:
    sys.path.insert(0, str(ROOT / "assets"))
    import make_keyword_model as K

    from core.audio.keywords import bundled_card
    from core.catalog import load_model
    held_out = bundled_card()["held_out_voices"]
    started = time.perf_counter()
    x_val, y_val = K.build_split("test", held_out, K.SEED + 200)
    x_test, y_test = K.build_split("test", held_out, K.SEED + 100)
    print(f"synthesised {len(x_val) + len(x_test):,} clips in {time.perf_counter() - started:.0f} s", flush=True)
    classifier = load_model("keyword_spotter", calibrated=False)
    return entry(classifier.probabilities(x_val), y_val, classifier.probabilities(x_test), y_test,
                 f"{len(y_val):,} clips spoken by the {len(held_out)} held-out voices (never trained on)",
                 "the card's held-out-voice test clips")


def entry(p_val, y_val, p_test, y_test, source: str, check: str) -> dict:
    fitted = calibration.fit(p_val, y_val, source)
    after = calibration.apply(p_test, fitted.temperature)
    return fitted.to_dict() | {
        "check": check, "check_examples": int(len(y_test)),
        "check_nll_before": round(calibration.nll(p_test, y_test), 4),
        "check_nll_after": round(calibration.nll(after, y_test), 4),
        "check_mean_confidence_before": round(float(np.max(p_test, axis=1).mean()), 4),
        "check_mean_confidence_after": round(float(after.max(axis=1).mean()), 4),
        "check_accuracy": round(float((np.argmax(p_test, axis=1) == y_test).mean()), 4)}


def main() -> None:
    entries = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    for key, make in (("topic_classifier", topic_entry), ("keyword_spotter", keyword_entry)):
        if len(sys.argv) > 1 and key not in sys.argv[1:]:
            continue
        entries[key] = make()
        print(key, entries[key], flush=True)
    OUT.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
