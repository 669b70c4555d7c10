"""The scan store: results, scan lock, live progress and history in a diskcache.

Every process on the machine (the terminal app, a cron `refresh`, `status`)
opens the same cache directory; SQLite makes their reads and writes atomic.
Values are JSON only (`SafeJSONDisk`): a cache file someone else can write must
never be able to run code, so rows that claim to be pickles are refused as
corruption. Size eviction is off so the lock can never be evicted.

Readers (`read_results`, `read_status`, `read_history`) never raise: a
missing, locked, corrupted or read-only cache gives empty values and a one-line
`warning`. Writers raise `StoreError` with a one-line message.

This module imports only the standard library, diskcache and wheelscan.paths,
so `wheelscan status` and `wheelscan results` start fast.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN

from wheelscan.paths import cache_dir, private_dir

PREFIX = "scanner:"
KEY_RESULTS = PREFIX + "ticker_options"
KEY_SCAN_TIMES = PREFIX + "ticker_scan_times"
KEY_PUBLISHED_SCAN = PREFIX + "published_scan"
KEY_LAST_RUN = PREFIX + "last_run"
KEY_LOCK = PREFIX + "scan_in_progress"
KEY_PROGRESS = PREFIX + "progress"
KEY_HISTORY = PREFIX + "history"
ALL_KEYS = (
    KEY_RESULTS,
    KEY_SCAN_TIMES,
    KEY_PUBLISHED_SCAN,
    KEY_LAST_RUN,
    KEY_LOCK,
    KEY_PROGRESS,
    KEY_HISTORY,
)

HISTORY_LIMIT = 50
DEFAULT_RESULTS_TTL_MINUTES = 45.0
DEFAULT_LOCK_TTL_S = 60.0
DEFAULT_HEARTBEAT_S = 15.0
LOCK_TTL_ENV = "WHEELSCAN_LOCK_TTL"
"""Seconds; overrides the lock TTL (the heartbeat becomes a quarter of it). A test knob."""

READ_TIMEOUT_S = 5.0
WRITE_TIMEOUT_S = 20.0
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

SCAN_STATES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED")
FINISHED_STATES = ("SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED")


class StoreError(Exception):
    """The cache cannot be opened, read or written; the message is one line."""


class CorruptValueError(ValueError):
    """A cache row that is not compressed JSON (e.g. a pickle planted in the file)."""


@dataclass(frozen=True)
class EncodedJSON:
    """A value already encoded as JSON text, which `SafeJSONDisk` stores as it is.

    Readers get the decoded value back, exactly as if the decoded value had been
    written. It exists for `scanner:progress` (see `Progress.encode`); the text
    must be valid JSON, or readers see a corrupted value.
    """

    text: str


class JSONFragments:
    """The JSON text of each ticker's result, encoded once per result object.

    `scanner:progress` is rewritten after every ticker with all the results so
    far. Re-encoding them each time made the scan O(n²): for 100 demo tickers
    the record reaches ~265-295 KB, `json.dumps` of it takes 5-10 ms (float
    repr), ~0.5 s of GIL-holding CPU per scan (seconds for 500 tickers) that
    starved the terminal app's event loop. With the texts cached, a write costs
    a join and zlib of the record: 0.48-0.57 -> 0.21 s of CPU per 100-ticker
    demo scan, 4.9 -> 1.4 s for 300 (what is left is mostly zlib).

    A cached text is reused only while the very same object (`is`) comes again,
    so a replaced result is re-encoded; values must not be mutated in place
    (each is a fresh `TickerResult.to_json()`).
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[Any, str]] = {}

    def text(self, key: str, value: Any) -> str:
        cached = self._texts.get(key)
        if cached is None or cached[0] is not value:
            cached = (value, json.dumps(value))
            self._texts[key] = cached
        return cached[1]

    def object_text(self, values: Mapping[str, Any]) -> str:
        """`json.dumps(values)`, assembled from the cached texts of its values."""
        items = (f"{json.dumps(key)}: {self.text(key, value)}" for key, value in values.items())
        return "{" + ", ".join(items) + "}"


