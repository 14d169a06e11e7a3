"""Every test gets its own empty data directory, so tests never see each other's runs; nothing a
test reads comes from the machine's own settings (the shell's variables, ~/.keras, ./data)."""
import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Before any fixture, so a module-scoped one (a model loaded once per file) converts into a folder of
# this test process, never into the project's ./data, where a stale copy of another version may lie.
os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="studio-session-")
atexit.register(shutil.rmtree, os.environ["MODEL_STUDIO_DATA"], ignore_errors=True)
# Keras reads its backend and float type from ~/.keras/keras.json or the shell: the tests want Keras' own.
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras-home-")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], ignore_errors=True)
# Settings a person may have exported for the app: the tests assume the studio's defaults.
MACHINE_SETTINGS = ("MODEL_STUDIO_MAX_RUNS", "MODEL_STUDIO_CHECKPOINT_SECONDS", "MODEL_STUDIO_FASHION_MNIST",
                    "TF_CONFIG")
for name in MACHINE_SETTINGS:
    os.environ.pop(name, None)


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
