import time

import pytest

from core.runs import RunStore

PAGE_TIMEOUT = 120  # the first page that builds a model imports TensorFlow (about 9 s)


def wait_for_run(run_id: str, timeout: float = 120) -> "Run":
    store = RunStore()
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = store.get_run(run_id)
        if not run.is_active:
            return run
        time.sleep(0.5)
    pytest.fail(f"run {run_id} still {run.status} after {timeout} s")


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def open_page(page: str):
    """Run the real app (navigation included) and switch to `page`, e.g. 'pages/train.py'."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("../../app.py", default_timeout=PAGE_TIMEOUT)
    return at.switch_page(page).run()
