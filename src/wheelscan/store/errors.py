"""What a broken cache raises, and the one-line messages the store turns it into."""

from __future__ import annotations

import errno
import os
import sqlite3
import zlib
from pathlib import Path

import diskcache

from wheelscan.paths import UnsafePathError

DATABASE_FILE = "cache.db"


class StoreError(Exception):
    """The cache cannot be opened, read or written; the message is one line."""


class CorruptValueError(ValueError):
    """A cache row that is not compressed JSON (e.g. a pickle planted in the file)."""


STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.DatabaseError,
    diskcache.Timeout,
    OSError,
    ValueError,
    TypeError,
    zlib.error,
)
"""What a broken cache raises: SQLite errors, lock timeouts, file errors, and
(ValueError, TypeError, zlib.error) for a value that is not compressed JSON.
UnsafePathError (a symlink refused) is a ValueError too."""

NEARLY_FULL_BYTES = 64 * 1024
"""Below this much free space, SQLite's "disk I/O error" means the disk is full."""
CORRUPT_MARKERS = ("not a database", "malformed", "file is encrypted", "unsupported file format")
"""What SQLite says about a file that is not (or no longer) a database."""


def is_corruption(error: BaseException) -> bool:
    """Whether `error` says the database file itself is damaged."""
    text = str(error).lower()
    return isinstance(error, sqlite3.DatabaseError) and any(m in text for m in CORRUPT_MARKERS)


def is_locked(error: BaseException | None) -> bool:
    """Whether `error` says another process holds SQLite's write lock."""
    return isinstance(error, diskcache.Timeout) or (
        isinstance(error, sqlite3.OperationalError) and "database is locked" in str(error)
    )


def read_only_file_system(directory: Path) -> bool:
    """Whether the file system holding `directory` (or its nearest existing parent) is
    mounted read-only."""
    for path in (directory, *directory.parents):
        try:
            return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def disk_full(directory: Path) -> bool:
    """Whether the file system holding `directory` has (almost) no space left for us."""
    for path in (directory, *directory.parents):
        try:
            info = os.statvfs(path)
        except OSError:
            continue
        return info.f_bavail * info.f_frsize < NEARLY_FULL_BYTES
    return False


def _not_writable(directory: Path) -> str:
    if read_only_file_system(directory):
        return f"the file system holding {directory} is read-only (EROFS)"
    return f"{directory} is not writable (permission denied)"


def describe(error: BaseException, directory: Path) -> str:
    """One line saying what is wrong with the cache in `directory`, for a user to act on."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    lowered = text.lower()
    database = directory / DATABASE_FILE
    if isinstance(error, UnsafePathError):
        return text
    if isinstance(error, CorruptValueError):
        return f"corrupted cache value ({error}): run `wheelscan cache clear`"
    if is_locked(error):
        return (
            "the cache is locked by another process (a stopped or hung scan? "
            "see `wheelscan status`); try again"
        )
    if is_corruption(error):
        return f"the cache file {database} is corrupted: run `wheelscan cache clear` or delete it"
    number = error.errno if isinstance(error, OSError) else None
    io_error = isinstance(error, sqlite3.OperationalError) and "disk i/o error" in lowered
    if number == errno.ENOSPC or "disk is full" in lowered or (io_error and disk_full(directory)):
        return f"the disk holding {directory} is full (ENOSPC)"
    if number == errno.EROFS:
        return f"the file system holding {directory} is read-only (EROFS)"
    if isinstance(error, PermissionError) or "readonly" in lowered.replace("-", ""):
        return _not_writable(directory)
    if "unable to open database file" in lowered:
        if database.is_dir():
            return f"{database} is a directory, not the cache database: delete it"
        if read_only_file_system(directory):
            return _not_writable(directory)
        return f"cannot open {database}"
    if isinstance(error, ValueError | TypeError | zlib.error):
        return "corrupted cache value: run `wheelscan cache clear`"
    return f"{type(error).__name__}: {text}"


def read_warning(error: BaseException, directory: Path) -> str:
    """The `warning` a reader returns instead of raising."""
    return f"cannot read the cache: {describe(error, directory)}"
