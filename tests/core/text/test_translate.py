"""The bundled number translator: its card's score holds up, known translations, clean input,
attention shapes, and clear refusals."""
import numpy as np
import pytest

from core.text.translate import TranslationError, exact_match, load_translator, words

EXACT_MATCH_FLOOR = 0.90   # the card reports more; below this the model is not worth bundling


@pytest.fixture(scope="module")
def translator():
    return load_translator()


def test_held_out_exact_match_recomputed_matches_the_card(translator):
    pairs = translator.card["held_out_pairs"]
    assert len(pairs) >= 500
    score = exact_match(translator, pairs)
    assert score >= EXACT_MATCH_FLOOR
    assert score == pytest.approx(translator.card["held_out_exact_match"], abs=0.005)


def test_card_says_what_it_was_trained_on(translator):
    card = translator.card
    assert "num2words" in card["trained on"] and "LGPL" in card["num2words"]
    assert card["file_size_bytes"] < 5 * 1024 * 1024 and card["parameters"] > 0


@pytest.mark.parametrize("english, spanish", [
    ("forty two", "cuarenta y dos"),
    ("twenty one thousand", "veintiún mil"),            # RAE: "veintiún", not num2words's "veintiuno"
    ("thirty-one thousand", "treinta y un mil"),
    ("one hundred", "cien"),
    ("one hundred and five", "ciento cinco"),
])
def test_known_translations(translator, english, spanish):
    assert translator.translate(english).text == spanish


def test_attention_is_one_distribution_over_the_source_per_target_word(translator):
    result = translator.translate("twenty-one thousand, three hundred and five")
    assert result.source_tokens == ["twenty", "one", "thousand", "three", "hundred", "and", "five"]
    assert result.attention.shape == (len(result.target_tokens), len(result.source_tokens))
    assert np.all(result.attention >= 0)
    np.testing.assert_allclose(result.attention.sum(axis=1), 1.0, atol=1e-4)
    assert result.seconds > 0


@pytest.mark.parametrize("variant", ["forty-two", "Forty Two,", "  FORTY   two. "])
def test_case_hyphens_and_punctuation_do_not_matter(translator, variant):
    assert words(variant) == ["forty", "two"]
    assert translator.translate(variant).target_tokens == translator.translate("forty two").target_tokens


def test_and_is_optional(translator):
    with_and = translator.translate("three hundred and forty thousand and seven")
    assert with_and.text == translator.translate("three hundred forty thousand seven").text
    assert with_and.text == "trescientos cuarenta mil siete"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?!"])
def test_empty_input_is_refused_with_a_message(translator, text):
    with pytest.raises(TranslationError, match="forty two"):
        translator.translate(text)


def test_unknown_words_are_reported_not_translated(translator):
    result = translator.translate("forty banana")
    assert result.unknown_words == ["banana"]
    assert result.source_tokens == ["forty"] and result.text == "cuarenta"


def test_digits_alone_are_refused_as_unknown_words(translator):
    with pytest.raises(TranslationError, match="digits") as raised:
        translator.translate("42")
    assert raised.value.unknown_words == ["42"]


def test_too_long_input_is_refused_with_the_limit(translator):
    limit = translator.max_source_length
    with pytest.raises(TranslationError, match=f"at most {limit}"):
        translator.translate(" ".join(["nine"] * (limit + 1)))
