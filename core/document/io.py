"""A document as pixels: PNG, JPEG, WebP (and other common images) or the first pages of a PDF.

Every way a file can fail becomes a `DocumentError` that says, in words, what was wrong: an empty
file, a truncated or unknown one, a decompression bomb (a few kB that would unpack to hundreds of
megapixels), an encrypted or broken PDF. A very large scan is scaled down, with a note saying so.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np

MAX_PIXELS = 150_000_000   # above this, a decompression bomb: refused before a pixel is decoded
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
    """RGB pixels (EXIF rotation applied) and notes on what was done to them."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    if not data:
        raise DocumentError("empty file: the image has 0 bytes.")
    saved = Image.MAX_IMAGE_PIXELS  # process-wide in Pillow: set for this decode only
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise DocumentError(_bomb(image.width, image.height))
            image.seek(0)
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a huge JPEG decodes straight at a fraction of its size
            image = ImageOps.exif_transpose(image)
            return _fit(image.convert("RGB"), image.size)
    except DocumentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise DocumentError(f"too large: more than {MAX_PIXELS / 1e6:.0f} megapixels, the limit "
                            "(a decompression bomb?). Scale the image down first.") from err
    except UnidentifiedImageError as err:
        raise DocumentError("not a readable image or PDF: upload a PNG, JPEG, WebP or PDF file.") from err
    except (OSError, ValueError, SyntaxError) as err:  # truncated or corrupt pixel data
        raise DocumentError(f"corrupt or truncated image: {err}") from err
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _bomb(width: int, height: int) -> str:
    return (f"too large: {width:,}x{height:,} pixels, over the limit of {MAX_PIXELS / 1e6:.0f} megapixels "
            "(a decompression bomb?). Scale it down first.")


def _fit(image, original_size: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    """Scale a large page down to MAX_SIDE, and say so."""
    from PIL import Image
    notes = []
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if max(original_size) > MAX_SIDE:
        notes.append(f"The page is {original_size[0]:,}x{original_size[1]:,} pixels; it was scaled down to "
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
