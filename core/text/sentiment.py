"""Sentiment with VADER (Hutto & Gilbert, 2014; PyPI `vaderSentiment`, MIT, lexicon bundled).

    result = score("The battery is great, but the screen is awful.")
    result.compound, result.label          # -0.3291, 'negative'
    [(w.text, w.valence) for w in result.words]   # [('great', 1.17...), ('awful', -3.75...)]

VADER adds up the lexicon valence of each word after its rules (negation "not good", boosters
"very good", capitals, "but" shifting weight to what follows), then squashes the sum into a
compound score in [-1, 1]: x / sqrt(x² + 15). The per-word valences below are exactly the numbers
it adds, so the highlighted words explain the score.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05   # VADER's own thresholds for the label


@dataclass(frozen=True)
class WordScore:
    text: str
    start: int         # character span in the original text, for highlighting
    end: int
    valence: float     # what this word added to the sum (after negation, boosters, "but")


@dataclass(frozen=True)
class Sentiment:
    compound: float
    positive: float
    neutral: float
    negative: float
    words: list[WordScore]

    @property
    def label(self) -> str:
        if self.compound >= POSITIVE_AT:
            return "positive"
        return "negative" if self.compound <= NEGATIVE_AT else "neutral"


@functools.lru_cache(maxsize=1)
def analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    return SentimentIntensityAnalyzer()


def score(text: str) -> Sentiment:
    """VADER's scores for `text` plus each sentiment-bearing word with its character span."""
    scores = analyzer().polarity_scores(text)
    return Sentiment(scores["compound"], scores["pos"], scores["neu"], scores["neg"], word_valences(text))


def word_valences(text: str) -> list[WordScore]:
    """The per-token valences VADER sums (its `polarity_scores` loop, kept in step with it)."""
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentiText
    vader = analyzer()
    tokens = SentiText(text).words_and_emoticons
    sentiments: list[float] = []
    for i, token in enumerate(tokens):
        if token.lower() in BOOSTER_DICT or (token.lower() == "kind" and i + 1 < len(tokens)
                                             and tokens[i + 1].lower() == "of"):
            sentiments.append(0)
            continue
        sentiments = vader.sentiment_valence(0, SentiText(text), token, i, sentiments)
    sentiments = vader._but_check(tokens, sentiments)
    words, position = [], 0
    for token, valence in zip(tokens, sentiments):
        found = re.search(re.escape(token), text[position:], flags=re.IGNORECASE)
        if found is None:
            continue  # e.g. an emoji VADER replaced by its description: scored, not highlightable
        start = position + found.start()
        position = start + len(token)
        if valence:
            words.append(WordScore(text[start:position], start, position, float(valence)))
    return words
