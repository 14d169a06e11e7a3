"""In a real browser: search the bundled help-centre answers by meaning, beside keyword search."""
import os

import pytest

from core.meaning import encoder as enc

IN_CI = os.environ.get("CI", "").lower() == "true"  # .ci/run: a missing model package fails, never skips

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not enc.available() and not IN_CI, reason=enc.missing_message())]


def idle(page):
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=120_000)


def test_a_question_in_other_words_finds_its_answer(app_url, page, tmp_path):
    page.goto(app_url + "/meaning_lab")
    try:
        # First use converts the encoder into the (fresh) data directory and encodes the answers.
        # Wait for the search box itself: the intro's "search by meaning" is on the page from the start.
        box = page.get_by_role("textbox", name="Search")
        box.wait_for(timeout=240_000)
        page.get_by_text("Query encoded in").first.wait_for(timeout=120_000)  # the default query's answers
        idle(page)
        box.fill("I was charged twice")
        box.press("Enter")
        page.get_by_text("Query encoded in").first.wait_for(timeout=60_000)
        idle(page)
        meaning = page.locator('[data-testid="stTable"]').first
        meaning.wait_for(timeout=60_000)
        # The page shows the default query's answers first: wait for this query's, not the text of the last.
        from playwright.sync_api import expect
        expect(meaning.locator("tbody tr").first).to_contain_text("Duplicate charges", timeout=60_000)
        assert "No document shares a word with the query" in page.content()  # keywords found nothing
    finally:
        page.screenshot(path=str(tmp_path / "meaning-lab.png"), full_page=True)
