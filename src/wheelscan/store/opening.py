"""Opening the cache for writing: private files from the first byte, bounded waits.

- The directory is 0700 and `cache.db` is created empty and 0600 before diskcache
  opens it (SQLite gives `-wal` and `-shm` the database file's mode), so no file
  is ever readable by others, not even for a moment. Symlinks are refused.
- `diskcache.Cache.__init__` writes its Settings table and retries "database is
  locked" for 60 s, whatever its `timeout`; behind a stopped scan that is a
  minute of silence. `_BoundedCache` bounds that retry by `OPEN_TIMEOUT_S`, and
  every later statement waits at most `WRITE_TIMEOUT_S` for SQLite's write lock
  (then diskcache raises `Timeout`). Open plus one transaction stays under 5 s.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache

from wheelscan.paths import check_private_file, create_private_file, private_dir
from wheelscan.store.codec import SafeJSONDisk
from wheelscan.store.reader import database_files

OPEN_TIMEOUT_S = 2.0
"""How long opening retries diskcache's Settings writes behind another writer."""
WRITE_TIMEOUT_S = 2.0
"""How long one statement waits for SQLite's write lock held by another process."""
_LOCKED = "database is locked"


class _BoundedCache(diskcache.Cache):
    """diskcache.Cache whose retries of a locked database end at a deadline.

    It overrides diskcache's private `_sql_retry` (used by `__init__` and
    `reset`); tests/test_store_faults.py fails with one clear message if a
    diskcache upgrade drops it.
    """

    def __init__(self, directory: str, **settings: Any) -> None:
        self._retry_until: float | None = time.monotonic() + OPEN_TIMEOUT_S
        try:
            super().__init__(directory, **settings)
        except BaseException:
            if hasattr(self, "_local"):  # set early in diskcache's __init__
                self.close()
            raise
        self._retry_until = None

    @property
    def _sql_retry(self) -> Callable[..., sqlite3.Cursor]:
        sql = self._sql
        until = self._retry_until or time.monotonic() + WRITE_TIMEOUT_S

        def execute(statement: str, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
            while True:
                try:
                    return sql(statement, *args, **kwargs)
                except sqlite3.OperationalError as error:
                    if str(error) != _LOCKED or time.monotonic() >= until:
                        raise
                    time.sleep(0.001)

        return execute


def open_writer(directory: Path) -> diskcache.Cache:
    """The cache in `directory`, created private; raises what a broken cache raises."""
    private_dir(directory)
    database, *sides = database_files(directory)
    create_private_file(database)
    for side in sides:
        check_private_file(side)
    return _BoundedCache(
        str(directory),
        timeout=WRITE_TIMEOUT_S,
        disk=SafeJSONDisk,
        eviction_policy="none",
        disk_min_file_size=2**31 - 1,
    )
