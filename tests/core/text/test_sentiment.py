"""VADER sentiment: right signs, and word valences that add up to the score."""
import math

import pytest

from core.text.sentiment import score


def normalize(total: float, alpha: float = 15) -> float:
    return total / math.sqrt(total * total + alpha)  # VADER's squashing of the summed valences


def test_clearly_positive_and_negative_sentences_get_the_right_sign():
    happy = score("What a wonderful, delightful day. I love this!")
    sad = score("This is a terrible, awful mess and I hate it.")
    assert happy.label == "positive" and happy.compound > 0.5
    assert sad.label == "negative" and sad.compound < -0.5
    assert all(w.valence > 0 for w in happy.words) and all(w.valence < 0 for w in sad.words)


@pytest.mark.parametrize("text", ["The battery is great, but the screen is awful",
                                  "This is not good at all", "VERY GOOD product", "kind of nice"])
def test_word_valences_are_exactly_what_vader_sums(text):
    result = score(text)  # no "!" or "?": VADER adds nothing beyond the words
    assert result.compound == pytest.approx(normalize(sum(w.valence for w in result.words)), abs=1e-4)


def test_rules_show_in_the_words_and_spans_point_into_the_text():
    text = "The battery is great, but the screen is awful."
    words = {w.text: w for w in score(text).words}
    assert words["great"].valence < abs(words["awful"].valence)  # "but" shifts the weight
    assert score("not good").words[0].valence < 0                  # negation flips "good"
    for w in score(text).words:
        assert text[w.start:w.end] == w.text


@pytest.mark.parametrize("text", ["", "   ", "Das ist gut 很好", "12345"])
def test_empty_foreign_or_wordless_text_is_neutral(text):
    result = score(text)
    assert result.label == "neutral" and result.words == []
