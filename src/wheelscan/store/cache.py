"""The scan store: results, scan lock, live progress and history in a diskcache.

Every process on the machine (the terminal app, a cron `refresh`, `status`)
opens the same cache directory; SQLite makes their reads and writes atomic.
Values are JSON only (`codec.SafeJSONDisk`): a cache file someone else can
write must never be able to run code. Size eviction is off so the lock can
never be evicted.

Readers (`read_results`, `read_status`, `read_history`) never raise: a
missing, locked, corrupted or read-only cache gives empty values and a one-line
`warning`. Writers raise `StoreError` with a one-line message.

Time comes from `clock` (epoch seconds, `time.time` by default): lock and
results expiry are decided from the records by it, so tests advance a fake
clock; diskcache's own expiry (wall time) only garbage-collects the rows.

This package imports only the standard library, diskcache, wheelscan.paths and
the numpy-free core records, so `wheelscan status` and `wheelscan results` start fast.
"""

from __future__ import annotations

import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import diskcache

from wheelscan.paths import cache_dir, private_dir
from wheelscan.store import lock
from wheelscan.store.codec import EncodedJSON, SafeJSONDisk
from wheelscan.store.errors import STORE_ERRORS, StoreError, describe, read_warning
from wheelscan.store.lock import (
    DEFAULT_HEARTBEAT_S,
    DEFAULT_LOCK_TTL_S,
    EpochClock,
    LockHandle,
    LockInfo,
)
from wheelscan.store.records import (
    DEFAULT_RESULTS_TTL_MINUTES,
    HISTORY_LIMIT,
    KEYS,
    Progress,
    PublishedResults,
    StoreStatus,
    parse_time,
    published_scan_record,
    split_published_scan,
)

WRITE_TIMEOUT_S = 20.0
"""How long a call waits for SQLite's write lock held by another process."""


