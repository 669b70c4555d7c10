"""`cache clear`: delete everything, and repair what SQLite cannot read (SPEC 5).

`clear` empties the cache of every namespace unless a live scan holds a lock.
It reads the rows one by one through the read-only reader, so an undecodable
row (a planted pickle, a lock record with wrong types) is simply deleted with
the rest. What SQLite itself cannot read (a file that is not a database, a
damaged one, a directory named `cache.db`) is for `reset_if_corrupt`: it
deletes the database files, and leaves anything else alone for the user, whom
the failed call's one-line StoreError tells which file to delete.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import diskcache

from wheelscan.store import lock
from wheelscan.store.errors import DATABASE_FILE, is_corruption
from wheelscan.store.keys import is_lock_key
from wheelscan.store.reader import database_files, read_snapshot


def clear(cache: diskcache.Cache, directory: Path, now: float) -> lock.LockInfo | None:
    """Delete every row unless a live scan holds a lock (returns that holder).

    Call inside `cache.transact()`: the lock rows are read from a snapshot taken
    while this process holds SQLite's write lock, so none can change before the
    rows are deleted.
    """
    with read_snapshot(directory) as snapshot:
        entries = list(snapshot.entries()) if snapshot is not None else []
    for key, value in entries:
        if is_lock_key(key) and not isinstance(value, BaseException):
            holder = lock.holder(value, now)
            if holder is not None:
                return holder
    cache.clear()
    return None


def reset_if_corrupt(directory: Path) -> bool:
    """Delete `cache.db` and its side files when SQLite finds them damaged, or remove
    an empty directory named `cache.db`; True if it did either."""
    if directory.is_symlink():  # its files are not ours to delete
        return False
    database = directory / DATABASE_FILE
    try:
        mode = os.lstat(database).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        try:
            database.rmdir()
        except OSError:
            return False
        return True
    if not stat.S_ISREG(mode) or not _damaged(directory):
        return False
    try:
        for path in database_files(directory):
            path.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _damaged(directory: Path) -> bool:
    try:
        with read_snapshot(directory) as snapshot:
            return snapshot is not None and snapshot.check() != "ok"
    except sqlite3.DatabaseError as error:
        return is_corruption(error)
    except (OSError, ValueError):
        return False
