"""The model catalogue: one entry per ready-made model, one source per key prefix, no import circles."""
import ast
from pathlib import Path

import pytest

from core import catalog
from core.catalog import CATALOG, list_models, load_model, task_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_lab_lists_its_ready_made_models_first():
    for task in ("image", "audio", "text"):
        models = list_models(task)
        assert models and models[0].source in ("pretrained", "bundled") and models[0].task == task
        assert all(CATALOG[m.key].task == task for m in models if m.key in CATALOG)
    assert task_of("efficientnet_lite0_imagenet") == "image" and task_of("keyword_spotter") == "audio"


def test_an_unknown_key_names_the_keys_that_exist():
    with pytest.raises(KeyError, match="efficientnet_lite0_imagenet"):
        load_model("no-such-model")


def test_a_pretrained_card_is_measured_on_the_converted_model(pretrained_cache):
    entry = CATALOG["efficientnet_lite0_imagenet"]
    classifier = load_model(entry.key)
    card = entry.card()
    assert card["parameters"] == f"{classifier.model.count_params():,}"  # counted, not typed in
    assert card["number of classes"] == len(classifier.class_names) == 1000
    assert card["file size"].endswith("MB") and "ImageNet" in card["trained on"]


def test_entries_name_functions_that_exist():
    for entry in CATALOG.values():
        for name in (entry.loader, entry.available_fn, entry.card_fn, entry.convert_fn, entry.preprocess_fn,
                     entry.labels_fn, entry.label_help_fn):
            if name:
                assert callable(catalog.resolve(name)), name
    for name in catalog.TASKS.values():
        assert callable(catalog.resolve(name)), name


def _imports(path: Path, name: str) -> set[str]:
    """Modules of core the module `name` (at `path`) imports, at its top or inside its functions
    (both count: a lazy import that closes a circle still ties the two modules together), relative
    imports ("from .lm import x") resolved against its package."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
            module = f"{base}.{node.module}" if node.module else base
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("core"))
    return found


def test_imports_are_found_relative_and_lazy(tmp_path):
    module = tmp_path / "quantize.py"
    module.write_text("from .lm import a\nfrom . import tasks\n\ndef f():\n    from ..data import uploads\n"
                      "    import core.runs\n", encoding="utf-8")
    assert _imports(module, "core.llm.quantize") >= {"core.llm.lm", "core.llm.tasks", "core.data.uploads", "core.runs"}


def test_core_has_no_import_circle():
    modules = {}
    for path in (ROOT / "core").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    def with_packages(module):  # importing core.a.b runs core/a/__init__.py first
        parts = module.split(".")
        return {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
    graph = {name: {m for imported in _imports(path, name) for m in with_packages(imported)
                    if m in modules and m != name and not name.startswith(m + ".")}
             for name, path in modules.items()}

    def visit(node, trail):
        if node in trail:
            return trail[trail.index(node):] + [node]
        for nxt in graph[node]:
            cycle = visit(nxt, trail + [node])
            if cycle:
                return cycle
        return None
    for start in graph:
        cycle = visit(start, [])
        assert cycle is None, " -> ".join(cycle)
