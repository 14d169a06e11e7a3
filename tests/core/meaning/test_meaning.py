"""Search, zero-shot, few-shot, maps and document checks of the Meaning lab, on real encoder output."""
from __future__ import annotations

import os

import numpy as np
import pytest

from core.meaning import documents, encoder as enc, fewshot, maps, search, zeroshot

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips

needs_encoder = pytest.mark.skipif(not enc.available() and not IN_CI, reason=enc.missing_message())

DOCS = ["Delivery delayed: your order is late and has not arrived yet.",
        "Resetting your password: use Forgot password on the sign-in page.",
        "Duplicate charges on your card are reimbursed within 3 days.",
        "The app closes unexpectedly: update to the latest version.",
        "Returns: send items back within 30 days with the prepaid label."]


@pytest.fixture(scope="module")
def encoder():
    return enc.load_encoder()


@needs_encoder
def test_meaning_finds_the_paraphrase_that_keywords_miss(encoder, tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(tmp_path))
    index = search.SemanticIndex.build(encoder, DOCS)
    keyword = search.BM25(DOCS)
    found = search.search_both(encoder, index, keyword, "my parcel never came", k=3)
    assert found["meaning"][0].text.startswith("Delivery delayed")
    assert all(not hit.text.startswith("Delivery delayed") for hit in found["keywords"])
    assert keyword.search("my parcel never came") == []          # no shared word at all
    assert keyword.search("password reset")[0].index == 1        # keywords do work on shared words
    # The index is stored and reused: the second build reads it, same vectors.
    again = search.SemanticIndex.build(encoder, DOCS)
    assert again.reused and not index.reused
    assert np.allclose(again.vectors, index.vectors)


@needs_encoder
def test_zero_shot_on_four_clearly_different_texts(encoder):
    labels = zeroshot.parse_labels("delivery, refund, password, weather")
    texts = ["Where is my package? It should have been here by now.", "I want my money back for this.",
             "I can't sign in, my login is rejected.", "It will rain and be windy tomorrow."]
    p = zeroshot.ZeroShot(encoder, labels).probabilities(texts)
    assert p.shape == (4, 4) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert list(p.argmax(1)) == [0, 1, 2, 3]
    assert (p.max(1) > 0.5).all()
    with pytest.raises(zeroshot.LabelError, match="at least two"):
        zeroshot.parse_labels("delivery, Delivery")


@needs_encoder
def test_few_shot_head_beats_the_from_scratch_model_at_8_per_label(encoder):
    docs = documents.support_documents()
    vectors = encoder.encode(docs.texts)
    points, n_test = fewshot.learning_curve(docs.texts, docs.labels, vectors, docs.groups, shots=(8,))
    (point,) = points
    assert point.examples == 8 * 5 and n_test >= 50
    assert point.pretrained >= point.from_scratch + 0.2, point
    assert point.pretrained >= 0.6


def test_bad_labels_are_refused_with_reasons():
    with pytest.raises(fewshot.FewShotError, match="two different labels"):
        fewshot.check_examples(["a", "a", "a"])
    with pytest.raises(fewshot.FewShotError, match="these have fewer: b"):
        fewshot.check_examples(["a", "a", "b"])


@needs_encoder
def test_the_map_has_one_point_per_document_and_neighbours_make_sense(encoder):
    docs = DOCS + ["My order hasn't arrived yet.", "I was billed twice this month."]
    vectors = encoder.encode(docs)
    for method in ("pca", "tsne"):
        assert maps.project(vectors, method).shape == (len(docs), 2)
    assert len(maps.clusters(vectors)) == len(docs)
    assert maps.neighbours(vectors, 5, k=1)[0][0] == 0    # the late order's nearest: delivery delayed
    assert maps.neighbours(vectors, 6, k=1)[0][0] == 2    # billed twice: duplicate charges
    assert maps.project(vectors[:1]).shape == (1, 2)


def test_document_sets_are_cleaned_and_bad_ones_refused():
    cleaned = documents.from_pasted("one\n\n  \ntwo\none\n")
    assert cleaned.texts == ["one", "two"]
    assert any("2 empty" in n for n in cleaned.notes) and any("1 duplicate" in n for n in cleaned.notes)
    with pytest.raises(documents.DocumentError, match="up to 20,000"):
        documents.clean("big", [f"row {i}" for i in range(200_000)])
    with pytest.raises(documents.DocumentError, match="no text column"):
        documents.csv_columns(b"id,price\n1,2.5\n2,3.0\n")
    with pytest.raises(documents.DocumentError, match="no documents"):
        documents.clean("x", ["", " "])
    latin1 = "text\ncaf\xe9 ferm\xe9 today\nna\xefve question\n".encode("cp1252")
    read = documents.from_csv("x.csv", latin1, "text")
    assert read.texts[0] == "café fermé today" and "not UTF-8" in read.notes[0]
    assert documents.support_documents().labels is not None


def test_mostly_not_english_is_noticed():
    assert documents.mostly_not_english(["我的包裹一直没有到", "退款什么时候到账"])
    assert documents.mostly_not_english(["Mi paquete nunca llegó, quiero saber dónde está el pedido"])
    assert not documents.mostly_not_english(["My parcel never came", "I forgot my password"])
