"""In a real browser: type a text into the Text Lab, see its sentiment, topic and translation."""
import pytest

pytestmark = pytest.mark.browser


def idle(page):
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)


def test_type_a_text_and_see_sentiment_topic_and_translation(app_url, page, tmp_path):
    page.goto(app_url + "/text_lab")
    try:
        page.get_by_role("tab", name="⌨️ Type or paste").click(timeout=60_000)
        page.get_by_label("Your text").fill("I love this laptop, but the software keeps crashing "
                                            "with a terrible bug in the program.")
        idle(page)
        page.get_by_role("button", name="Analyse").click()
        page.get_by_text("Each word's part in VADER").first.wait_for(timeout=60_000)
        answer = page.get_by_text("It reads:")
        answer.wait_for(timeout=120_000)  # first use imports TensorFlow and loads the topic model
        assert "technical" in answer.inner_text().lower(), answer.inner_text()  # the business topics
        page.get_by_text("Encoder verdict").first.wait_for(timeout=60_000)  # the pretrained sentiment beside VADER
        idle(page)
        # The fortune Transformer, trained from scratch, draws its attention map.
        page.get_by_role("combobox", name="Model").click()
        page.get_by_role("option", name="Fortune-cookie topics (Transformer trained from scratch: the comparison)").click()
        page.get_by_text("Block 1, average of all heads").first.wait_for(timeout=120_000)  # attention map
        assert "computers" in page.get_by_text("It reads:").inner_text().lower()
        idle(page)
        page.get_by_role("button", name="forty two").click()
        page.get_by_role("heading", name="cuarenta y dos").wait_for(timeout=60_000)
        page.get_by_text("Where it looked").first.wait_for(timeout=30_000)
    finally:
        page.screenshot(path=str(tmp_path / "text-lab.png"), full_page=True)
