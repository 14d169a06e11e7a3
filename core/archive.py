"""Zip files from outside, opened safely: traversal and zip bombs refused before any content is read.

    archive = open_zip(data)                              # bytes or a path; ArchiveError if not a zip
    for info in safe_entries(archive, max_total=1 << 30):  # raises on '../x', '/etc/x', bombs
        content = read_entry(archive, info)

Used by every upload that is a zip: image and sound folders, `.keras` models (a `.keras` file is a
zip), and project bundles.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

MAX_TOTAL = 1 << 30          # 1 GiB expanded
MAX_ENTRIES = 20000
MAX_RATIO = 200              # per entry over 1 MB: photos, weights and JSON never compress 200x


class ArchiveError(ValueError):
    """The zip cannot be opened safely; the message says why."""


def open_zip(source: bytes | str | Path) -> zipfile.ZipFile:
    """A ZipFile over bytes or a file, or ArchiveError saying what is wrong with it."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as file:
            head = file.read(4)
        empty, opener = not head, lambda: Path(source)
    else:
        head, empty, opener = source[:4], not source, lambda: io.BytesIO(source)
    if empty:
        raise ArchiveError("The file is empty (0 bytes).")
    if not zipfile.is_zipfile(opener()):
        if head.startswith(b"PK\x03\x04"):
            raise ArchiveError("The zip file is corrupt or truncated (its table of contents is missing); "
                               "the upload may have been cut short. Create it again and re-upload.")
        raise ArchiveError("This is not a zip file.")
    try:
        archive = zipfile.ZipFile(opener())
        archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ArchiveError(f"The zip file is corrupt ({err}). Create it again and re-upload.") from err
    return archive


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo | str) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, KeyError) as err:
        raise ArchiveError(f"corrupt zip entry: {err}") from err


def unsafe_name(name: str) -> bool:
    """True for an entry name that would land outside the folder it is extracted into."""
    name = name.replace("\\", "/")
    parts = name.split("/")
    return name.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":") or "\0" in name


def safe_entries(archive: zipfile.ZipFile, max_total: int = MAX_TOTAL, max_entries: int = MAX_ENTRIES,
                 max_ratio: int = MAX_RATIO) -> list[zipfile.ZipInfo]:
    """The archive's files (folders left out), once every entry passed the checks.

    Sizes come from the zip's table of contents; `read_entry` cannot return more than it says, as
    `zipfile` stops at the declared size and checks the CRC.
    """
    infos = archive.infolist()
    if len(infos) > max_entries:
        raise ArchiveError(f"The zip holds {len(infos):,} entries; the limit is {max_entries:,}.")
    total = 0
    files = []
    for info in infos:
        if unsafe_name(info.filename):
            raise ArchiveError(f"Refused: the zip entry '{info.filename}' points outside its folder "
                               "(absolute path or '..').")
        if info.is_dir():
            continue
        total += info.file_size
        if total > max_total:
            raise ArchiveError(f"Refused: the zip expands to more than {max_total >> 20:,} MB.")
        if info.compress_size and info.file_size / info.compress_size > max_ratio and info.file_size > 1 << 20:
            raise ArchiveError(f"Refused: '{info.filename}' expands {info.file_size // info.compress_size}x "
                               "when unzipped, which looks like a zip bomb.")
        files.append(info)
    return files
