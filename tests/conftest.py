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
