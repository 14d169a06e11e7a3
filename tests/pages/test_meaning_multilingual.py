"""The Meaning lab with its second encoder (#17 item 5): pick multilingual-e5-small, paste Chinese,
Spanish and German lines, and an English question finds its answer among them."""
from __future__ import annotations

import os

import pytest

from core.meaning import e5
from core.meaning import encoder as enc
from tests.pages.conftest import open_page, texts

IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif((not e5.available() or not enc.available()) and not IN_CI,
                                reason=e5.missing_message())
PAGE = "pages/meaning_lab.py"
LINES = "我的包裹一直没有送到，快递显示已签收。\n¿Cómo puedo restablecer mi contraseña?\nDie Rechnung wurde doppelt abgebucht."


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def test_the_multilingual_encoder_finds_other_languages_for_an_english_query():
    at = open_page(PAGE)
    assert at.selectbox(key="meaning_encoder").value == enc.KEY          # English MiniLM stays the default
    at.radio(key="meaning_source").set_value("paste").run()
    at.text_area(key="meaning_paste").set_value(LINES).run()
    at.button(key="meaning_use_paste").click().run()
    no_exception(at)
    assert "Pick multilingual-e5-small above" in texts(at.warning)
    at.selectbox(key="meaning_encoder").set_value(e5.KEY).run()
    no_exception(at)
    assert "do not look like English" not in texts(at.warning)
    for query, wanted in (("my parcel never arrived", "我的包裹"), ("I forgot my password", "contraseña"),
                          ("I was charged twice", "doppelt")):
        at.text_input(key="meaning_query").set_value(query).run()
        no_exception(at)
        assert wanted in at.table[0].value["document"].iloc[0], query
    assert "Few-shot teaching runs on all-MiniLM-L6-v2" in texts(at.info)
