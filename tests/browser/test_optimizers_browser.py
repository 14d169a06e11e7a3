"""In a real browser: the optimizer playground draws the paths and plays their animation."""
import pytest

pytestmark = pytest.mark.browser


def test_play_the_optimizer_animation(app_url, page, tmp_path):
    page.goto(app_url + "/optimizers")
    try:
        page.get_by_text("steps to the minimum").first.wait_for(timeout=120_000)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
        step_label = page.locator("text=/^step \\d+$/").first  # Plotly's slider label, an SVG text
        step_label.wait_for(timeout=30_000)
        assert step_label.text_content().strip() == "step 150"   # drawn at the end, all paths shown
        page.get_by_text("▶ Play").first.click()
        page.wait_for_timeout(1500)
        playing = step_label.text_content().strip()
        assert playing != "step 150", playing                  # the animation is running
        # ...and ends on the last step (about 6 s; longer when the machine is busy, so poll).
        page.wait_for_function("() => [...document.querySelectorAll('text')].some(t => t.textContent.trim() === 'step 150')",
                               timeout=60_000)
        # The surface stays drawn while the paths move (Plotly drops some trace types when animating).
        assert page.locator(".heatmaplayer image, .hm image").count() >= 1, "the surface vanished"
    finally:
        page.screenshot(path=str(tmp_path / "optimizers.png"), full_page=True)
