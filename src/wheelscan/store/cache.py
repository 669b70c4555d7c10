"""The scan store: results, scan lock, live progress and history in a diskcache.

Every process on the machine (the terminal app, a cron `refresh`, `status`)
opens the same cache directory; SQLite makes their reads and writes atomic.
A `Store` works in one namespace (SPEC 5: `yahoo`, `demo`, `snapshot:<digest>`,
see `keys.source_namespace`): its results, lock, progress and last run are
that source's alone; the history is shared.

Readers (`read_results`, `read_status`, `read_progress*`, `read_history`,
`lock_holder`) open SQLite read-only (`reader`): they never write, never wait
for a writer, and work on a read-only or full disk. They never raise but
`lock_holder`: a missing, corrupted or unreadable cache gives empty values and
a one-line `warning`. Writers (`opening`) raise StoreError with a one-line
message and wait at most a few seconds for another process's write.

Time comes from `clock` (epoch seconds, `time.time` by default): lock expiry
and results freshness are decided by it, so tests advance a fake clock.

This package imports only the standard library, diskcache, wheelscan.paths and
the numpy-free core records, so `wheelscan status` and `wheelscan results` start fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import diskcache

from wheelscan.core.sources import SourceSpec
from wheelscan.paths import cache_dir
from wheelscan.store import lock, progress, repair
from wheelscan.store.codec import UNREADABLE_VALUE, EncodedJSON, read_value
from wheelscan.store.errors import (
    STORE_ERRORS,
    StoreError,
    describe,
    is_locked,
    read_warning,
)
from wheelscan.store.keys import DEFAULT_NAMESPACE, StoreKeys, source_namespace
from wheelscan.store.lock import (
    DEFAULT_HEARTBEAT_S,
    DEFAULT_LOCK_TTL_S,
    EpochClock,
    LockHandle,
    LockInfo,
)
from wheelscan.store.opening import open_writer
from wheelscan.store.progress import Progress, ProgressHeader, ProgressRow, ProgressSince
from wheelscan.store.reader import Snapshot, read_snapshot
from wheelscan.store.records import (
    DEFAULT_RESULTS_TTL_MINUTES,
    HISTORY_LIMIT,
    PublishedResults,
    StoreStatus,
    published_scan_record,
)


class Store:
    """The diskcache of SPEC 5 at `directory` (default: `paths.cache_dir()`), seen
    through one `namespace` (default `yahoo`; `Store.for_source` picks it).

    Opening is lazy and only writers open for writing. All methods are blocking
    and safe to call from any thread.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        clock: EpochClock = time.time,
    ) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.namespace = namespace
        self.clock = clock
        self.keys = StoreKeys.for_namespace(namespace)
        self._cache: diskcache.Cache | None = None

    @classmethod
    def for_source(
        cls,
        source: SourceSpec | str,
        directory: Path | None = None,
        *,
        clock: EpochClock = time.time,
    ) -> Store:
        """The store of `source`'s namespace. Raises SourceSpecError for a bad text."""
        return cls(directory, namespace=source_namespace(source), clock=clock)

    # -- opening ---------------------------------------------------------------

    def _open(self) -> diskcache.Cache:
        """The cache opened for writing (created 0700/0600 if missing)."""
        if self._cache is None:
            self._cache = open_writer(self.directory)
        return self._cache

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, what: str, error: BaseException) -> StoreError:
        return StoreError(f"cannot {what}: {describe(error, self.directory)}")

    @contextmanager
    def _writing(self, what: str) -> Iterator[diskcache.Cache]:
        """Open the cache and turn its failures into one-line StoreErrors."""
        try:
            yield self._open()
        except STORE_ERRORS as error:
            raise self._error(what, error) from error

    @contextmanager
    def _owning(self, what: str, handle: LockHandle) -> Iterator[diskcache.Cache | None]:
        """A write transaction, yielding the cache while `handle` owns the lock, else None."""
        with self._writing(what) as cache, cache.transact():
            yield cache if lock.owned(cache, self.keys.lock, handle, self.clock()) else None

    def _warning(self, error: BaseException) -> str:
        return read_warning(error, self.directory)

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
        """Take this namespace's scan lock unless a live owner holds it; None if held.

        A dead owner's lock (this host, pid gone or reused), an expired one or an
        unreadable row is taken over in the same transaction (`LockHandle.replaced`).
        When another process holds SQLite's write lock past the timeout, a live
        lock holder means None (locked); otherwise StoreError.
        """
        try:
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
        except StoreError as error:
            if not is_locked(error.__cause__):
                raise
            try:
                holder = self.lock_holder()
            except StoreError:
                holder = None
            if holder is None:
                raise
            return None

    def heartbeat(self, handle: LockHandle) -> bool:
        """Renew the lock's TTL if we still own it; False when it is gone or taken."""
        with self._writing("renew the scan lock") as cache:
            return lock.renew(cache, self.keys.lock, handle, self.clock())

    def release_lock(self, handle: LockHandle) -> bool:
        """Delete the lock only if we own it (check and delete in one transaction)."""
        with self._writing("release the scan lock") as cache:
            return lock.release(cache, self.keys.lock, handle, self.clock())

    def lock_holder(self) -> LockInfo | None:
        """Who holds the lock so that a new scan must wait (None if free). Raises StoreError."""
        try:
            with read_snapshot(self.directory) as snapshot:
                value = self._lock_value(snapshot)
        except STORE_ERRORS as error:
            raise self._error("read the scan lock", error) from error
        return lock.holder(value, self.clock())

    def _lock_value(self, snapshot: Snapshot | None) -> Any:
        """The lock row's value; an undecodable row reads as a record that is no lock."""
        if snapshot is None:
            return None
        try:
            return snapshot.get(self.keys.lock)
        except (*UNREADABLE_VALUE, OSError):
            return "unreadable"

    # -- progress ------------------------------------------------------------------

    def append_progress(
        self, handle: LockHandle, header: ProgressHeader, rows: Sequence[ProgressRow] = ()
    ) -> ProgressHeader | None:
        """Append finished tickers and write the header, if `handle` owns the lock.

        One transaction; the cost is the rows given, not the rows so far. The
        first append of a scan deletes the previous scan's rows. Returns the
        header as written (its `rows` counts every row of the scan), None when
        the lock is no longer ours. Raises StoreError.
        """
        with self._owning("write scan progress", handle) as cache:
            return None if cache is None else progress.append(cache, self.keys, header, rows)

    def read_progress_since(self, scan_id: str | None, seen: int) -> ProgressSince:
        """The progress header and the rows after the first `seen` of scan `scan_id`
        (all rows when the header is another scan's); never raises."""
        try:
            with read_snapshot(self.directory) as snapshot:
                if snapshot is None:
                    return ProgressSince(None, [])
                header, rows = progress.read_since(snapshot, self.keys, scan_id, seen)
        except STORE_ERRORS as error:
            return ProgressSince(None, [], self._warning(error))
        return ProgressSince(header, rows)

    def write_progress(self, handle: LockHandle, record: dict[str, Any] | EncodedJSON) -> bool:
        """Replace the progress with a whole (v1) record if `handle` still owns the lock.

        The scan passes `Progress.encode(...)`: the record's JSON text, built
        without re-encoding the results of tickers it already wrote. Kept until
        the scan appends instead (`append_progress`).
        """
        with self._owning("write scan progress", handle) as cache:
            if cache is None:
                return False
            cache.set(self.keys.progress, record)
            return True

    def read_progress(self) -> tuple[Progress | None, str | None]:
        """(the whole progress record, warning); never raises."""
        try:
            with read_snapshot(self.directory) as snapshot:
                _, whole = progress.read_whole(snapshot, self.keys) if snapshot else (None, None)
        except STORE_ERRORS as error:
            return None, self._warning(error)
        return whole, None

    # -- publishing, history ----------------------------------------------------------

    def publish(
        self,
        handle: LockHandle,
        document: dict[str, Any],
        last_run: str,
        *,
        results_ttl_s: float | None = None,
    ) -> bool:
        """Publish a watchlist scan's SPEC 7 document, atomically, if we own the lock.

        Writes the results, their scan times, the scan record and `last_run` in
        one transaction; they stay until the next publish in this namespace or
        `cache clear` (`results_ttl_s` is accepted for the current scan job and
        not used: freshness is the reader's TTL). False (nothing written) when
        the lock is no longer ours. Raises StoreError.
        """
        del results_ttl_s
        results = document["results"]
        now = self.clock()
        finished = (
            document["scan"].get("finished_at") or datetime.fromtimestamp(now, UTC).isoformat()
        )
        scan_times = {ticker: r.get("as_of") or finished for ticker, r in results.items()}
        with self._owning("publish the results", handle) as cache:
            if cache is None:
                return False
            cache.set(self.keys.results, results)
            cache.set(self.keys.scan_times, scan_times)
            cache.set(
                self.keys.published_scan,
                published_scan_record(document["scan"], now, self.namespace),
            )
            cache.set(self.keys.last_run, last_run)
            return True

    def set_last_run(self, line: str, handle: LockHandle | None = None) -> bool:
        """Set `last_run`; with a handle, only while it owns the lock."""
        with self._writing("write the last run") as cache, cache.transact():
            owner = handle is None or lock.owned(cache, self.keys.lock, handle, self.clock())
            if not owner:
                return False
            cache.set(self.keys.last_run, line)
            return True

    def append_history(self, entry: dict[str, Any]) -> None:
        """Add a scan to the shared history, newest first, keeping the last
        `HISTORY_LIMIT`; the entry is marked with this store's namespace."""
        entry = {**entry, "source_namespace": entry.get("source_namespace", self.namespace)}
        with self._writing("write the scan history") as cache, cache.transact():
            history = read_value(cache, self.keys.history)
            history = history if isinstance(history, list) else []
            cache.set(self.keys.history, [entry, *history][:HISTORY_LIMIT])

    # -- clearing and repair ----------------------------------------------------------

    def clear(self) -> LockInfo | None:
        """Delete every key of every namespace unless a live scan holds a lock
        (returns that holder). Dead or expired locks go with the rest. Raises StoreError."""
        with self._writing("clear the cache") as cache, cache.transact():
            return repair.clear(cache, self.directory, self.clock())

    def reset_if_corrupt(self) -> bool:
        """Repair a cache SQLite cannot read: delete its files (`cache.db`, `-wal`,
        `-shm`) when the database is damaged, or an empty directory named
        `cache.db`; True if it did. Anything else is left alone: the StoreError of
        the failed operation says which file to delete."""
        self.close()
        return repair.reset_if_corrupt(self.directory)

    # -- readers: never raise ------------------------------------------------------

    def read_results(self, ttl_minutes: float = DEFAULT_RESULTS_TTL_MINUTES) -> PublishedResults:
        """The published watchlist results with their age and freshness; never raises."""
        ttl_s = ttl_minutes * 60
        try:
            with read_snapshot(self.directory) as snapshot:
                if snapshot is None:
                    return PublishedResults.empty(ttl_s, namespace=self.namespace)
                results, scan_times, scan, last_run = (
                    snapshot.get(key) for key in self.keys.published()
                )
                if scan is None:
                    snapshot.raise_if_damaged()
                holder = lock.holder(self._lock_value(snapshot), self.clock())
        except STORE_ERRORS as error:
            return PublishedResults.empty(ttl_s, self._warning(error), self.namespace)
        return PublishedResults.read(
            (results, scan_times, scan, last_run),
            now=self.clock(),
            ttl_s=ttl_s,
            namespace=self.namespace,
            warning=holder.stuck_warning if holder is not None else None,
        )

    def read_status(self) -> StoreStatus:
        """Lock holder, progress and last run of this namespace; never raises."""
        try:
            with read_snapshot(self.directory) as snapshot:
                if snapshot is None:
                    return StoreStatus(None, None, None)
                value = self._lock_value(snapshot)
                header, whole = progress.read_whole(snapshot, self.keys)
                last_run = snapshot.get(self.keys.last_run)
                if value is None and whole is None and last_run is None:
                    snapshot.raise_if_damaged()
        except STORE_ERRORS as error:
            return StoreStatus(None, None, None, self._warning(error))
        return StoreStatus(
            lock=lock.holder(value, self.clock()),
            progress=whole,
            last_run=last_run if isinstance(last_run, str) else None,
            warning=lock.unreadable_warning(value),
            header=header,
        )

    def read_history(self) -> tuple[list[dict[str, Any]], str | None]:
        """(the last `HISTORY_LIMIT` scans of every source, newest first, warning); never raises."""
        try:
            with read_snapshot(self.directory) as snapshot:
                history = snapshot.get(self.keys.history) if snapshot else []
                if history is None and snapshot is not None:
                    snapshot.raise_if_damaged()
        except STORE_ERRORS as error:
            return [], self._warning(error)
        if history is None:
            return [], None
        if not isinstance(history, list):
            return [], "cannot read the scan history: corrupted (run `wheelscan cache clear`)"
        return [h for h in history if isinstance(h, dict)], None
