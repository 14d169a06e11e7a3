"""Every test gets its own empty data directory, so tests never see each other's runs."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
