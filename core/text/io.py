"""Text the user gives the studio: typed, a .txt file, or a CSV column scored in batches.

    text = check_text(pasted)                       # TextInput(text, notes) or TextInputError
    text = decode_text_file(uploaded_bytes)         # any common encoding; binary files refused
    table = open_csv(csv_bytes)                     # encoding, columns, a preview, a row estimate
    for chunk in table.chunks("review", 2000): ...  # streamed: never a second copy of the file

Every problem becomes a `TextInputError` whose message says what was wrong and what to do.
"""
from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field

import pandas as pd

MAX_TEXT_CHARS = 20_000       # analysed at once; a longer paste is cut, with a notice
MAX_TEXT_FILE_BYTES = 5 << 20
ENCODINGS_TRIED = ("UTF-8", "UTF-16 (with its byte-order mark)", "Windows-1252", "GB18030",
                   "Shift-JIS", "and others by statistical detection")


class TextInputError(ValueError):
    """Text that cannot be used; the message says why and what to do."""


@dataclass
class TextInput:
    text: str
    notes: list[str] = field(default_factory=list)  # what was done to it (cut, re-encoded ...)


def check_text(text: str | None, limit: int = MAX_TEXT_CHARS) -> TextInput:
    """Refuse empty text; cut text over `limit` characters at a word boundary and say so."""
    if text is None or not text.strip():
        raise TextInputError("There is no text to analyse: type or paste a sentence, "
                             "or pick one of the examples.")
    notes = []
    text = text.replace("\x00", "")
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        kept = text[:cut if cut > limit // 2 else limit]
        notes.append(f"The text is {len(text):,} characters long; only the first {len(kept):,} "
                     f"were analysed (the limit is {limit:,}). Score long documents as a CSV, one "
                     "paragraph per row.")
        text = kept
    return TextInput(text, notes)


def detect_encoding(data: bytes) -> str:
    """The encoding `data` is written in: UTF-8 or a BOM first, then statistical detection."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _looks_binary(data[:8192]):
        raise TextInputError("This file holds binary data (for example a picture, a PDF or a "
                             "program), not text. Save it as plain text (.txt or .csv) and try again.")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3 and len(data) > 64 << 10:
            return "utf-8"  # only the sample's end was cut mid-character
    # Western text in a spreadsheet's Windows-1252 is mostly ASCII letters with a few accents;
    # Chinese or Japanese bytes read as Windows-1252 turn into runs of accented letters instead.
    # Statistics cannot tell short texts apart (a French "Très" once came out as ISO-8859-10).
    try:
        letters = [ch for ch in data.decode("cp1252") if ch.isalpha()]
        if letters and sum(ord(ch) > 127 for ch in letters) / len(letters) < 0.3:
            return "cp1252"
    except UnicodeDecodeError:
        pass
    if _kana_share(data[:1 << 20]) > 0.2:
        # Japanese is full of kana; statistics alone can take a short Shift-JIS CSV for Korean
        # (the same bytes as Hangul), which reads as a jumble of syllables.
        return "cp932"
    from charset_normalizer import from_bytes
    best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise TextInputError("The text encoding could not be recognised (tried "
                             f"{', '.join(ENCODINGS_TRIED)}). Save the file as UTF-8 and upload it again.")
    if best.encoding in ("cp949", "euc_kr") and _hanja_share(str(best)) > 0.1:
        # Modern Korean is nearly all Hangul; Chinese GB18030 bytes read as Korean come out as a
        # Hangul-Hanja jumble. Prefer Chinese when its decoding is clean.
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            pass
    return best.encoding


def decode_text_file(data: bytes, limit: int = MAX_TEXT_CHARS) -> TextInput:
    """A .txt upload as text, whatever its encoding; binary files are refused."""
    if not data:
        raise TextInputError("The file is empty (0 bytes). Pick a .txt file with some text in it.")
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise TextInputError(f"The file is {len(data) / 2**20:.1f} MB; text files up to "
                             f"{MAX_TEXT_FILE_BYTES >> 20} MB are read here. For many texts use a CSV.")
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors="replace")
    result = check_text(text, limit)
    if encoding not in ("utf-8", "utf-8-sig"):
        result.notes.insert(0, f"The file is not UTF-8; it was read as {encoding}.")
    return result


def _kana_share(data: bytes) -> float:
    """Share of hiragana and katakana among the letters of `data` read as Shift-JIS (0 if it is not)."""
    try:
        letters = [ch for ch in data.decode("cp932") if ch.isalpha()]
    except UnicodeDecodeError:
        return 0.0
    return sum("\u3040" <= ch <= "\u30ff" for ch in letters) / max(len(letters), 1)


def _hanja_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum("\u4e00" <= ch <= "\u9fff" for ch in letters) / max(len(letters), 1)


def _looks_binary(sample: bytes) -> bool:
    """NUL bytes, or many control characters, mean a binary file (text never has them)."""
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return bool(sample) and controls / len(sample) > 0.05


# -- CSV files, streamed --------------------------------------------------------------------------

@dataclass
class CsvTable:
    """An uploaded CSV, opened lazily: the bytes are read chunk by chunk, never copied whole."""
    data: bytes
    encoding: str
    columns: list[str]
    preview: pd.DataFrame
    approximate_rows: int

    def _reader(self, **options):
        stream = io.TextIOWrapper(io.BytesIO(self.data), encoding=self.encoding, errors="replace",
                                  newline="")
        return pd.read_csv(stream, dtype=str, keep_default_na=False, **options)

    def chunks(self, column: str, rows: int = 2000):
        """DataFrames of `rows` rows with every column, as text (one chunk in memory at a time)."""
        if column not in self.columns:
            raise TextInputError(f"The CSV has no column named '{column}'. Its columns are: "
                                 f"{', '.join(self.columns)}.")
        try:
            yield from self._reader(chunksize=rows)
        except pd.errors.ParserError as err:
            raise TextInputError(f"The CSV stopped parsing part-way: {err}. The rows before "
                                 "that point were scored.") from err


def open_csv(data: bytes) -> CsvTable:
    """Check a CSV upload (encoding, header, at least one row) and preview its first rows."""
    if not data or not data.strip():
        raise TextInputError("The CSV file is empty. It needs a header row and at least one row of text.")
    encoding = detect_encoding(data)
    table = CsvTable(data, encoding, [], pd.DataFrame(), 0)
    try:
        preview = table._reader(nrows=200)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as err:
        raise TextInputError(f"The file could not be read as a CSV: {err}. Check that it is "
                             "comma-separated with one header row.") from err
    if preview.empty or not len(preview.columns):
        raise TextInputError("The CSV has a header but no rows. Add at least one row of text.")
    table.columns = [str(c) for c in preview.columns]
    table.preview = preview
    table.approximate_rows = max(len(preview), data.count(b"\n") - 1)
    return table


def guess_text_column(columns: list[str], preview: pd.DataFrame) -> str:
    """The column most likely to hold the texts: by name, else the longest values."""
    for name in ("text", "sentence", "review", "message", "content", "comment", "body"):
        for column in columns:
            if column.lower() == name:
                return column
    return max(columns, key=lambda c: preview[c].astype(str).str.len().mean())
