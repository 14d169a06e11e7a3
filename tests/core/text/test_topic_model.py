"""The bundled topic classifier (assets/make_topic_model.py) and the fortune reader it learns from.

The held-out fortunes are not committed: the split is rebuilt from Debian's files with the
card's categories, cap and seed, exactly as the training script built it.
"""
import json

import numpy as np
import pytest

from core import paths
from core.text.corpora import FORTUNES_DIR, clean_entry, load_fortunes, split_fortunes, strip_attribution

MODEL_PATH = paths.ASSETS_DIR / "models" / "topic_classifier.keras"
CARD_PATH = paths.ASSETS_DIR / "models" / "topic_classifier.json"
# The card reports about 54 % against a 15 % majority class; these floors leave ~10 points of room.
MARGIN_OVER_BASELINE = 0.30
TIMES_BASELINE = 3.0

needs_fortunes = pytest.mark.skipif(not FORTUNES_DIR.is_dir(),
                                    reason=f"{FORTUNES_DIR} missing: apt-get install fortunes (CI does)")
needs_model = pytest.mark.skipif(not MODEL_PATH.exists(), reason="run assets/make_topic_model.py")


@pytest.fixture(scope="module")
def card():
    return json.loads(CARD_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():
    import keras

    import core.models.layers  # noqa: F401 - registers PositionEmbedding for safe loading
    return keras.models.load_model(MODEL_PATH, safe_mode=True)


def predict(model, card, texts) -> np.ndarray:
    from core.data.text import vectorize
    ids = vectorize(texts, card["vocabulary"], card["split"], card["sequence_length"])
    return np.asarray(model.predict(ids, verbose=0))


def test_attribution_lines_and_their_continuations_are_dropped():
    entry = ("A computer lets you make more mistakes faster than any other invention.\n"
             "\t\t-- Someone Famous, \"A Book\n\t\t   With a Long Title\"")
    assert strip_attribution(entry) == entry.split("\n")[0]
    # A dash at the margin in mid-text is the author's punctuation, not a signature.
    kept = "the same two kinds of customers\n-- the living and the dying.\n\t\t-- Dr. Boyce"
    assert clean_entry(kept) == "the same two kinds of customers -- the living and the dying."


def test_overstrike_ascii_art_and_short_entries():
    assert clean_entry("Calm down, it's *____\b\b\b\bonly* ones and zeroes.") == \
        "Calm down, it's *only* ones and zeroes."
    assert clean_entry("  /\\_/\\ \n ( o.o ) ||| ### ==== \n  > ^ < -- ** ++ //") is None
    assert clean_entry("Yow!") is None


def test_missing_corpus_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install fortunes"):
        load_fortunes(["computers"], directory=tmp_path / "no-fortunes")


@needs_fortunes
def test_load_fortunes_labels_and_clean_text():
    texts, labels = load_fortunes(["computers", "food"], max_per_category=50)
    assert len(texts) == len(labels) == 100 and set(labels) == {0, 1}
    assert all("\t" not in text and "  " not in text and text == text.strip() for text in texts)
    # In the file: "A computer lets you make more mistakes faster ... Tequilla.\n\t\t-- Mitch Ratcliffe"
    signed = [text for text in texts if text.startswith("A computer lets you make more mistakes")]
    assert len(signed) == 1 and signed[0].endswith("Tequilla.")


@needs_fortunes
@needs_model
def test_held_out_accuracy_beats_the_majority_class_by_a_wide_margin(model, card):
    texts, labels = load_fortunes(card["classes"], card["max_per_category"])
    _, _, test_texts, y_test = split_fortunes(texts, labels, card["seed"])
    assert len(y_test) == card["held_out"]["examples"]
    baseline = np.bincount(y_test).max() / len(y_test)
    assert baseline == pytest.approx(card["held_out"]["majority_baseline"], abs=1e-3)
    accuracy = float((predict(model, card, test_texts).argmax(axis=1) == y_test).mean())
    assert accuracy >= baseline + MARGIN_OVER_BASELINE
    assert accuracy >= TIMES_BASELINE * baseline
    assert accuracy == pytest.approx(card["held_out"]["accuracy"], abs=0.015)


@needs_model
@pytest.mark.parametrize("text, topic", [
    ("The compiler found a bug in my program and the computer crashed.", "computers"),
    ("The judge told the jury that the lawyer had broken the law.", "law"),
    ("Captain Kirk ordered Spock to beam down to the planet with the Enterprise crew.", "startrek"),
    ("The pitcher threw the baseball and the team won the game.", "sports"),
])
def test_clearly_on_topic_sentences(model, card, text, topic):
    assert card["classes"][int(predict(model, card, [text])[0].argmax())] == topic


@needs_model
def test_card_is_complete_and_the_file_small(card):
    assert card["architecture"] in card["comparison"] and card["split"] == "whitespace"
    assert card["vocabulary"][:2] == ["", "[UNK]"] and len(card["vocabulary"]) > 1000
    assert "BSD" in card["licence"] and "fortunes" in card["source"]
    assert set(card["held_out"]["per_class_accuracy"]) == set(card["classes"])
    assert MODEL_PATH.stat().st_size < 5 * 1024 * 1024
