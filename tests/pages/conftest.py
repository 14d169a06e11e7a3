import json
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


def figures(at) -> list[dict]:
    """Every Plotly chart on the page, read as data. Its spec is JSON text whose escaping depends on
    the encoder Plotly found (orjson writes “ as it is, the json module writes \\u201c), so a test
    never matches that text: it parses it."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def strings(value) -> list[str]:
    """Every string inside a parsed figure (titles, axis titles, trace names, hover text, labels)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def title(figure: dict) -> str:
    heading = figure.get("layout", {}).get("title", "")
    return heading.get("text", "") if isinstance(heading, dict) else str(heading)


def chart_texts(at) -> list[str]:
    """Per chart, its strings joined: what a person can read on it."""
    return ["\n".join(strings(figure)) for figure in figures(at)]


def chart_text(at) -> str:
    return "\n".join(chart_texts(at))
