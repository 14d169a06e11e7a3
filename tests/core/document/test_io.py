"""Reading files as documents: every common image, a PDF's first pages, and every bad file refused in words."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.document.io import MAX_SIDE, DocumentError, read_document


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


PAGE = Image.fromarray(np.tile(np.linspace(0, 255, 120, dtype=np.uint8), (80, 1))).convert("RGB")
NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_common_images_decode_to_rgb(fmt):
    document = read_document(encoded(PAGE, fmt))
    assert document.kind == "image" and document.pages[0].shape == (80, 120, 3) and not document.notes


def pdf(pages: int = 1, **save) -> bytes:
    """A real PDF (Pillow writes one page per image)."""
    images = [PAGE.resize((600, 800)) for _ in range(pages)]
    return encoded(images[0], "PDF", save_all=True, append_images=images[1:], resolution=150, **save)


def test_a_pdf_is_rendered_at_150_dpi_first_pages_only():
    document = read_document(pdf(5))
    assert document.kind == "PDF" and document.page_count == 5 and len(document.pages) == 3
    assert document.pages[0].shape[:2] == (800, 600)  # 4x5.3 inches at 150 dpi
    assert "first 3 were read" in document.notes[0]


def test_a_10000_pixel_scan_is_scaled_down_with_a_note():
    scan = encoded(Image.new("1", (10000, 10000), 1), "PNG")
    document = read_document(scan)
    assert document.pages[0].shape == (MAX_SIDE, MAX_SIDE, 3)
    assert "10,000x10,000 pixels" in document.notes[0] and "scaled down" in document.notes[0]


@pytest.mark.parametrize("data, phrase", [
    (b"", "0 bytes"),
    (b"just some words, not an image" * 10, "not a readable image or PDF"),
    (encoded(NOISE, "PNG")[:3000], "corrupt or truncated image"),
    (encoded(Image.new("1", (20000, 20000)), "PNG"), "decompression bomb"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer", "broken"),
    (pdf()[:400], "broken"),
], ids=["empty", "not-an-image", "truncated-png", "bomb", "broken-pdf", "truncated-pdf"])
def test_bad_files_are_refused_in_words(data, phrase):
    with pytest.raises(DocumentError, match=phrase):
        read_document(data)


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler, its user password unknown."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, b"ab" * 16, b"ab" * 16, xref))
    return out


def test_an_encrypted_pdf_is_refused_in_words():
    with pytest.raises(DocumentError, match="encrypted"):
        read_document(encrypted_pdf())
