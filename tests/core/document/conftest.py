"""The bundled examples, read once per test session by the real PP-OCRv4 model (a few seconds each)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCUMENTS = Path(__file__).resolve().parents[3] / "assets" / "documents"
NAMES = ("invoice", "receipt", "notice")


def truth(name: str) -> dict:
    return json.loads((DOCUMENTS / f"{name}.json").read_text(encoding="utf-8"))


class Readings(dict):
    """(name, "clean" | "photographed") -> (Document, Reading), each example read when first asked for."""

    def __missing__(self, key):
        from core.document.io import read_document
        from core.document.ocr import load_reader
        name, kind = key
        document = read_document((DOCUMENTS / truth(name)["files"][kind]).read_bytes())
        self[key] = (document, load_reader().read(document.pages[0]))
        return self[key]

    def every(self):
        return {(name, kind): self[name, kind] for name in NAMES for kind in ("clean", "photographed")}


@pytest.fixture(scope="session")
def readings():
    return Readings()
