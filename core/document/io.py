"""A document as pixels: PNG, JPEG, WebP (and other common images) or the first pages of a PDF.

Every way a file can fail becomes a `DocumentError` that says, in words, what was wrong: an empty
file, a truncated or unknown one, a decompression bomb (a few kB that would unpack to hundreds of
megapixels), an encrypted or broken PDF. A very large scan is scaled down, with a note saying so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core import image_file

MAX_PIXELS = image_file.MAX_PIXELS   # above this, a decompression bomb: refused before a pixel is decoded
MAX_SIDE = 3000            # larger scans are scaled down (the detector works at about 1,000 pixels)
PDF_DPI = 150              # the resolution PDF pages are rendered at
MAX_PDF_PAGES = 3          # only the first pages of a PDF are read


class DocumentError(ValueError):
    """Why a file cannot be read as a document, in plain words."""


@dataclass
class Document:
    pages: list[np.ndarray]              # RGB uint8, one per page read
    kind: str                            # "image" or "PDF"
    notes: list[str] = field(default_factory=list)
    page_count: int = 1                  # pages in the file (a PDF may hold more than were read)


def read_document(data: bytes) -> Document:
    """The pages of an image or a PDF file, ready for OCR."""
    if not data:
        raise DocumentError("empty file: it has 0 bytes.")
    if data[:5] == b"%PDF-":
        return _read_pdf(data)
    image, notes = decode_image(data)
    return Document([image], "image", notes)


def decode_image(data: bytes) -> tuple[np.ndarray, list[str]]:
    """RGB pixels (core/image_file.py: EXIF rotation applied, bombs refused) and notes on what was
    done to them: a large scan is scaled down to MAX_SIDE, with Lanczos so small print stays legible."""
    try:
        image, original = image_file.open_rgb(data, MAX_SIDE, MAX_PIXELS, resample="lanczos")
    except image_file.UnreadableImage as err:
        raise DocumentError("not a readable image or PDF: upload a PNG, JPEG, WebP or PDF file.") from err
    except image_file.ImageFileError as err:
        raise DocumentError(str(err)) from err
    notes = []
    if max(original) > MAX_SIDE:
        notes.append(f"The page is {original[0]:,}x{original[1]:,} pixels; it was scaled down to "
                     f"{image.width:,}x{image.height:,} to be read (text stays legible at this size).")
    return np.asarray(image, dtype=np.uint8), notes


def _read_pdf(data: bytes) -> Document:
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise DocumentError("this PDF is encrypted (password-protected): save an unprotected copy, "
                                "or a screenshot of the page, and upload that.") from err
        raise DocumentError(f"this PDF is broken or truncated and cannot be opened ({err}).") from err
    try:
        count = len(pdf)
        if count == 0:
            raise DocumentError("this PDF has no pages.")
        pages, notes = [], []
        for index in range(min(count, MAX_PDF_PAGES)):
            image, page_notes = _render(pdf[index], index)
            pages.append(image)
            notes += page_notes
        if count > MAX_PDF_PAGES:
            notes.append(f"The PDF has {count:,} pages; the first {MAX_PDF_PAGES} were read.")
        return Document(pages, "PDF", notes, count)
    except pdfium.PdfiumError as err:
        raise DocumentError(f"this PDF is broken: a page could not be drawn ({err}).") from err
    finally:
        pdf.close()


def _render(page, index: int) -> tuple[np.ndarray, list[str]]:
    """One PDF page at PDF_DPI; a page so large it would be a bomb is drawn smaller instead."""
    width, height = page.get_size()  # in points (1/72 inch)
    scale = PDF_DPI / 72
    if width * height * scale * scale > MAX_SIDE * MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
    image = page.render(scale=scale).to_pil().convert("RGB")
    notes = []
    if scale < PDF_DPI / 72 - 1e-6:
        notes.append(f"Page {index + 1} is {width / 72:,.0f}x{height / 72:,.0f} inches; it was drawn at "
                     f"{image.width:,}x{image.height:,} pixels rather than at {PDF_DPI} dpi.")
    return np.asarray(image, dtype=np.uint8), notes
