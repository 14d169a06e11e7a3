"""The text of a page read in the Document Lab, made ready for the other labs (UI-free):

    search_rows(text)                       # the page's rows: a document set the Meaning lab searches
    summary_prompt(text, count, frame)      # the text, then "Summarise this document ...", fitting the context

The instruction comes after the document: SmolLM2-135M given "Summarise this document:" and then the
bundled notice repeated "Water Supply Notice: 2024-06-01" until its token limit; with the document
first and the instruction last it wrote a summary ("A Water Supply Notice is being issued to address
water supply issues..."). The language model reads at most its context window (prompt + answer) and
the Language Model Lab keeps the *end* of a prompt that is too long (the instruction stays); the
document is cut here anyway, a whole row at a time, so the cut falls between lines and a note says
how much of it was kept.
"""
from __future__ import annotations

from typing import Callable

HEADER = "Document:\n"
SUMMARY_INSTRUCTION = "Summarise this document in two sentences."
CONTEXT_TOKENS = 1024     # core.llm.lab.CONTEXT, not imported: that module is the language model's
ANSWER_TOKENS = 128       # left for the answer: the Language Model Lab's default (96) with some margin


def search_rows(text: str) -> list[str]:
    """One document per row of the page (boxes of a row already joined), blank rows left out."""
    return [row.strip() for row in text.splitlines() if row.strip()]


def summary_prompt(text: str, count_tokens: Callable[[str], int] | None = None, frame_tokens: int = 0,
                   context: int = CONTEXT_TOKENS, answer: int = ANSWER_TOKENS) -> tuple[str, list[str]]:
    """The prompt and its notes. `count_tokens` counts a text's tokens with the model's tokenizer;
    `frame_tokens` is what the chat template adds. Without a counter the whole text is kept (the
    lab then cuts and says so itself)."""
    rows = search_rows(text)
    if count_tokens is None:
        return _prompt(rows), []
    budget = context - answer - frame_tokens - count_tokens(HEADER + "\n\n" + SUMMARY_INSTRUCTION)
    kept, used = 0, 0
    for row in rows:
        cost = count_tokens(row + "\n")
        if used + cost > budget:
            break
        kept, used = kept + 1, used + cost
    if kept == len(rows):
        return _prompt(rows), []
    kept = max(kept, 1)   # a single row longer than the context: the lab keeps its end and says so
    return _prompt(rows[:kept]), [
        f"The document's first {kept:,} of {len(rows):,} lines were kept: with room for the answer, the whole "
        f"text would not fit the language model's context window ({context:,} tokens)."]


def _prompt(rows: list[str]) -> str:
    return HEADER + "\n".join(rows) + "\n\n" + SUMMARY_INSTRUCTION
