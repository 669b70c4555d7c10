"""What readers get back from the store: published results and the store's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wheelscan.core.scan_record import scan_document
from wheelscan.store.keys import KEYS, PREFIX, StoreKeys
from wheelscan.store.lock import LockInfo
from wheelscan.store.progress import Progress, ProgressHeader

HISTORY_LIMIT = 50
DEFAULT_RESULTS_TTL_MINUTES = 45.0

__all__ = [
    "DEFAULT_RESULTS_TTL_MINUTES",
    "HISTORY_LIMIT",
    "KEYS",
    "PREFIX",
    "Progress",
    "PublishedResults",
    "StoreKeys",
    "StoreStatus",
    "parse_time",
    "published_scan_record",
    "utc_now",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(text: Any) -> datetime | None:
    if not text or not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def published_scan_record(
    scan: dict[str, Any], published_at: float, namespace: str
) -> dict[str, Any]:
    """The published scan record: the SPEC 7 `scan`, when it was published, and the
    store namespace it was published in (`scan.source_namespace`, SPEC 7 schema 2)."""
    published = datetime.fromtimestamp(published_at, UTC).isoformat()
    return {**scan, "published_at": published, "source_namespace": namespace}


@dataclass(frozen=True)
class PublishedResults:
    """The latest published watchlist results of one namespace and how old they are.

    Results stay until a newer successful watchlist scan of the same source
    replaces them or `cache clear` (SPEC 5): `ttl_s` only decides `stale`
    (older than the TTL, or of unknown age) versus `fresh`. `results` is
    {ticker: SPEC 7 results object}, `scan` the SPEC 7 `scan` object that
    published them (None when nothing is published). `warning` is a one-line
    message: the cache could not be read (then everything is empty), or what was
    read may be behind a scan that is stuck.
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
    namespace: str = ""

    @classmethod
    def empty(
        cls, ttl_s: float, warning: str | None = None, namespace: str = ""
    ) -> PublishedResults:
        """Nothing published (or nothing readable, with the `warning` saying why)."""
        return cls({}, {}, None, None, None, None, ttl_s, False, warning, namespace)

    @classmethod
    def read(
        cls,
        values: tuple[Any, Any, Any, Any],
        *,
        now: float,
        ttl_s: float,
        namespace: str,
        warning: str | None,
    ) -> PublishedResults:
        """The published results from the values of `StoreKeys.published()` as read
        (results, scan times, scan record, last run), their age reckoned at `now`."""
        results, scan_times, scan, last_run = values
        if scan is None and results is None:
            results, scan_times = {}, {}
        if not isinstance(results, dict) or not isinstance(scan_times, dict):
            corrupted = "cannot read the results: corrupted (run `wheelscan cache clear`)"
            return cls.empty(ttl_s, corrupted, namespace)
        scan = scan if isinstance(scan, dict) else None
        published = parse_time((scan or {}).get("finished_at"))
        age = now - published.timestamp() if published else None
        return cls(
            results=results if scan is not None else {},
            scan_times=scan_times if scan is not None else {},
            scan=scan,
            last_run=last_run if isinstance(last_run, str) else None,
            published_at=published,
            age_s=age,
            ttl_s=ttl_s,
            stale=scan is not None and (age is None or age > ttl_s),
            warning=warning,
            namespace=namespace,
        )

    @property
    def fresh(self) -> bool:
        return self.scan is not None and not self.stale

    @property
    def expired(self) -> bool:
        """Always False: v2 results never expire, they turn stale (`stale`). Kept until
        the views stop asking."""
        return False

    def document(self) -> dict[str, Any]:
        """The SPEC 7 JSON document of the published results (`scan` may be null)."""
        return scan_document(self.scan, self.results)


@dataclass(frozen=True)
class StoreStatus:
    """What `wheelscan status` shows for one namespace: the lock holder, progress,
    the last run.

    `header` is the progress header and `progress` the whole record (for a scan
    that appends rows, assembled from all of them).
    """

    lock: LockInfo | None
    progress: Progress | None
    last_run: str | None
    warning: str | None = None
    header: ProgressHeader | None = None

    @property
    def running(self) -> bool:
        return self.lock is not None

    @property
    def interrupted(self) -> bool:
        """The progress says RUNNING but no live lock is held for that scan (it died)."""
        return (
            self.progress is not None
            and not self.progress.finished
            and (self.lock is None or self.lock.scan_id != self.progress.scan_id)
        )
