"""Writing to the data directory: a full disk or a folder we may not write, told in plain words.

    check_writable()                  # before launching: refuse at once, with the reason
    describe_write_error(err)         # a failed run's message, or None if `err` is something else

Training writes metrics (SQLite), checkpoints, logs and the final model. When the disk fills up or
the folder turns read-only, the run must end as *failed* with a message a user can act on, not a
traceback.
"""
from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path

from core import paths
from core.data.dataset import DataError

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


class DataDirError(DataError):
    """The data directory cannot be written (pages show it like any other "cannot launch" reason)."""


def check_writable() -> None:
    """Raise DataDirError unless a file can be created in the data directory's runs folder."""
    try:
        folder = paths.runs_dir()
        probe = folder / f".write-check-{os.getpid()}"
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        probe.unlink()
    except OSError as err:
        raise DataDirError(describe_write_error(err) or f"The data directory cannot be used: {err}") from err


def describe_write_error(err: BaseException) -> str | None:
    """A plain-words message for a full disk or an unwritable data directory found anywhere in
    `err`'s chain of causes; None when the error is something else."""
    for cause in _chain(err):
        kind, reason, what = _classify(cause)
        if kind == "full":
            return (f"The disk is full ({reason}) while writing {what}; free some space, then resume the "
                    "run or launch it again.")
        if kind == "readonly":
            return (f"The data directory {_data_dir()} is not writable ({reason}) while writing {what}; "
                    f"make it writable (or point {paths.DATA_DIR_ENV} at another folder), then resume the run "
                    "or launch it again.")
    return None


def _chain(err: BaseException):
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _classify(err: BaseException) -> tuple[str | None, str, str]:
    if isinstance(err, sqlite3.Error):  # the run store: SQLITE_FULL, SQLITE_READONLY
        name = getattr(err, "sqlite_errorname", None) or ""
        what = "the run store (runs.sqlite)"
        if name == "SQLITE_FULL" or "disk is full" in str(err):
            return "full", str(err), what
        if name.startswith("SQLITE_READONLY") or "readonly database" in str(err):
            return "readonly", str(err), what
        return None, "", ""
    what = _where(getattr(err, "filename", None))
    if isinstance(err, OSError) and err.errno in DISK_FULL:
        return "full", os.strerror(err.errno), what
    if isinstance(err, OSError) and err.errno in NOT_WRITABLE:
        return "readonly", os.strerror(err.errno), what
    text = str(err)  # h5py and TensorFlow's file errors say it in their text only ("<path>; Permission denied")
    if isinstance(err, OSError) or type(err).__module__.startswith("tensorflow"):
        named = re.search(r"(/\S+); (?:No space left|Read-only file system|Permission denied)", text)
        what = _where(named.group(1)) if named and what == "the run's files" else what
        if "No space left on device" in text or "errno = 28" in text:
            return "full", "No space left on device", what
        for reason in ("Read-only file system", "Permission denied"):
            if reason in text:
                return "readonly", reason, what
    return None, "", ""


def naming(err: OSError, path: Path) -> OSError:
    """`err` with `path` as its file name when it has none (a failed write() names no file)."""
    if err.filename or err.errno is None:
        return err
    named = OSError(err.errno, err.strerror or os.strerror(err.errno), str(path))
    named.__cause__ = err
    return named


def _data_dir() -> Path:
    """Where the data directory is, without creating it (that may be what fails)."""
    return Path(os.environ.get(paths.DATA_DIR_ENV) or paths.PROJECT_ROOT / "data").expanduser().resolve()


def _where(filename) -> str:
    if not filename:
        return "the run's files"
    path = Path(os.fsdecode(filename))
    try:
        return str(path.resolve().relative_to(_data_dir()))
    except (ValueError, OSError):
        return str(path)
