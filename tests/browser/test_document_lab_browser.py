"""In a real browser: upload a photographed invoice to the Document Lab and read its total and number."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
INVOICE = Path(__file__).resolve().parents[2] / "assets" / "documents" / "invoice_photo.jpg"


def test_upload_a_scan_and_read_its_fields(app_url, page, tmp_path):
    scan = tmp_path / "scan.jpg"
    shutil.copy(INVOICE, scan)
    page.goto(app_url + "/document_lab")
    page.get_by_role("tab", name="⬆️ Upload").click(timeout=60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(scan))
    page.get_by_text("4 · Fields").wait_for(timeout=180_000)  # the page read by PP-OCRv4 on the CPU
    fields = page.locator('[data-testid="stDataFrame"]').last
    fields.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the grid draws its cells after the frame appears
    # The data grid draws on a canvas; its cells are also in an accessible table the browser can read.
    cells = fields.locator('[role="gridcell"]').all_inner_texts()
    assert "INV-2024-0815" in cells and "$2,416.80" in cells, cells[:40]
    assert "INV-2024-0815" in page.locator('[data-testid="stCode"]').inner_text()
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    page.screenshot(path=str(shots / "document-lab.png"), full_page=True)
