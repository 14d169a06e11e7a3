"""The Meaning lab through AppTest: bundled search (meaning finds what keywords miss), zero-shot on
the documents with a download, few-shot teaching, the map, and bad document sets."""
from __future__ import annotations

import os

import pytest

from core.meaning import encoder as enc
from tests.pages.conftest import open_page, texts

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips

pytestmark = pytest.mark.skipif(not enc.available() and not IN_CI, reason=enc.missing_message())
PAGE = "pages/meaning_lab.py"


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def test_bundled_answers_search_by_meaning_beside_keywords():
    at = open_page(PAGE)
    no_exception(at)
    shown = "\n".join(table.value.to_csv() for table in at.table)
    assert "Delivery delayed" in shown or "Lost shipments" in shown      # found by meaning
    assert "No document shares a word" in texts(at.warning)             # BM25 finds nothing
    at.text_input(key="meaning_query").set_value("reset my password").run()
    no_exception(at)
    keywords = at.table[1].value
    assert "Resetting your password" in keywords["document"].iloc[0]


def test_zero_shot_labels_every_document_and_offers_a_download():
    at = open_page(PAGE)
    at.button(key="meaning_zs_batch").click().run()
    no_exception(at)
    table = [df.value for df in at.dataframe if "probability" in df.value.columns][0]
    assert len(table) == 10 and set(table["label"]) <= {"delivery", "refund", "account", "billing", "technical"}
    assert (table["label"] == "delivery").sum() >= 2
    assert any(b.label.startswith("Download the labels") for b in at.get("download_button"))
    at.text_input(key="meaning_labels").set_value("only one").run()
    assert "at least two labels" in texts(at.error)


def test_few_shot_teaching_on_the_help_desk_and_the_map():
    at = open_page(PAGE)
    at.radio(key="meaning_source").set_value("desk").run()
    no_exception(at)
    at.button(key="meaning_fs_train").click().run()
    no_exception(at)
    assert "refund" in texts(at.success)          # "Can I send the shoes back?"
    at.selectbox(key="meaning_map_pick").set_value(200).run()
    no_exception(at)
    at.radio(key="meaning_source").set_value("answers").run()   # 10 documents: the pick of 200 is dropped
    no_exception(at)
    assert len(at.selectbox(key="meaning_map_pick").options) == 10
    assert not [t for t in texts(at.markdown).split("\n") if "None" in t or "nan" in t]


def test_bad_document_sets_get_clear_messages():
    at = open_page(PAGE)
    at.radio(key="meaning_source").set_value("paste").run()
    at.text_area(key="meaning_paste").set_value("\n   \n").run()
    at.button(key="meaning_use_paste").click().run()
    no_exception(at)
    assert "Nothing was pasted" in texts(at.error)
    at.text_area(key="meaning_paste").set_value("我的包裹一直没有到\n退款什么时候到账\n我的包裹一直没有到").run()
    at.button(key="meaning_use_paste").click().run()
    no_exception(at)
    assert "do not look like English" in texts(at.warning)
    assert "1 duplicate document left out" in texts(at.caption)
    assert "These documents have no labels" in texts(at.info)
