"""core/ is the UI-free engine: it never imports streamlit, and its light modules never import TF.

Each check runs in a fresh interpreter: this test process has long since imported everything.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import importlib, pkgutil, sys
import core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
for name in names:
    importlib.import_module(name)
print(len(names), sorted(names))
print("streamlit" in sys.modules, sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")[:5])
"""


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def test_no_core_module_imports_streamlit():
    walked, streamlit = _run(IMPORT_ALL)[-2:]
    count = int(walked.split()[0])
    # The walk really reached the subpackages (an empty walk would pass vacuously).
    for name in ("core.runs", "core.data.uploads", "core.models.architectures", "core.training.runner",
                 "core.train"):
        assert f"'{name}'" in walked, name
    assert count >= 20, walked
    assert streamlit.startswith("False"), streamlit


def test_registries_and_run_store_do_not_import_tensorflow():
    code = ("import sys, core.data, core.runs, core.training, core.models, core.optim, core.params; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))[:5])")
    assert _run(code)[-1] == "[]"
