"""The soak, short: two runs training, a third queued, three browser sessions polling their curves.
The 10-minute version is `python benchmarks/soak.py`."""
import os

import pytest

from tests.browser.conftest import CHROMIUM


def test_two_runs_a_queue_and_three_sessions_lose_nothing(tmp_path, monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from benchmarks.soak import soak
    monkeypatch.setenv("MODEL_STUDIO_MAX_RUNS", "2")
    report = soak(minutes=0.75, out_dir=tmp_path)
    assert report["problems"] == [], report
    assert report["most_running_at_once"] == 2 and report["third_waited_while_two_ran"]
    assert report["statuses"] == ["stopped", "stopped", "stopped"]
    assert all(report[f"run {i}"]["epochs"] >= 1 for i in (1, 2, 3))
