"""core/ is the UI-free engine: it never imports streamlit, and its light modules never import TF."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import importlib, pkgutil, sys
import core
for module in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(module.name)
print("streamlit" in sys.modules)
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_no_core_module_imports_streamlit():
    assert _run(IMPORT_ALL) == "False"


def test_registries_and_run_store_do_not_import_tensorflow():
    code = ("import sys, core.data, core.runs, core.training, core.models, core.optim, core.params; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    assert _run(code) == "False"
