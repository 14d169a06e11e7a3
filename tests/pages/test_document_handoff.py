"""The Document Lab's hand-offs through AppTest: the text read from a page opens the Meaning lab's
search (its lines as the document set) and the Language Model Lab's prompt (the text, then
"Summarise this document in two sentences."); each receiving page says where its text came from,
and its own examples take over again."""
from __future__ import annotations

import pytest

from tests.pages.conftest import open_page, texts

PAGE = "pages/document_lab.py"
SOURCE = "Bilingual notice (clean scan)"


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


def send_notice(button: str, page: str, timeout: float = 120):
    """Read the bundled notice, click `button`: the run that follows draws `page`."""
    at = open_page(PAGE)
    at.button(key="example-notice-clean").click().run()
    no_exception(at)
    at.button(key=button).click().run(timeout=timeout)
    no_exception(at)
    return at.switch_page(page)   # AppTest reruns its own page, not the one the app switched to


def test_the_lines_open_the_meaning_lab_search(pretrained_cache):
    from core.meaning import encoder as enc
    if not enc.available():
        pytest.skip(enc.missing_message())
    at = send_notice("send_meaning", "pages/meaning_lab.py")
    assert at.radio(key="meaning_source").value == "document"
    assert f"lines the **Document Lab** read from **{SOURCE}**" in texts(at.info)
    assert f"lines read from {SOURCE}" in texts(at.caption)
    at.text_input(key="meaning_query").set_value("when will the water be cut off").run()
    no_exception(at)
    by_meaning = at.table[0].value["document"]
    assert "water will be off on 8 June 2024" in by_meaning.iloc[0]
    assert all(text in at.session_state["meaning_documents"].texts for text in by_meaning)  # only the page's lines
    at.radio(key="meaning_source").set_value("answers").run()    # back to the bundled examples
    no_exception(at)
    assert "Document Lab" not in texts(at.info)
    assert "help-centre answers (bundled)" in texts(at.caption)
    assert at.radio(key="meaning_source").options[-1] == "📄 From the Document Lab"  # still one click away


@pytest.mark.slow
def test_the_text_opens_the_language_model_lab_with_a_summary_prompt(pretrained_cache):
    from core.llm import available
    if not available():
        pytest.skip("the language model package (requirements-models.txt) is not installed")
    at = send_notice("send_llm", "pages/llm_lab.py", timeout=600)   # the first visit converts and compiles the model
    prompt = at.text_area(key="llm_prompt").value
    assert prompt.startswith("Document:\n停水通知\nWater Supply Notice")
    assert prompt.endswith("2024-06-01\n\nSummarise this document in two sentences.")
    assert "facilities@harbourview.org" in prompt.lower()
    assert f"the text the **Document Lab** read from **{SOURCE}**" in texts(at.info)
    at.button(key="llm-example-0").click().run()                   # back to the business prompts
    no_exception(at)
    assert at.text_area(key="llm_prompt").value.startswith("Summarise this email")
    assert "Document Lab" not in texts(at.info)
