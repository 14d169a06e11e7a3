"""Temperature scaling (core/calibration.py): the fit, what it does to probabilities, the stored
temperatures of the bundled models, and "not sure" / "mostly unknown" on the bundled topic model."""
import json

import numpy as np
import pytest

from core import calibration, paths
from core.text.corpora import FORTUNES_DIR

TOPIC_MODEL = paths.ASSETS_DIR / "models" / "topic_classifier.keras"
needs_topic_model = pytest.mark.skipif(not TOPIC_MODEL.exists(), reason="run assets/make_topic_model.py")
needs_fortunes = pytest.mark.skipif(not FORTUNES_DIR.is_dir(), reason="apt-get install fortunes (CI does)")


def overconfident(n=2000, classes=4, seed=0):
    """A model that is right 60 % of the time but says about 95 %: softmax of logits scaled by 4."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(0, 1, (n, classes))
    logits[np.arange(n), labels] += 1.2          # an honest signal: right about 60 % of the time
    p = np.exp(4 * logits)
    return p / p.sum(axis=1, keepdims=True), labels


def test_temperature_softens_an_overconfident_model_and_lowers_held_out_nll():
    p, y = overconfident()
    fit_p, fit_y, held_p, held_y = p[:1000], y[:1000], p[1000:], y[1000:]
    t = calibration.fit_temperature(fit_p, fit_y)
    assert 3.0 < t < 5.5                     # it recovers roughly the factor of 4 that was put in
    after = calibration.apply(held_p, t)
    assert calibration.nll(after, held_y) < 0.8 * calibration.nll(held_p, held_y)
    # Same answers, honest confidence: mean confidence now close to the accuracy.
    assert (after.argmax(1) == held_p.argmax(1)).all()
    accuracy = (held_p.argmax(1) == held_y).mean()
    assert held_p.max(1).mean() - accuracy > 0.2 and abs(after.max(1).mean() - accuracy) < 0.06
    np.testing.assert_allclose(after.sum(1), 1.0)


def test_apply_is_identity_at_one_and_survives_zero_probabilities():
    p = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    assert calibration.apply(p, 1.0) is not None and np.allclose(calibration.apply(p, 1.0), p)
    soft = calibration.apply(p, 2.0)
    assert np.isfinite(soft).all() and soft[0, 0] > 0.99 and soft[1].argmax() == 2 and soft[1, 2] < 0.5


def test_too_few_examples_are_not_fitted_and_say_why():
    p, y = overconfident(5)
    result = calibration.fit(p, y, "five examples")
    assert not result.fitted and result.temperature == 1.0 and "too few" in result.source
    assert "model's own" in calibration.describe(result) and "50%" in calibration.describe(result)


def test_headline_says_not_sure_below_the_threshold():
    assert calibration.headline("It reads", "computers", 0.87, True) == "### It reads: **computers** (87%)"
    shown = calibration.headline("It reads", "science", 0.34, calibration.is_sure([0.34, 0.3, 0.36 - 0.02]))
    assert "**Not sure**" in shown and "“science” (34%" in shown
    assert calibration.is_sure([0.5, 0.5]) and not calibration.is_sure([0.49, 0.51 - 0.02])


@needs_topic_model
@needs_fortunes
def test_the_stored_topic_temperature_is_the_fit_on_its_validation_fortunes_and_helps_held_out():
    """The bundled topic model's temperature (assets/models/calibration.json) refitted here from
    Debian's fortunes: the same T, and lower NLL on the 404 held-out fortunes it never saw."""
    import sys
    sys.path.insert(0, str(paths.ASSETS_DIR))
    from make_calibration import topic_splits

    from core.catalog import load_model
    from core.text.classify import _bundled_meta
    stored = json.loads((paths.ASSETS_DIR / "models" / "calibration.json").read_text(encoding="utf-8"))["topic_classifier"]
    val_texts, y_val, test_texts, y_test = topic_splits(_bundled_meta("topic_classifier"))
    raw = load_model("topic_classifier", calibrated=False)
    t = calibration.fit_temperature(raw.predict_batch(val_texts), y_val)
    assert abs(t - stored["temperature"]) < 0.01 * stored["temperature"]
    held_out = raw.predict_batch(test_texts)
    assert calibration.nll(calibration.apply(held_out, t), y_test) < calibration.nll(held_out, y_test) - 0.3
    calibrated = load_model("topic_classifier")
    assert calibrated.calibration.temperature == stored["temperature"]


@needs_topic_model
def test_the_topic_model_flags_a_chinese_sentence_as_mostly_unknown_and_still_answers_a_clear_one():
    from core.catalog import load_model
    classifier = load_model("topic_classifier")
    chinese = classifier.predict("今天天气很好，我们去公园散步吧。")
    assert chinese.unknown_share == 1.0 and chinese.mostly_unknown and not chinese.sure
    raw_best = float(chinese.raw.max())
    assert chinese.top[0][1] < raw_best   # calibrated: less sure than the model says
    # The happy phone review the raw model called "science (81%)": now not sure.
    review = classifier.predict("I absolutely love this phone! The camera is superb and the battery lasts all day.")
    assert float(review.raw.max()) > 0.75 and not review.sure and not review.mostly_unknown
    # A confident, correct answer is still the answer.
    clear = classifier.predict("The compiler found a bug in my program and the computer crashed "
                               "while running the software on unix")
    assert clear.top[0][0] == "computers" and clear.sure, clear.top
