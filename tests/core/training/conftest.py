"""Fixtures of the training tests."""
import os
import signal

import pytest

from core.runs import RunStore


@pytest.fixture(autouse=True)
def reap_runners(data_dir):
    """Whatever a test does, no runner process it launched outlives it."""
    yield
    if not (data_dir / "runs.sqlite").exists():  # e.g. a test of an unwritable data directory
        return
    for run in RunStore(data_dir / "runs.sqlite").list_runs():
        if run.pid and run.pid != os.getpid() and run.status in ("queued", "running"):
            try:
                os.kill(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
