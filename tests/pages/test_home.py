import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_renders_and_links_every_page():
    at = AppTest.from_file("../../app.py", default_timeout=30).run()
    assert not at.exception
    assert "Model Studio" in at.title[0].value
    links = {link.label for link in at.get("page_link")}
    assert {"Open the training page", "Open the runs page"} <= links
    assert "No runs yet" in at.info[0].value


def test_home_page_does_not_import_tensorflow():
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file('app.py', default_timeout=30).run(); "
            "assert not at.exception, at.exception; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"
