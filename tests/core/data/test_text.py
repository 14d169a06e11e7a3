"""The tokenizer: spans into the original text, any script, and ids identical to TextVectorization's."""
import numpy as np
import pytest

from core.data.text import SPACE_TOKEN, SPLITS, Encoder, fit_vocabulary, tokenize, vectorize

TRICKY = ["Hello, World! É café", "a\xa0b c\u3000d e\tf\ng", "I'm   don't  -- yes", "你好，世界！我爱北京",
          "emoji 😀 ok 👍🏽", "ÀÉÎ ÕÜ ß", "a_b a-b a.b", "日本語のテキストです", "ＦＵＬＬ ｗｉｄｔｈ", "", "   "]


def test_words_are_lowercased_without_punctuation_and_spans_point_into_the_text():
    text = "Great phone, TERRIBLE battery!"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["great", "phone", "terrible", "battery"]
    assert [text[t.start:t.end] for t in tokens] == ["Great", "phone,", "TERRIBLE", "battery!"]


def test_every_script_is_standardized():
    assert [t.text for t in tokenize("Émile ÇA ＦＵＬＬ")] == ["émile", "ça", "full"]   # not ASCII-only
    assert [t.text for t in tokenize("emoji 😀 👍🏽")] == ["emoji", "😀", "👍🏽"]          # emoji are words


def test_chinese_and_japanese_split_per_character_even_in_word_mode():
    text = "我爱北京，and Tokyo 東京"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["我", "爱", "北", "京", "and", "tokyo", "東", "京"]
    assert all(text[t.start:t.end].strip("，") == t.text or t.text == "tokyo" for t in tokens)


def test_character_mode_marks_word_boundaries_once():
    tokens = tokenize("Hi,   yo!", "character")
    assert [t.text for t in tokens] == ["h", "i", SPACE_TOKEN, "y", "o"]
    assert tokenize("   ", "character") == [] and tokenize("", "whitespace") == []


@pytest.mark.parametrize("split", SPLITS)
def test_fast_encoder_gives_exactly_the_ids_textvectorization_gives(split):
    vocabulary = fit_vocabulary(TRICKY[:5], split)
    assert vocabulary[:2] == ["", "[UNK]"]
    batch = vectorize(TRICKY, vocabulary, split, 24)
    encoder = Encoder(vocabulary, split, 24)
    for text, row in zip(TRICKY, batch):
        ids, tokens = encoder.encode(text)
        np.testing.assert_array_equal(ids, row)
        assert len(tokens) == int((row > 0).sum())


def test_unknown_words_and_long_texts():
    vocabulary = fit_vocabulary(["red green blue"])
    ids, tokens = Encoder(vocabulary, "whitespace", 3).encode("red purple blue green red")
    assert ids.tolist() == [vocabulary.index("red"), 1, vocabulary.index("blue")]
    assert len(tokens) == 3  # cut to the sequence length
