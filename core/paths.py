"""Where Model Studio keeps its state: one data directory, git-ignored, configurable."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
DATA_DIR_ENV = "MODEL_STUDIO_DATA"


def data_dir() -> Path:
    """The data directory: `$MODEL_STUDIO_DATA`, else `<project>/data`. Created on first use."""
    path = Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    path = data_dir() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def uploads_dir() -> Path:
    path = data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id
