"""What the store holds: its key names and the records readers get back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from wheelscan.core.models import ScanState
from wheelscan.core.scan_record import scan_document
from wheelscan.store.codec import EncodedJSON, JSONFragments
from wheelscan.store.lock import LockInfo

PREFIX = "scanner:"
HISTORY_LIMIT = 50
DEFAULT_RESULTS_TTL_MINUTES = 45.0
RESULTS_EXPIRY_FIELD = "results_expire_epoch"
"""Store-only field of the published scan record: when its results expire (epoch s)."""

_FINISHED = frozenset(state for state in ScanState if state.finished)


@dataclass(frozen=True)
class StoreKeys:
    """The name of every key the store writes, all under one prefix."""

    results: str
    scan_times: str
    published_scan: str
    last_run: str
    lock: str
    progress: str
    history: str

    @classmethod
    def under(cls, prefix: str) -> StoreKeys:
        return cls(
            results=prefix + "ticker_options",
            scan_times=prefix + "ticker_scan_times",
            published_scan=prefix + "published_scan",
            last_run=prefix + "last_run",
            lock=prefix + "scan_in_progress",
            progress=prefix + "progress",
            history=prefix + "history",
        )

    def all(self) -> tuple[str, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


KEYS = StoreKeys.under(PREFIX)


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Progress:
    """The live progress record of the current (or last) scan.

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
        return self.state in _FINISHED

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Progress:
        return cls(
            scan_id=str(record.get("scan_id", "")),
            kind=str(record.get("kind", "")),
            source=str(record.get("source", "")),
            state=str(record.get("state", ScanState.PENDING)),
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
        """The record as written to the store.

        Shallow on purpose: `results` already holds JSON values, and a deep copy
        (`asdict`) at every ticker made a scan O(n²) (BENCHMARKS.md §5).
        """
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
        return scan_document(self.scan, self.results)


def published_scan_record(
    scan: dict[str, Any], published_at: float, results_ttl_s: float
) -> dict[str, Any]:
    """The published scan record: the SPEC 7 `scan`, when it was published (epoch s),
    and when its results expire (a store-only field, see `split_published_scan`)."""
    return {
        **scan,
        "published_at": datetime.fromtimestamp(published_at, UTC).isoformat(),
        RESULTS_EXPIRY_FIELD: published_at + results_ttl_s,
    }


def split_published_scan(record: Any) -> tuple[dict[str, Any] | None, float | None]:
    """(the `scan` object readers see, when its results expire) from the stored record.

    A record written before the expiry field existed gives None: its results
    then expire only through diskcache.
    """
    if not isinstance(record, dict):
        return None, None
    scan = dict(record)
    expiry = scan.pop(RESULTS_EXPIRY_FIELD, None)
    return scan, float(expiry) if isinstance(expiry, int | float) else None


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

    @classmethod
    def unreadable(cls, ttl_s: float, warning: str) -> PublishedResults:
        return cls({}, {}, None, None, None, None, ttl_s, False, warning)

    @property
    def expired(self) -> bool:
        return not self.results and self.scan is not None

    def document(self) -> dict[str, Any]:
        """The SPEC 7 JSON document of the published results (`scan` may be null)."""
        return scan_document(self.scan, self.results)


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
