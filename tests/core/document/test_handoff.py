"""The Document Lab's text made ready for the Meaning lab (rows) and the language model (a summary
prompt that fits its context, the instruction kept, whole rows only, and a note when cut)."""
from __future__ import annotations

import os

import pytest

from core.document.handoff import HEADER, SUMMARY_INSTRUCTION, search_rows, summary_prompt
from core.llm import available as llm_available

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips

PAGE = "INVOICE  No. INV-2024-0815\n\n  Northwind Trading Ltd  \nTotal ¥1,250.00\n"


def words(text: str) -> int:
    """A stand-in tokenizer: one token per word (the real one is used in the next test)."""
    return len(text.split())


def test_rows_are_the_page_lines_without_blanks():
    assert search_rows(PAGE) == ["INVOICE  No. INV-2024-0815", "Northwind Trading Ltd", "Total ¥1,250.00"]
    assert search_rows(" \n\n") == []


def test_a_short_document_is_kept_whole_before_the_instruction():
    prompt, notes = summary_prompt(PAGE, words, frame_tokens=20)
    assert prompt == "Document:\n" + "\n".join(search_rows(PAGE)) + "\n\n" + SUMMARY_INSTRUCTION and notes == []


def test_a_long_document_keeps_its_first_rows_and_says_so():
    page = "\n".join(f"line {i} of the notice" for i in range(400))   # 5 words a row: 2,000 "tokens"
    prompt, notes = summary_prompt(page, words, frame_tokens=20, context=1024, answer=128)
    assert prompt.startswith(HEADER + "line 0 of the notice\n") and prompt.endswith("\n\n" + SUMMARY_INSTRUCTION)
    kept = prompt.count("\n") - 2
    assert words(prompt) + 20 + 128 <= 1024 and words(prompt) + 5 + 20 + 128 > 1024  # as many rows as fit
    assert notes == [f"The document's first {kept:,} of 400 lines were kept: with room for the answer, the whole "
                     "text would not fit the language model's context window (1,024 tokens)."]


def test_without_a_tokenizer_the_whole_text_goes_on():
    page = "\n".join(f"row {i}" for i in range(3000))
    prompt, notes = summary_prompt(page)
    assert prompt.endswith("row 2999\n\n" + SUMMARY_INSTRUCTION) and notes == []


@pytest.mark.skipif(not llm_available() and not IN_CI, reason="the language model is not installed "
                    "(requirements-models.txt)")
def test_the_real_tokenizer_fits_a_chinese_page():
    """Chinese costs the model's tokenizer several tokens a character: the fit is measured, not guessed.
    Skipped only where the model package is missing outside CI; any other error fails it."""
    from core.llm.lab import CONTEXT, load_tokenizer
    tokenizer = load_tokenizer()
    count = lambda s: len(tokenizer.encode(s))  # noqa: E731
    frame = len(tokenizer.chat_ids([{"role": "user", "content": ""}]))
    page = "\n".join(f"第{i}行：因管道维修，本楼将于2024年6月8日停水。" for i in range(200))
    prompt, notes = summary_prompt(page, count, frame, context=CONTEXT)
    assert prompt.startswith(HEADER + "第0行") and prompt.endswith(SUMMARY_INSTRUCTION) and notes
    assert len(tokenizer.chat_ids([{"role": "user", "content": prompt}])) <= CONTEXT - 128
