"""In a real browser: launch a small run on the Train page and see its curve appear and finish."""
import pytest

pytestmark = pytest.mark.browser


def test_launch_run_and_see_curves(app_url, page, tmp_path):
    page.goto(app_url + "/train")
    page.get_by_role("button", name="🚀 Launch").click(timeout=90_000)  # first load imports TensorFlow
    # A deep link on a fresh server still gets the app's navigation (not Streamlit's pages/ listing).
    sidebar = page.get_by_test_id("stSidebarNav").inner_text()
    assert "Train a model" in sidebar and "common" not in sidebar, sidebar
    page.get_by_text("Current run").wait_for(timeout=30_000)
    # The live panel draws the loss curve with a 'validation' trace once the first epoch ends.
    loss_chart = page.locator(".js-plotly-plot").filter(has_text="Loss").filter(has_text="validation")
    loss_chart.first.wait_for(timeout=120_000)
    page.get_by_text("Test accuracy").wait_for(timeout=120_000)
    page.screenshot(path=str(tmp_path / "train-run.png"), full_page=True)
    body = page.inner_text("body")
    assert "completed" in body
    accuracy = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert accuracy.endswith("%") and float(accuracy.rstrip("%")) > 50, accuracy
