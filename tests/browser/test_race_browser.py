"""In a real browser: start an optimizer race, watch the first curves arrive, stop it."""
import pytest

from core.runs import RunStore

pytestmark = pytest.mark.browser


def test_launch_a_race_and_stop_it(app_url, page, tmp_path):
    page.goto(app_url + "/race")
    try:
        page.get_by_role("button", name="🏁 Start the race").click(timeout=60_000)
        # A deep link still gets the app's navigation (not Streamlit's listing of pages/).
        sidebar = page.get_by_test_id("stSidebarNav").inner_text()
        assert "Optimizer race" in sidebar and "common" not in sidebar, sidebar
        page.get_by_text("Validation loss by epoch").first.wait_for(timeout=60_000)
        # The first entrant's curve: wait until an epoch has been written, then look at the chart.
        store = RunStore()
        for _ in range(240):
            runs = store.list_runs()
            if any(len(store.metrics(r.id, "epoch")) for r in runs):
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(2500)  # the page polls once a second
        page.screenshot(path=str(tmp_path / "race-running.png"))
        assert len(store.list_runs()) == 5 and page.get_by_text("finished").count() >= 1
        page.get_by_role("button", name="⏹ Stop the race").click()
        page.get_by_text("Finished. Every entrant is also on the Runs page").wait_for(timeout=60_000)
        assert all(r.status in ("stopped", "completed") for r in store.list_runs())
    finally:
        page.screenshot(path=str(tmp_path / "race.png"), full_page=True)
