"""In a real browser: ask the Language Model Lab a question and read the streamed answer; Stop an
answer mid-way and see it stop."""
import os
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOAD_MS = 600_000   # a fresh server converts the model (once per data directory) and compiles it


def idle(page, timeout=LOAD_MS):
    # running = the status widget offers "Stop" (it may also just say a file changed)
    page.locator('[data-testid="stStatusWidget"]', has_text="Stop").wait_for(state="detached", timeout=timeout)


@pytest.fixture
def model_installed():
    from core.llm import available
    if not available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must install requirements-models.txt (the language model)")
        pytest.skip("the language model package (requirements-models.txt) is not installed")


def test_ask_a_question_read_the_streamed_answer_then_stop_one(model_installed, pretrained_cache, app_url, page,
                                                               tmp_path):
    page.goto(app_url + "/llm_lab")
    try:
        page.get_by_role("tab", name="💬 Ask it").wait_for(timeout=LOAD_MS)
        idle(page)
        page.get_by_label("Your prompt").fill("What is the capital of France?")
        page.get_by_role("button", name="Ask", exact=True).click()
        page.get_by_text("Tokens per second").first.wait_for(timeout=120_000)
        idle(page, 120_000)
        # the prompt does not say "Paris": only the streamed answer can
        page.get_by_test_id("stMain").get_by_text(re.compile("Paris")).first.wait_for(timeout=10_000)

        # A long answer, stopped while it is being written: the page says so and keeps what it wrote.
        page.get_by_label("Your prompt").fill("Write a long story about a lighthouse keeper and a storm.")
        page.get_by_role("button", name="Ask", exact=True).click()
        page.get_by_text("Writing…").first.wait_for(timeout=60_000)   # tokens are arriving
        page.get_by_role("button", name="⏹ Stop").first.click()
        stopped = page.get_by_text(re.compile(r"Stopped after \d+ tokens"))
        stopped.wait_for(timeout=60_000)
        count = int(re.search(r"after (\d+) tokens", stopped.inner_text()).group(1))
        assert 0 < count < 96, count   # 96: the longest answer allowed by default
    finally:
        page.screenshot(path=str(tmp_path / "llm-lab.png"), full_page=True)
