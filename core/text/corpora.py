"""Real, human-written labelled text that the studio can read offline: Debian's fortune files.

    texts, labels = load_fortunes(["computers", "food", "sports"], max_per_category=400)
    x_train, y_train, x_test, y_test = split_fortunes(texts, labels, seed=7)

Debian's `fortunes` package (BSD licence, Debian main; see /usr/share/doc/fortunes/copyright)
installs one plain-text file per category under /usr/share/games/fortunes, entries separated by
lines holding only "%". The category a file is named after is the label. The text is cleaned so a
model learns the topic from the words of the fortune itself:
- attribution lines ("\t\t-- Mark Twain", and their indented continuation lines) are dropped:
  author names would be a shortcut (every Star Trek line is signed by a character and an episode);
- old terminal overstriking ("_\bI", underline then backspace then the letter) is undone;
- whitespace is collapsed to single spaces;
- entries that are mostly not words (ASCII art, tables of symbols) or too short are skipped;
- a fortune filed under more than one of the asked-for categories is dropped: it has no single
  true label, and a copy on each side of the split would leak the test set into training.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

FORTUNES_DIR = Path("/usr/share/games/fortunes")
FORTUNES_PACKAGE = "Debian package fortunes 1:1.99.1-7.3"
MIN_WORDS = 4            # shorter entries are one-liners like "Yow!": no topic to learn from
MIN_LETTER_SHARE = 0.6   # below this share of letters among non-space characters: ASCII art

_ATTRIBUTION = re.compile(r"^[ \t]+--")        # indented "-- Author", the fortune convention
_BARE_DASHES = re.compile(r"^--\s")            # "-- Author" at the margin: only when it ends an entry
_OVERSTRIKE = re.compile(r"[^\x08\n]\x08")     # a character struck over by the next one
_INDENT = re.compile(r"^[ \t]*")


def _indent_width(line: str) -> int:
    return len(_INDENT.match(line).group().expandtabs(8))


def strip_attribution(entry: str) -> str:
    """The fortune without its "-- who said it" lines (and their indented continuation lines).

    An indented "--" line is an attribution wherever it stands (some entries quote two people).
    A "--" at the left margin is usually a dash carried over from the previous line ("...the
    living\n-- and the dying"), so it counts only when it is the entry's last line.
    """
    lines = entry.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    kept, skip_deeper_than = [], None
    for i, line in enumerate(lines):
        if skip_deeper_than is not None:
            # "\t\t-- Someone, \"A Book\n\t\t   Title\"": lines indented as deep belong to it.
            if line.strip() and _indent_width(line) >= skip_deeper_than:
                continue
            skip_deeper_than = None
        if _ATTRIBUTION.match(line) or (_BARE_DASHES.match(line) and i == len(lines) - 1):
            skip_deeper_than = max(_indent_width(line), 1)
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_entry(entry: str) -> str | None:
    """One fortune as a single line of plain text, or None when it holds too few real words."""
    while _OVERSTRIKE.search(entry):  # "___\b\b\bonly" needs three passes
        entry = _OVERSTRIKE.sub("", entry)
    text = " ".join(strip_attribution(entry).split())
    visible = text.replace(" ", "")
    if len(text.split()) < MIN_WORDS or not visible:
        return None
    if sum(ch.isalpha() for ch in visible) / len(visible) < MIN_LETTER_SHARE:
        return None
    return text


def read_category(category: str, directory: Path = FORTUNES_DIR) -> list[str]:
    """Every usable fortune of one category file, cleaned, in file order, without repeats."""
    path = Path(directory) / category
    if not path.is_file():
        if not Path(directory).is_dir():
            raise FileNotFoundError(
                f"{directory} is missing: the fortune corpus comes from Debian's 'fortunes' "
                "package. Install it with: sudo apt-get install fortunes")
        raise FileNotFoundError(f"no fortune category {category!r} in {directory}")
    # The files are UTF-8 (a few accented names); "replace" keeps a stray byte from failing a load.
    raw = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    entries = re.split(r"^%[ \t]*$", raw, flags=re.MULTILINE)
    cleaned = (clean_entry(entry.strip("\n")) for entry in entries)
    return list(dict.fromkeys(text for text in cleaned if text))


def load_fortunes(categories, max_per_category: int | None = None,
                  directory: Path = FORTUNES_DIR) -> tuple[list[str], list[int]]:
    """Texts and labels (the index of each text's category in `categories`).

    With `max_per_category`, each category keeps its first that many fortunes (the files are
    mostly in alphabetical order of their first word, so the cut is deterministic and unrelated to
    the subject): the large files (computers has about 1,000 entries, sports about 150) would
    otherwise dominate the classes.
    """
    per_category = [read_category(category, directory) for category in categories]
    seen_in: dict[str, int] = {}
    for texts in per_category:
        for text in texts:
            seen_in[text] = seen_in.get(text, 0) + 1
    all_texts, labels = [], []
    for label, texts in enumerate(per_category):
        unique = [text for text in texts if seen_in[text] == 1]
        if max_per_category is not None:
            unique = unique[:max_per_category]
        all_texts += unique
        labels += [label] * len(unique)
    return all_texts, labels


def split_fortunes(texts, labels, seed: int, test_fraction: float = 0.2):
    """The studio's stratified hold-out split (core.data.dataset.holdout_split), as arrays:
    (train texts, train labels, test texts, test labels). Same inputs and seed, same split, so
    the training script and the tests score the same held-out fortunes."""
    from core.data.dataset import holdout_split
    return holdout_split(np.asarray(texts, dtype=object), np.asarray(labels, dtype=np.int64),
                         test_fraction, seed)
