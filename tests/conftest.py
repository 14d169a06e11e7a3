"""Every test gets its own empty data directory, so tests never see each other's runs."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The files that take longest (minutes each, measured in CI's own run), longest first. CI runs two
# processes that take whole files in collection order (.ci/run: --dist loadfile
# --no-loadscope-reorder): started first, they overlap the hundreds of quick tests, instead of one
# of them running alone at the end while the other process has nothing left to do.
LONGEST_FILES = [
    "tests/browser/test_journey.py",
    "tests/pages/test_llm_lab.py",
    "tests/pages/test_exposure.py",
    "tests/browser/test_soak_browser.py",
    "tests/pages/test_meaning_lab.py",
    "tests/pages/test_train.py",
    "tests/pages/test_audio_lab.py",
    "tests/pages/test_image_lab.py",
    "tests/browser/test_train_browser.py",
    "tests/browser/test_llm_lab_browser.py",
    "tests/pages/test_document_handoff.py",
    "tests/pages/test_scale.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FILES)}
    root = str(config.rootpath) + os.sep
    items.sort(key=lambda item: rank.get(str(item.path).removeprefix(root), len(rank)))  # stable: in-file order kept


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "studio-data"
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(path))
    from core.data import _load_cached
    _load_cached.cache_clear()  # cached datasets may come from another test's data directory
    return path


@pytest.fixture(scope="session")
def _models_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def pretrained_cache(data_dir, _models_cache):
    """Share converted pretrained models between tests: <data dir>/models -> one session folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    link = data_dir / "models"
    if not link.exists():
        link.symlink_to(_models_cache, target_is_directory=True)
    return link
