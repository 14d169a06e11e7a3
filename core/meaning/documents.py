"""A document set for the Meaning lab: from the bundled help desk, a CSV column, a .txt (one document
per line) or pasted lines; cleaned (blank and duplicate documents dropped, with a note saying how
many) and refused above a stated limit; plus a check for text that is mostly not English."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from core import paths
from core.text.io import TextInputError, decode_text_file, open_csv

MAX_DOCUMENTS = 20_000       # encoded on 2 cores at a few hundred a second: about a minute at most
MAX_DOCUMENT_CHARS = 2_000   # the encoder reads at most 256 tokens (about 1,000 characters) anyway
SUPPORT_CSV = paths.ASSETS_DIR / "samples" / "support.csv"


class DocumentError(TextInputError):
    """A document set that cannot be used; the message says why and what to do."""


@dataclass
class DocumentSet:
    name: str
    texts: list[str]
    labels: list[str] | None = None
    groups: list[int] | None = None        # rows that belong together (kept on one side of a split)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


def clean(name: str, texts, labels=None, groups=None, limit: int = MAX_DOCUMENTS) -> DocumentSet:
    """Strip, drop blank and duplicate texts (saying so), cut very long ones, refuse too many."""
    rows = [(str(t).replace("\x00", "").strip(), labels[i] if labels is not None else None,
             groups[i] if groups is not None else None) for i, t in enumerate(texts)]
    count = len(rows)
    if count > limit:
        raise DocumentError(f"There are {count:,} documents; the Meaning lab takes up to {limit:,} "
                            "at once. Use a sample of them (for example the first rows).")
    kept, seen, blank, duplicates, cut = [], set(), 0, 0, 0
    for text, label, group in rows:
        if not text:
            blank += 1
            continue
        if text in seen:
            duplicates += 1
            continue
        seen.add(text)
        if len(text) > MAX_DOCUMENT_CHARS:
            text, cut = text[:MAX_DOCUMENT_CHARS], cut + 1
        kept.append((text, label, group))
    if not kept:
        raise DocumentError("There are no documents: every row is empty. Give at least one line of text.")
    notes = []
    if blank:
        notes.append(f"{blank:,} empty document{'s' if blank > 1 else ''} left out.")
    if duplicates:
        notes.append(f"{duplicates:,} duplicate document{'s' if duplicates > 1 else ''} left out "
                     "(each text is kept once).")
    if cut:
        notes.append(f"{cut:,} document{'s' if cut > 1 else ''} longer than {MAX_DOCUMENT_CHARS:,} characters "
                     "cut (the encoder reads about the first 200 words).")
    texts_, labels_, groups_ = (list(column) for column in zip(*kept))
    return DocumentSet(name, texts_, labels_ if labels is not None else None,
                       groups_ if groups is not None else None, notes)


def support_documents(answers_only: bool = False) -> DocumentSet:
    """The bundled help desk: customer tickets and FAQ answers, labelled by topic (or the answers only:
    the documents a customer's question should find)."""
    frame = pd.read_csv(SUPPORT_CSV, dtype=str, keep_default_na=False)
    if answers_only:
        frame = frame[frame["kind"] == "faq"]
    name = "help-centre answers (bundled)" if answers_only else "help desk: tickets and answers (bundled)"
    return clean(name, frame["text"], list(frame["label"]), list(frame["group"].astype(int)))


def from_pasted(text: str) -> DocumentSet:
    if not text or not text.strip():
        raise DocumentError("Nothing was pasted: type or paste one document per line.")
    return clean("pasted lines", text.splitlines())


def from_txt(name: str, data: bytes) -> DocumentSet:
    decoded = decode_text_file(data, limit=10 ** 9)  # limit by the number of lines, below
    documents = clean(name, decoded.text.splitlines())
    documents.notes[:0] = decoded.notes
    return documents


def csv_columns(data: bytes) -> tuple[list[str], str, str | None]:
    """A CSV's columns, the likely text column and the likely label column (None when none)."""
    table = open_csv(data)
    texty = [c for c in table.columns if _looks_like_text(table.preview[c])]
    if not texty:
        raise DocumentError("The CSV has no text column: every column holds numbers or is empty "
                            f"(columns: {', '.join(table.columns)}). Add a column of sentences.")
    text_column = next((c for c in texty if c.lower() in ("text", "sentence", "message", "document", "review")),
                       max(texty, key=lambda c: table.preview[c].str.len().mean()))
    label_column = next((c for c in table.columns if c.lower() in ("label", "labels", "category", "class",
                                                                     "topic", "tag")), None)
    return texty, text_column, label_column


def from_csv(name: str, data: bytes, text_column: str, label_column: str | None = None) -> DocumentSet:
    table = open_csv(data)
    if text_column not in table.columns:
        raise DocumentError(f"The CSV has no column named '{text_column}'.")
    usecols = [text_column] + ([label_column] if label_column else [])
    try:
        frame = table._reader(usecols=usecols)
    except (pd.errors.ParserError, ValueError, UnicodeError) as err:
        raise DocumentError(f"The CSV could not be read past its first rows: {err}. Check its quotes "
                            "and that it is comma-separated with one header row.") from err
    if len(frame) > MAX_DOCUMENTS:
        raise DocumentError(f"The CSV has {len(frame):,} rows; the Meaning lab takes up to {MAX_DOCUMENTS:,} "
                            "at once. Use a sample of them (for example the first rows).")
    labels = [str(v).strip() for v in frame[label_column]] if label_column else None
    documents = clean(name, frame[text_column], labels)
    if table.encoding not in ("utf-8", "utf-8-sig"):
        documents.notes.insert(0, f"The file is not UTF-8; it was read as {table.encoding}.")
    return documents


def _looks_like_text(values: pd.Series) -> bool:
    values = values.astype(str).str.strip()
    values = values[values != ""]
    if values.empty:
        return False
    numeric = pd.to_numeric(values, errors="coerce").notna().mean()
    return numeric < 0.5 and values.str.contains(r"[^\W\d_]", regex=True).mean() > 0.5


# -- language ----------------------------------------------------------------------------------------

_LATIN = re.compile(r"[A-Za-z]")
_ENGLISH = set("the a an and or of to in is are was it this that i you my we for on with not be have "
               "do can at by from your me he she they what how why when where no yes".split())


def english_share(text: str) -> float:
    """A rough share of 'English-looking' content: Latin letters among letters, and common English
    words among the words. Enough to warn that an English-only encoder will struggle."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    latin = sum(bool(_LATIN.match(ch)) for ch in letters) / len(letters)
    words = re.findall(r"[a-z']+", text.lower())
    if latin < 0.5 or len(words) < 4:
        return latin
    common = sum(w in _ENGLISH for w in words) / len(words)
    return latin * min(1.0, common / 0.15)  # English prose is roughly a third function words


def mostly_not_english(texts, threshold: float = 0.5) -> bool:
    """True when most of `texts` look like another language (this encoder is English)."""
    texts = [t for t in texts if str(t).strip()][:500]
    return bool(texts) and sum(english_share(t) < threshold for t in texts) / len(texts) > 0.5
