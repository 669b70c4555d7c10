"""What a broken cache raises, and the one-line messages the store turns it into."""

from __future__ import annotations

import sqlite3
import zlib

import diskcache


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
(ValueError, TypeError, zlib.error) for a value that is not compressed JSON."""


def describe(error: BaseException) -> str:
    """One line saying what is wrong with the cache, for a user to act on."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, CorruptValueError):
        return f"corrupted cache value ({error})"
    if isinstance(error, diskcache.Timeout) or "locked" in text.lower():
        return "the cache is locked by another process; try again"
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
        return "the cache file is corrupted (run `wheelscan cache clear` or delete it)"
    if isinstance(error, PermissionError) or "readonly" in text.replace("-", "").lower():
        return "the cache directory is not writable"
    if isinstance(error, ValueError | TypeError | zlib.error):
        return "corrupted cache value"
    return f"{type(error).__name__}: {text}"


def read_warning(error: BaseException) -> str:
    """The `warning` a reader returns instead of raising."""
    return f"cannot read the cache: {describe(error)}"