class SafeJSONDisk(diskcache.JSONDisk):
    """diskcache's JSONDisk that refuses the pickle paths of the base `Disk`.

    JSONDisk writes keys and values as zlib-compressed JSON bytes, but its
    readers fall back to `pickle.load` when a row says it holds a pickle. Rows
    are written only by wheelscan, so such a row is corruption, never code.
    An `EncodedJSON` value is compressed as it is instead of through `json.dumps`.
    """

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> Any:
        if isinstance(value, EncodedJSON):
            data = zlib.compress(value.text.encode("utf-8"), self.compress_level)
            return diskcache.Disk.store(self, data, False, key=key)
        return super().store(value, read, key=key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise CorruptValueError("cache key is not JSON")
        return super().get(key, raw)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if read or mode not in (MODE_RAW, MODE_BINARY):
            raise CorruptValueError("cache value is not JSON")
        return super().fetch(mode, filename, value, read)


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def lock_ttl_from_env(default: float = DEFAULT_LOCK_TTL_S) -> float:
    """The lock TTL, overridden by `$WHEELSCAN_LOCK_TTL` (seconds) when set and valid."""
    value = os.environ.get(LOCK_TTL_ENV)
    try:
        ttl = float(value) if value else default
    except ValueError:
        return default
    return ttl if ttl > 0 else default


def _hostname() -> str:
    """This machine's name as lock records hold it. `socket` (like `uuid` in
    `acquire_lock`) is imported on use: only lock code needs them, and importing
    both at the top adds 5-8 ms to every `status` and `results` call."""
    import socket

    return socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


@dataclass(frozen=True)
class LockHandle:
    """What the owner of the scan lock keeps: the token proves ownership."""

    token: str
    scan_id: str
    kind: str
    ttl_s: float


@dataclass(frozen=True)
class LockInfo:
    """The lock as any process sees it.

    `stale` is True when the holder is on this host and its process is gone,
    or when it missed its heartbeats; a stale lock still blocks new scans
    until its TTL (`expires_in_s`) runs out.
    """

    token: str
    pid: int
    host: str
    scan_id: str
    kind: str
    source: str
    started: str
    heartbeat: str
    ttl_s: float
    heartbeat_s: float
    stale: bool
    stale_reason: str
    heartbeat_age_s: float
    expires_in_s: float

    @classmethod
    def from_record(cls, record: dict[str, Any], now: float | None = None) -> LockInfo:
        now = time.time() if now is None else now
        pid = int(record.get("pid", 0))
        host = str(record.get("host", ""))
        ttl = float(record.get("ttl_s", DEFAULT_LOCK_TTL_S))
        beat_every = float(record.get("heartbeat_s", DEFAULT_HEARTBEAT_S))
        beat_epoch = float(record.get("heartbeat_epoch", now))
        age = max(0.0, now - beat_epoch)
        reason = ""
        if pid and host == _hostname() and not _pid_alive(pid):
            reason = f"process {pid} is not running"
        elif age > 2 * beat_every + 1:
            reason = f"no heartbeat for {age:.0f} s"
        return cls(
            token=str(record.get("token", "")),
            pid=pid,
            host=host,
            scan_id=str(record.get("scan_id", "")),
            kind=str(record.get("kind", "")),
            source=str(record.get("source", "")),
            started=str(record.get("started", "")),
            heartbeat=str(record.get("heartbeat", "")),
            ttl_s=ttl,
            heartbeat_s=beat_every,
            stale=bool(reason),
            stale_reason=reason,
            heartbeat_age_s=age,
            expires_in_s=max(0.0, beat_epoch + ttl - now),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Progress:
    """The live `scanner:progress` record of the current (or last) scan.

    `results` holds the partial results so far ({ticker: SPEC 7 results
    object}); once the scan has finished, `scan` holds its SPEC 7 `scan`
    object, so `results`+`scan` form the scan's whole document.
    """

    scan_id: str
    kind: str
    source: str
    state: str
    done: int
    total: int
    current: str | None
    candidates: int
    errors: dict[str, str]
    started: str
    updated: str
    results: dict[str, Any] = field(default_factory=dict)
    scan: dict[str, Any] | None = None
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Progress:
        return cls(
            scan_id=str(record.get("scan_id", "")),
            kind=str(record.get("kind", "")),
            source=str(record.get("source", "")),
            state=str(record.get("state", "PENDING")),
            done=int(record.get("done", 0)),
            total=int(record.get("total", 0)),
            current=record.get("current"),
            candidates=int(record.get("candidates", 0)),
            errors=dict(record.get("errors") or {}),
            started=str(record.get("started", "")),
            updated=str(record.get("updated", "")),
            results=dict(record.get("results") or {}),
            scan=record.get("scan"),
            message=str(record.get("message", "")),
        )

    def to_json(self, with_results: bool = True) -> dict[str, Any]:
        """The record as written to the store. Shallow on purpose: `results` already
        holds JSON values, and `asdict` deep-copied all of them at every ticker (O(n²)
        over a scan: seconds of CPU for 100 tickers, stalling the app's event loop)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if not with_results:
            data.pop("results")
        return data

    def encode(self, fragments: JSONFragments) -> EncodedJSON:
        """The record as `json.dumps(self.to_json())` text, with `results` assembled
        from `fragments` so each ticker's result is encoded once per scan."""
        parts = (
            f"{json.dumps(name)}: "
            + (fragments.object_text(value) if name == "results" else json.dumps(value))
            for name, value in self.to_json().items()
        )
        return EncodedJSON("{" + ", ".join(parts) + "}")

    def document(self) -> dict[str, Any] | None:
        """The SPEC 7 document of a finished scan, else None."""
        if not self.finished or self.scan is None:
            return None
        return {"schema": 1, "scan": self.scan, "results": self.results}


@dataclass(frozen=True)
class PublishedResults:
    """The latest published watchlist results and how old they are.

    `results` is {ticker: SPEC 7 results object}, empty when nothing is
    published or the results expired (TTL). `scan` is the SPEC 7 `scan` object
    of the scan that published them (kept after the results expire, so readers
    can say how old the last results were). `stale` is True when the results
    are older than `ttl_s` or have expired. `warning` is a one-line message
    when the cache could not be read (the other fields are then empty).
    """

    results: dict[str, Any]
    scan_times: dict[str, str]
    scan: dict[str, Any] | None
    last_run: str | None
    published_at: datetime | None
    age_s: float | None
    ttl_s: float
    stale: bool
    warning: str | None = None

    @property
    def expired(self) -> bool:
        return not self.results and self.scan is not None

    def document(self) -> dict[str, Any]:
        """The SPEC 7 JSON document of the published results (`scan` may be null)."""
        return {"schema": 1, "scan": self.scan, "results": self.results}


@dataclass(frozen=True)
class StoreStatus:
    """What `wheelscan status` shows: the lock holder, live progress, the last run."""

    lock: LockInfo | None
    progress: Progress | None
    last_run: str | None
    warning: str | None = None

    @property
    def running(self) -> bool:
        return self.lock is not None

    @property
    def interrupted(self) -> bool:
        """The progress record says RUNNING but no lock is held for that scan (it died)."""
        return (
            self.progress is not None
            and not self.progress.finished
            and (self.lock is None or self.lock.scan_id != self.progress.scan_id)
        )


def _describe(error: BaseException) -> str:
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


class Store:
    """The diskcache of SPEC 5 at `directory` (default: `paths.cache_dir()`).

    Opening is lazy: the first operation opens the cache. All methods are
    blocking and safe to call from any thread.
    """

    def __init__(self, directory: Path | None = None, *, timeout: float = WRITE_TIMEOUT_S) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.timeout = timeout
        self._cache: diskcache.Cache | None = None

    # -- opening ---------------------------------------------------------------

    def _open(self) -> diskcache.Cache:
        if self._cache is None:
            private_dir(self.directory)
            cache = diskcache.Cache(
                str(self.directory),
                timeout=self.timeout,
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
            raise StoreError(f"cannot {what}: {_describe(error)}") from error

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
        import uuid

        token = uuid.uuid4().hex
        now = utc_now()
        record = {
            "token": token,
            "pid": os.getpid(),
            "host": _hostname(),
            "scan_id": scan_id,
            "kind": kind,
            "source": source,
            "started": now.isoformat(),
            "heartbeat": now.isoformat(),
            "heartbeat_epoch": now.timestamp(),
            "ttl_s": ttl_s,
            "heartbeat_s": heartbeat_s,
        }
        with self._writing("take the scan lock") as cache:
            if cache.add(KEY_LOCK, record, expire=ttl_s):
                return LockHandle(token=token, scan_id=scan_id, kind=kind, ttl_s=ttl_s)
        return None

    def _owned(self, cache: diskcache.Cache, handle: LockHandle) -> dict[str, Any] | None:
        """The lock record when `handle` owns it; call inside `cache.transact()`."""
        record = cache.get(KEY_LOCK)
        if isinstance(record, dict) and record.get("token") == handle.token:
            return record
        return None

    def heartbeat(self, handle: LockHandle) -> bool:
        """Renew the lock's TTL if we still own it; False when it is gone or taken.

        The record is re-set (not just touched) so readers see the heartbeat time.
        """
        with self._writing("renew the scan lock") as cache, cache.transact():
            record = self._owned(cache, handle)
            if record is None:
                return False
            now = utc_now()
            record["heartbeat"] = now.isoformat()
            record["heartbeat_epoch"] = now.timestamp()
            cache.set(KEY_LOCK, record, expire=handle.ttl_s)
            return True

    def release_lock(self, handle: LockHandle) -> bool:
        """Delete the lock only if we own it (check and delete in one transaction)."""
        with self._writing("release the scan lock") as cache, cache.transact():
            if self._owned(cache, handle) is None:
                return False
            cache.delete(KEY_LOCK)
            return True

    def owns_lock(self, handle: LockHandle) -> bool:
        with self._writing("read the scan lock") as cache:
            record = cache.get(KEY_LOCK)
        return isinstance(record, dict) and record.get("token") == handle.token

    def lock_holder(self) -> LockInfo | None:
        """The current holder of the lock (None if free). Raises StoreError."""
        with self._writing("read the scan lock") as cache:
            record = cache.get(KEY_LOCK)
        return LockInfo.from_record(record) if isinstance(record, dict) else None

    # -- progress, publishing, history --------------------------------------------

    def write_progress(self, handle: LockHandle, record: dict[str, Any] | EncodedJSON) -> bool:
        """Replace `scanner:progress` if `handle` still owns the lock; False otherwise.

        The scan passes `Progress.encode(...)`: the record's JSON text, built
        without re-encoding the results of tickers it already wrote.
        """
        with self._writing("write scan progress") as cache, cache.transact():
            if self._owned(cache, handle) is None:
                return False
            cache.set(KEY_PROGRESS, record)
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

        Writes `ticker_options`, `ticker_scan_times` (both with the results TTL),
        the scan summary and `last_run` in one transaction. False (nothing
        written) when the lock is no longer ours. Raises StoreError.
        """
        results = document["results"]
        scan = document["scan"]
        finished = scan.get("finished_at") or utc_now().isoformat()
        scan_times = {ticker: r.get("as_of") or finished for ticker, r in results.items()}
        with self._writing("publish the results") as cache, cache.transact():
            if self._owned(cache, handle) is None:
                return False
            cache.set(KEY_RESULTS, results, expire=results_ttl_s)
            cache.set(KEY_SCAN_TIMES, scan_times, expire=results_ttl_s)
            cache.set(KEY_PUBLISHED_SCAN, {**scan, "published_at": utc_now().isoformat()})
            cache.set(KEY_LAST_RUN, last_run)
            return True

    def set_last_run(self, line: str, handle: LockHandle | None = None) -> bool:
        """Set `last_run`; with a handle, only while it owns the lock."""
        with self._writing("write the last run") as cache, cache.transact():
            if handle is not None and self._owned(cache, handle) is None:
                return False
            cache.set(KEY_LAST_RUN, line)
            return True

    def append_history(self, entry: dict[str, Any]) -> None:
        """Add a scan to `scanner:history`, newest first, keeping the last 50."""
        with self._writing("write the scan history") as cache, cache.transact():
            history = cache.get(KEY_HISTORY)
            history = history if isinstance(history, list) else []
            cache.set(KEY_HISTORY, [entry, *history][:HISTORY_LIMIT])

    def clear(self) -> LockInfo | None:
        """Delete every `scanner:` key unless a scan holds the lock (returns the holder).

        A stale lock (dead holder) is cleared along with the rest.
        """
        with self._writing("clear the cache") as cache, cache.transact():
            try:
                record = cache.get(KEY_LOCK)
            except (ValueError, TypeError, zlib.error):
                record = None
            if isinstance(record, dict):
                holder = LockInfo.from_record(record)
                if not holder.stale:
                    return holder
            for key in ALL_KEYS:
                cache.delete(key)
        return None

    def reset_if_corrupt(self) -> bool:
        """Delete the cache's files when SQLite says they are not a database; True if done.

        Only for corruption: a locked or read-only cache is left alone.
        """
        try:
            self._open().get(KEY_LOCK)
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
            results, scan_times, scan, last_run = self._read_published()
        except STORE_ERRORS as error:
            return PublishedResults({}, {}, None, None, None, None, ttl_s, False, _warn(error))
        if not isinstance(results, dict) or not isinstance(scan_times, dict):
            return PublishedResults(
                {}, {}, None, None, None, None, ttl_s, False, "cannot read the results: corrupted"
            )
        scan = scan if isinstance(scan, dict) else None
        published = parse_time((scan or {}).get("finished_at"))
        age = (utc_now() - published).total_seconds() if published else None
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
        for _ in range(5):
            first = self._read(KEY_PUBLISHED_SCAN, None)
            results = self._read(KEY_RESULTS, {})
            scan_times = self._read(KEY_SCAN_TIMES, {})
            last_run = self._read(KEY_LAST_RUN, None)
            if self._read(KEY_PUBLISHED_SCAN, None) == first:
                return results, scan_times, first, last_run
        with self._open().transact():
            return (
                self._read(KEY_RESULTS, {}),
                self._read(KEY_SCAN_TIMES, {}),
                self._read(KEY_PUBLISHED_SCAN, None),
                self._read(KEY_LAST_RUN, None),
            )

    def read_progress(self) -> tuple[Progress | None, str | None]:
        """(`scanner:progress`, warning); never raises."""
        try:
            record = self._read(KEY_PROGRESS, None)
            return (Progress.from_record(record) if isinstance(record, dict) else None), None
        except STORE_ERRORS as error:
            return None, _warn(error)

    def read_status(self) -> StoreStatus:
        """Lock holder (with its stale flag), live progress and last run; never raises."""
        try:
            cache = self._open()
            lock = cache.get(KEY_LOCK)
            progress = cache.get(KEY_PROGRESS)
            last_run = cache.get(KEY_LAST_RUN)
            return StoreStatus(
                lock=LockInfo.from_record(lock) if isinstance(lock, dict) else None,
                progress=Progress.from_record(progress) if isinstance(progress, dict) else None,
                last_run=last_run if isinstance(last_run, str) else None,
            )
        except STORE_ERRORS as error:
            return StoreStatus(None, None, None, _warn(error))

    def read_history(self) -> tuple[list[dict[str, Any]], str | None]:
        """(the last 50 scans newest first, warning); never raises."""
        try:
            history = self._read(KEY_HISTORY, [])
        except STORE_ERRORS as error:
            return [], _warn(error)
        if not isinstance(history, list):
            return [], "cannot read the scan history: corrupted"
        return [h for h in history if isinstance(h, dict)], None


def _warn(error: BaseException) -> str:
    return f"cannot read the cache: {_describe(error)}"


def open_store(directory: Path | None = None) -> Store:
    """A Store on `directory` or the default cache dir (`$WHEELSCAN_HOME/cache`)."""
    return Store(directory)