class Store:
    """The diskcache of SPEC 5 at `directory` (default: `paths.cache_dir()`).

    Opening is lazy: the first operation opens the cache. All methods are
    blocking and safe to call from any thread.
    """

    def __init__(self, directory: Path | None = None, *, clock: EpochClock = time.time) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.clock = clock
        self.keys = KEYS
        self._cache: diskcache.Cache | None = None

    # -- opening ---------------------------------------------------------------

    def _open(self) -> diskcache.Cache:
        if self._cache is None:
            private_dir(self.directory)
            cache = diskcache.Cache(
                str(self.directory),
                timeout=WRITE_TIMEOUT_S,
                disk=SafeJSONDisk,
                eviction_policy="none",
                disk_min_file_size=2**31 - 1,
            )
            for path in self.directory.glob("cache.db*"):
                if path.stat().st_mode & 0o077:
                    path.chmod(0o600)
            self._cache = cache
        return self._cache

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self, what: str) -> Iterator[diskcache.Cache]:
        """Open the cache and turn its failures into one-line StoreErrors."""
        try:
            yield self._open()
        except STORE_ERRORS as error:
            raise StoreError(f"cannot {what}: {describe(error)}") from error

    def _read(self, key: str, default: Any) -> Any:
        value = self._open().get(key, default)
        return default if value is None else value

    # -- the lock ----------------------------------------------------------------

    def acquire_lock(
        self,
        scan_id: str,
        kind: str,
        *,
        source: str = "",
        ttl_s: float = DEFAULT_LOCK_TTL_S,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
    ) -> LockHandle | None:
        """Take the scan lock if nobody holds it (atomic set-if-absent); None if held."""
        with self._writing("take the scan lock") as cache:
            return lock.acquire(
                cache,
                self.keys.lock,
                scan_id=scan_id,
                kind=kind,
                source=source,
                ttl_s=ttl_s,
                heartbeat_s=heartbeat_s,
                now=self.clock(),
            )

    def heartbeat(self, handle: LockHandle) -> bool:
        """Renew the lock's TTL if we still own it; False when it is gone or taken."""
        with self._writing("renew the scan lock") as cache:
            return lock.renew(cache, self.keys.lock, handle, self.clock())

    def release_lock(self, handle: LockHandle) -> bool:
        """Delete the lock only if we own it (check and delete in one transaction)."""
        with self._writing("release the scan lock") as cache:
            return lock.release(cache, self.keys.lock, handle, self.clock())

    def lock_holder(self) -> LockInfo | None:
        """The current holder of the lock (None if free). Raises StoreError."""
        with self._writing("read the scan lock") as cache:
            return lock.holder(cache.get(self.keys.lock), self.clock())

    def _owns(self, cache: diskcache.Cache, handle: LockHandle) -> bool:
        """Whether `handle` owns the lock; call inside `cache.transact()`."""
        return lock.owned(cache, self.keys.lock, handle, self.clock()) is not None

    # -- progress, publishing, history --------------------------------------------

    def write_progress(self, handle: LockHandle, record: dict[str, Any] | EncodedJSON) -> bool:
        """Replace the progress record if `handle` still owns the lock; False otherwise.

        The scan passes `Progress.encode(...)`: the record's JSON text, built
        without re-encoding the results of tickers it already wrote.
        """
        with self._writing("write scan progress") as cache, cache.transact():
            if not self._owns(cache, handle):
                return False
            cache.set(self.keys.progress, record)
            return True

    def publish(
        self,
        handle: LockHandle,
        document: dict[str, Any],
        last_run: str,
        *,
        results_ttl_s: float = DEFAULT_RESULTS_TTL_MINUTES * 60,
    ) -> bool:
        """Publish a watchlist scan's SPEC 7 document, atomically, if we own the lock.

        Writes the results and their scan times (both with the results TTL),
        the scan summary and `last_run` in one transaction. False (nothing
        written) when the lock is no longer ours. Raises StoreError.
        """
        results = document["results"]
        now = self.clock()
        finished = (
            document["scan"].get("finished_at") or datetime.fromtimestamp(now, UTC).isoformat()
        )
        scan_times = {ticker: r.get("as_of") or finished for ticker, r in results.items()}
        scan = published_scan_record(document["scan"], now, results_ttl_s)
        with self._writing("publish the results") as cache, cache.transact():
            if not self._owns(cache, handle):
                return False
            cache.set(self.keys.results, results, expire=results_ttl_s)
            cache.set(self.keys.scan_times, scan_times, expire=results_ttl_s)
            cache.set(self.keys.published_scan, scan)
            cache.set(self.keys.last_run, last_run)
            return True

    def set_last_run(self, line: str, handle: LockHandle | None = None) -> bool:
        """Set `last_run`; with a handle, only while it owns the lock."""
        with self._writing("write the last run") as cache, cache.transact():
            if handle is not None and not self._owns(cache, handle):
                return False
            cache.set(self.keys.last_run, line)
            return True

    def append_history(self, entry: dict[str, Any]) -> None:
        """Add a scan to the history, newest first, keeping the last `HISTORY_LIMIT`."""
        with self._writing("write the scan history") as cache, cache.transact():
            history = cache.get(self.keys.history)
            history = history if isinstance(history, list) else []
            cache.set(self.keys.history, [entry, *history][:HISTORY_LIMIT])

    def clear(self) -> LockInfo | None:
        """Delete every key unless a scan holds the lock (returns the holder).

        A stale lock (dead holder) is cleared along with the rest.
        """
        with self._writing("clear the cache") as cache, cache.transact():
            try:
                record = cache.get(self.keys.lock)
            except (ValueError, TypeError, zlib.error):
                record = None
            holder = lock.holder(record, self.clock())
            if holder is not None and not holder.stale:
                return holder
            for key in self.keys.all():
                cache.delete(key)
        return None

    def reset_if_corrupt(self) -> bool:
        """Delete the cache's files when SQLite says they are not a database; True if done.

        Only for corruption: a locked or read-only cache is left alone.
        """
        try:
            self._open().get(self.keys.lock)
            return False
        except sqlite3.DatabaseError as error:
            text = str(error).lower()
            if "not a database" not in text and "malformed" not in text:
                return False
        except STORE_ERRORS:
            return False
        self.close()
        removed = False
        for path in self.directory.glob("cache.db*"):
            path.unlink(missing_ok=True)
            removed = True
        return removed

    # -- readers: never raise ------------------------------------------------------

    def read_results(self, ttl_minutes: float = DEFAULT_RESULTS_TTL_MINUTES) -> PublishedResults:
        """The published watchlist results with their age; never raises."""
        ttl_s = ttl_minutes * 60
        try:
            results, scan_times, record, last_run = self._read_published()
        except STORE_ERRORS as error:
            return PublishedResults.unreadable(ttl_s, read_warning(error))
        if not isinstance(results, dict) or not isinstance(scan_times, dict):
            return PublishedResults.unreadable(ttl_s, "cannot read the results: corrupted")
        now = self.clock()
        scan, results_expire = split_published_scan(record)
        if results_expire is not None and results_expire <= now:
            results, scan_times = {}, {}
        published = parse_time((scan or {}).get("finished_at"))
        age = now - published.timestamp() if published else None
        stale = scan is not None and (not results or (age is not None and age > ttl_s))
        return PublishedResults(
            results=results,
            scan_times=scan_times,
            scan=scan,
            last_run=last_run if isinstance(last_run, str) else None,
            published_at=published,
            age_s=age,
            ttl_s=ttl_s,
            stale=stale,
        )

    def _read_published(self) -> tuple[Any, Any, Any, Any]:
        """The four published keys as one publish wrote them, without the write lock.

        `transact()` would take SQLite's write lock, and readers polling it starve the
        scan's own writes (heartbeat, progress, publish). Instead: read the scan record,
        the rest, then the scan record again; every publish writes a new `published_at`
        in the same transaction, so an unchanged record means nothing was published in
        between. Retried a few times, then read under the lock.
        """
        keys = self.keys
        for _ in range(5):
            first = self._read(keys.published_scan, None)
            results = self._read(keys.results, {})
            scan_times = self._read(keys.scan_times, {})
            last_run = self._read(keys.last_run, None)
            if self._read(keys.published_scan, None) == first:
                return results, scan_times, first, last_run
        with self._open().transact():
            return (
                self._read(keys.results, {}),
                self._read(keys.scan_times, {}),
                self._read(keys.published_scan, None),
                self._read(keys.last_run, None),
            )

    def read_progress(self) -> tuple[Progress | None, str | None]:
        """(the progress record, warning); never raises."""
        try:
            record = self._read(self.keys.progress, None)
            return (Progress.from_record(record) if isinstance(record, dict) else None), None
        except STORE_ERRORS as error:
            return None, read_warning(error)

    def read_status(self) -> StoreStatus:
        """Lock holder (with its stale flag), live progress and last run; never raises."""
        try:
            cache = self._open()
            record = cache.get(self.keys.lock)
            progress = cache.get(self.keys.progress)
            last_run = cache.get(self.keys.last_run)
            return StoreStatus(
                lock=lock.holder(record, self.clock()),
                progress=Progress.from_record(progress) if isinstance(progress, dict) else None,
                last_run=last_run if isinstance(last_run, str) else None,
            )
        except STORE_ERRORS as error:
            return StoreStatus(None, None, None, read_warning(error))

    def read_history(self) -> tuple[list[dict[str, Any]], str | None]:
        """(the last `HISTORY_LIMIT` scans newest first, warning); never raises."""
        try:
            history = self._read(self.keys.history, [])
        except STORE_ERRORS as error:
            return [], read_warning(error)
        if not isinstance(history, list):
            return [], "cannot read the scan history: corrupted"
        return [h for h in history if isinstance(h, dict)], None
