"""The Document Lab through AppTest: a bundled example read by the real OCR model, its fields, its
downloads, an upload (a PDF), bad files and a blank page, and the text sent on to the Text Lab."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests.pages.conftest import open_page, texts

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/document_lab.py"


def frame(at, column: str):
    """The dataframe that has `column`, as a pandas frame."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_example_is_read_with_its_fields_and_downloads():
    at = open_page(PAGE)
    assert "Pick an example above" in texts(at.info)
    at.button(key="example-receipt-photographed").click().run()
    assert not at.exception, at.exception
    lines = frame(at, "Text")
    assert "R-58213" in " ".join(lines["Text"]) and all(c.endswith("%") for c in lines["Confidence"])
    fields = frame(at, "Field")
    total = fields[fields["Field"] == "Total"]
    assert list(total["Value"]) == ["¥57.80"] and total["Box"].iloc[0].count("→") == 1
    assert {m.label for m in at.metric} >= {"Detection", "Direction", "Recognition", "Whole page"}
    assert all("s" in m.value for m in at.metric)  # formatted seconds, never a raw float
    shown = "\n".join(texts(at.get(kind)) for kind in ("markdown", "caption", "info", "code"))
    assert "None" not in shown and "nan" not in shown.split()
    assert "R-58213" in at.code[0].value
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["⬇️ Text (.txt)", "⬇️ Boxes (.json)", "⬇️ Fields (.csv)"]


def test_an_uploaded_pdf_is_read():
    from core.document.ocr import normalise
    buffer = io.BytesIO()
    Image.open(ROOT / "assets" / "documents" / "notice.png").convert("RGB").save(buffer, format="PDF", resolution=150)
    at = open_page(PAGE)
    at.file_uploader(key="document_upload").set_value(("notice.pdf", buffer.getvalue(), "application/pdf")).run()
    assert not at.exception, at.exception
    text = normalise(at.code[0].value)
    assert normalise("Water Supply Notice") in text and "停水通知" in text
    assert "Facilities@harbourview.org".lower() in list(frame(at, "Field")["Value"])


def test_bad_files_and_a_blank_page_are_said_plainly():
    at = open_page(PAGE)
    at.file_uploader(key="document_upload").set_value(("locked.pdf", b"%PDF-1.4\nbroken", "application/pdf")).run()
    assert "locked.pdf** cannot be used: this PDF is broken" in texts(at.error)
    at.file_uploader(key="document_upload").set_value(("blank.png", png(np.full((600, 500, 3), 252, np.uint8)),
                                                       "image/png")).run()
    assert not at.exception and not at.error
    assert "No text found on this page" in texts(at.warning)


def test_a_huge_scan_is_scaled_down_with_a_note():
    at = open_page(PAGE)
    scan = io.BytesIO()
    Image.new("1", (10000, 10000), 1).save(scan, format="PNG")
    at.file_uploader(key="document_upload").set_value(("huge.png", scan.getvalue(), "image/png")).run()
    assert not at.exception and "10,000x10,000 pixels" in texts(at.info)
    assert "No text found on this page" in texts(at.warning)


def test_the_text_goes_on_to_the_text_lab():
    at = open_page(PAGE)
    at.button(key="example-notice-clean").click().run()
    at.button(key="send_text_lab").click().run()
    assert not at.exception, at.exception
    title, text_input = at.session_state["text"]
    assert title.startswith("Read from") and "Water Supply Notice" in text_input.text
    assert "2 · Sentiment: two readers" in texts(at.subheader)  # the Text Lab, analysing it
