"""The Text Lab's ready-made answers held by an evaluation set: tests/evals/text_business.csv, 60
business sentences written apart from the training data (reviews, complaint e-mails, chat messages,
internal notes), each with its expected sentiment and topic and the reason for them: negation,
complaints in polite words, good news told in negative words, mixed feelings, plain questions.

The floors are what the bundled models reach (written in their model cards and the README); a
regression below them is red. VADER, the word-counting baseline, is measured on the same sentences
and must stay clearly behind: that gap is the reason the encoder model is the Text Lab's answer.
"""
import csv
from pathlib import Path

import numpy as np
import pytest

from core.catalog import CATALOG, load_model

EVAL = Path(__file__).resolve().parents[2] / "evals" / "text_business.csv"
# Measured 2026-12-07. Main before this eval set answered with VADER (19 of 60, 31.7 %) and the
# fortune-cookie topic model (0 of 60: its topics are not a business's): both far below the floors.
SENTIMENT_FLOOR = 0.85   # the e5 head: 55 of 60 (91.7 %)
TOPIC_FLOOR = 0.95       # the MiniLM head: 58 of 60 (96.7 %)
VADER_BEHIND_BY = 0.40   # VADER 19 of 60 (31.7 %): no "mixed", and it misreads the hard cases


def rows() -> list[dict]:
    with open(EVAL, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def accuracy(classifier, texts, truth) -> tuple[float, list]:
    p = classifier.predict_batch(texts)
    answers = [classifier.class_names[i] for i in p.argmax(axis=1)]
    misses = [(t, want, got) for t, want, got in zip(texts, truth, answers) if want != got]
    return 1 - len(misses) / len(texts), misses


def needs(key: str):
    available = CATALOG[key].is_available()
    return pytest.mark.skipif(not available, reason=f"{key} is not installed (requirements-models.txt)")


def test_the_eval_set_is_what_its_docstring_says():
    table = rows()
    assert len(table) >= 60 and all(r["reason"].strip() for r in table)
    assert {r["sentiment"] for r in table} == {"positive", "negative", "neutral", "mixed"}
    assert {r["topic"] for r in table} == set(load_topics())
    training = {r["text"].strip().lower() for r in csv.DictReader(
        open(Path(__file__).resolve().parents[3] / "assets" / "samples" / "business_texts.csv", encoding="utf-8"))}
    assert not [r["text"] for r in table if r["text"].strip().lower() in training]  # held out: no copies


def load_topics() -> list[str]:
    import json
    meta = Path(__file__).resolve().parents[3] / "assets" / "models" / "business_topics.json"
    return json.loads(meta.read_text(encoding="utf-8"))["classes"]


@needs("business_sentiment")
def test_sentiment_on_the_business_eval_set():
    table = rows()
    score, misses = accuracy(load_model("business_sentiment"), [r["text"] for r in table],
                             [r["sentiment"] for r in table])
    assert score >= SENTIMENT_FLOOR, misses


@needs("business_topics")
def test_topics_on_the_business_eval_set():
    table = rows()
    score, misses = accuracy(load_model("business_topics"), [r["text"] for r in table], [r["topic"] for r in table])
    assert score >= TOPIC_FLOOR, misses


@needs("business_sentiment")
def test_the_encoder_model_is_well_ahead_of_vader_on_the_same_sentences():
    from core.text.sentiment import score
    table = rows()
    texts, truth = [r["text"] for r in table], [r["sentiment"] for r in table]
    vader = float(np.mean([score(t).label == want for t, want in zip(texts, truth)]))
    model, _ = accuracy(load_model("business_sentiment"), texts, truth)
    assert model >= vader + VADER_BEHIND_BY, (model, vader)
