"""Reading the cache without writing a byte: SQLite opened read-only, one snapshot.

`diskcache.Cache()` writes its Settings table on every open and, when another
process holds the write lock, retries that write for 60 s. A reader that opened
the cache that way was wedged by a stopped scan and failed on a read-only or
full disk. Readers here open `cache.db` with SQLite's `mode=ro` instead and read
diskcache's `Cache` table through the store's own Disk (`SafeJSONDisk`), so a
value reads exactly as `Cache.get` would return it. Everything one reader needs
is read inside one read transaction: in WAL mode that is a consistent snapshot
that never waits for writers and never blocks them.

On a read-only or full file system SQLite cannot create (or grow) the `-shm`
file a WAL database needs; when no `-wal` file holds writes either, the database
is opened as `immutable` (no writer can change it there anyway).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wheelscan.paths import UnsafePathError, refuse_symlink
from wheelscan.store.codec import UNREADABLE_VALUE, SafeJSONDisk
from wheelscan.store.errors import DATABASE_FILE

READ_TIMEOUT_S = 1.0
"""How long a read waits for SQLite (only WAL recovery after a crash makes it wait)."""

_SELECT = (
    "SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = ?"
    " AND (expire_time IS NULL OR expire_time > ?)"
)
SIDE_FILES = ("-wal", "-shm")


def database_files(directory: Path) -> list[Path]:
    """`cache.db` and its WAL side files, whether or not they exist."""
    database = directory / DATABASE_FILE
    return [database, *(database.with_name(database.name + suffix) for suffix in SIDE_FILES)]


def check_database_path(directory: Path) -> bool:
    """Whether `directory` holds a database file; refuses symlinks and non-files."""
    refuse_symlink(directory)
    database, *sides = database_files(directory)
    try:
        mode = os.lstat(database).st_mode
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise UnsafePathError(f"{directory} is not a directory (remove it)") from None
    if stat.S_ISLNK(mode):
        raise UnsafePathError(f"{database} is a symlink; refusing to use it (remove the link)")
    if stat.S_ISDIR(mode):
        raise UnsafePathError(
            f"{database} is a directory, not the cache database: run `wheelscan cache clear`"
            " or delete it"
        )
    for side in sides:
        refuse_symlink(side)
    return True


def _uri(path: Path, immutable: bool) -> str:
    text = str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{text}?mode=ro" + ("&immutable=1" if immutable else "")


def _wal_holds_writes(database: Path) -> bool:
    try:
        return os.stat(database.with_name(database.name + "-wal")).st_size > 0
    except OSError:
        return False


class Snapshot:
    """One read transaction on the cache: `get` reads values as `Cache.get` would."""

    def __init__(self, connection: sqlite3.Connection, directory: Path) -> None:
        self._connection = connection
        self._disk = SafeJSONDisk(str(directory))

    def get(self, key: str, default: Any = None) -> Any:
        db_key, raw = self._disk.put(key)
        rows = self._connection.execute(_SELECT, (db_key, raw, time.time())).fetchall()
        if not rows:
            return default
        ((mode, filename, value),) = rows
        return self._disk.fetch(mode, filename, value, False)

    def entries(self) -> Iterator[tuple[Any, Any]]:
        """(key, value) of every row; a row that cannot be decoded gives its error as value."""
        query = "SELECT key, raw, mode, filename, value FROM Cache"
        for db_key, raw, mode, filename, value in self._connection.execute(query).fetchall():
            try:
                key = self._disk.get(db_key, raw)
            except (*UNREADABLE_VALUE, OSError) as error:
                yield None, error
                continue
            try:
                yield key, self._disk.fetch(mode, filename, value, False)
            except (*UNREADABLE_VALUE, OSError) as error:
                yield key, error

    def check(self) -> str:
        """SQLite's quick integrity check: "ok" or its first complaint."""
        ((result,), *_) = self._connection.execute("PRAGMA quick_check").fetchall()
        return str(result)

    def raise_if_damaged(self) -> None:
        """Raise sqlite3.DatabaseError when the file is damaged. A damaged index can
        make lookups find nothing without an error: call this when a read found nothing."""
        if self.check() != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")


def _connect(database: Path, immutable: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(
        _uri(database, immutable),
        uri=True,
        timeout=READ_TIMEOUT_S,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        connection.execute("BEGIN")
        connection.execute("SELECT 1 FROM Cache LIMIT 1").fetchall()
    except BaseException:
        connection.close()
        raise
    return connection


@contextmanager
def read_snapshot(directory: Path) -> Iterator[Snapshot | None]:
    """A read-only snapshot of the cache in `directory`; None when there is no cache yet.

    Raises what a broken cache raises (sqlite3.DatabaseError, OSError,
    UnsafePathError). Changes no file; SQLite may create the empty `-wal` and
    `-shm` side files (with the database file's mode).
    """
    if not check_database_path(directory):
        yield None
        return
    database = directory / DATABASE_FILE
    try:
        connection = _connect(database, immutable=False)
    except sqlite3.OperationalError as error:
        text = str(error)
        if "no such table" in text:
            yield None  # created, not yet set up by diskcache
            return
        cannot_share = "unable to open" in text or "disk I/O error" in text
        if not cannot_share or _wal_holds_writes(database):
            raise
        try:
            connection = _connect(database, immutable=True)
        except sqlite3.OperationalError as again:
            if "no such table" in str(again):
                yield None
                return
            raise
    try:
        yield Snapshot(connection, directory)
    finally:
        connection.close()
