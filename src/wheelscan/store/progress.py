"""A running scan's progress as the store keeps it (SPEC 5): appended, not rewritten.

The record is a header (`ProgressHeader`: scan id, state, done, total,
candidates, errors, how many rows) at `scanner:<ns>:progress`, plus one row per
finished ticker (`ProgressRow`) at `scanner:<ns>:progress:<scan id>:<n>`. A
ticker costs one row and a header rewrite, whatever the watchlist size, and a
watcher reads only the rows after the last one it saw (`read_since`). A new
scan's first append deletes the previous scan's rows.

`Progress` is the whole record of v1 (header and every result in one value),
still written by `Store.write_progress` and returned by `Store.read_progress`
and `read_status` (assembled from the rows when the scan wrote rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

import diskcache

from wheelscan.core.models import ScanState
from wheelscan.core.scan_record import scan_document
from wheelscan.store.codec import EncodedJSON, JSONFragments, read_value
from wheelscan.store.keys import StoreKeys
from wheelscan.store.reader import Snapshot

PROGRESS_FORMAT = 2
"""The `format` field of a header record; a v1 whole record has none."""

_FINISHED = frozenset(str(state) for state in ScanState if state.finished)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _shared_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The fields a whole record (`Progress`) and a header (`ProgressHeader`) both hold,
    read from a stored record, each a default where it is not of the right type."""
    current, scan = record.get("current"), record.get("scan")
    return {
        "scan_id": _str(record.get("scan_id")),
        "kind": _str(record.get("kind")),
        "source": _str(record.get("source")),
        "state": _str(record.get("state"), str(ScanState.PENDING)),
        "done": _int(record.get("done")),
        "total": _int(record.get("total")),
        "current": current if isinstance(current, str) else None,
        "candidates": _int(record.get("candidates")),
        "started": _str(record.get("started")),
        "updated": _str(record.get("updated")),
        "scan": scan if isinstance(scan, dict) else None,
        "message": _str(record.get("message")),
    }


def _copy_shared(source: Progress | ProgressHeader) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _shared_fields({})}


@dataclass(frozen=True)
class Progress:
    """The whole progress record of the current (or last) scan.

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
            **_shared_fields(record),
            errors={str(k): str(v) for k, v in _dict(record.get("errors")).items()},
            results=_dict(record.get("results")),
        )

    @classmethod
    def assemble(cls, header: ProgressHeader, rows: Sequence[ProgressRow]) -> Progress:
        """The whole record of a scan that wrote a header and rows."""
        return cls(
            **_copy_shared(header),
            errors={row.symbol: row.error for row in rows if row.error is not None},
            results={row.symbol: row.result for row in rows if row.result is not None},
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


@dataclass(frozen=True)
class ProgressHeader:
    """The header of a scan's progress: counters, state, and how many rows it wrote.

    `errors` counts the tickers that failed or had an expiration fail (their
    reasons are in the rows). `scan` is the SPEC 7 `scan` object once finished.
    `rows` is set by the store when it appends.
    """

    scan_id: str
    kind: str
    source: str
    state: str
    done: int
    total: int
    candidates: int
    errors: int
    started: str
    updated: str
    current: str | None = None
    scan: dict[str, Any] | None = None
    message: str = ""
    rows: int = 0

    @property
    def finished(self) -> bool:
        return self.state in _FINISHED

    @classmethod
    def from_record(cls, record: Any) -> ProgressHeader | None:
        """The header a stored value holds; None for anything else (v1 records too)."""
        if not isinstance(record, dict) or record.get("format") != PROGRESS_FORMAT:
            return None
        return cls(
            **_shared_fields(record),
            errors=_int(record.get("errors")),
            rows=_int(record.get("rows")),
        )

    @classmethod
    def of(cls, progress: Progress) -> ProgressHeader:
        """The header of a v1 whole record (its rows are not numbered: `rows` is 0)."""
        return cls(**_copy_shared(progress), errors=len(progress.errors))

    def to_json(self) -> dict[str, Any]:
        return {"format": PROGRESS_FORMAT, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class ProgressRow:
    """One finished ticker: its SPEC 7 results object, or why it failed, or both
    (a result whose expirations partly failed). `number` counts from 0 per scan."""

    symbol: str
    result: dict[str, Any] | None = None
    error: str | None = None
    number: int = -1

    @classmethod
    def from_record(cls, number: int, record: Any) -> ProgressRow:
        if not isinstance(record, dict):
            return cls("?", None, "unreadable progress row", number)
        result, error = record.get("result"), record.get("error")
        return cls(
            symbol=_str(record.get("symbol"), "?"),
            result=result if isinstance(result, dict) else None,
            error=error if isinstance(error, str) else None,
            number=number,
        )

    def to_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "result": self.result, "error": self.error}


class ProgressSince(NamedTuple):
    """What `Store.read_progress_since` returns.

    `header` is None when no scan wrote progress. `rows` are the rows after the
    `seen` first ones, or all of them when the header is another scan's than the
    one asked about. `warning` is a one-line message when the cache is unreadable.
    """

    header: ProgressHeader | None
    rows: list[ProgressRow]
    warning: str | None = None


def append(
    cache: diskcache.Cache, keys: StoreKeys, header: ProgressHeader, rows: Sequence[ProgressRow]
) -> ProgressHeader:
    """Append `rows` to `header.scan_id`'s progress and write `header`; returns it as
    written. Call inside the transaction that checked the lock is owned."""
    previous = ProgressHeader.from_record(read_value(cache, keys.progress))
    count = 0
    if previous is not None and previous.scan_id == header.scan_id:
        count = previous.rows
    elif previous is not None:
        for number in range(previous.rows):
            cache.delete(keys.progress_row(previous.scan_id, number))
    for offset, row in enumerate(rows):
        cache.set(keys.progress_row(header.scan_id, count + offset), row.to_json())
    written = replace(header, rows=count + len(rows))
    cache.set(keys.progress, written.to_json())
    return written


def read_rows(
    snapshot: Snapshot, keys: StoreKeys, header: ProgressHeader, start: int
) -> list[ProgressRow]:
    return [
        ProgressRow.from_record(number, snapshot.get(keys.progress_row(header.scan_id, number)))
        for number in range(max(0, start), header.rows)
    ]


def read_since(
    snapshot: Snapshot, keys: StoreKeys, scan_id: str | None, seen: int
) -> tuple[ProgressHeader | None, list[ProgressRow]]:
    record = snapshot.get(keys.progress)
    header = ProgressHeader.from_record(record)
    if header is None:  # a v1 whole record: its rows are not numbered
        v1 = Progress.from_record(record) if isinstance(record, dict) else None
        return (ProgressHeader.of(v1) if v1 is not None else None), []
    return header, read_rows(snapshot, keys, header, seen if header.scan_id == scan_id else 0)


def read_whole(
    snapshot: Snapshot, keys: StoreKeys
) -> tuple[ProgressHeader | None, Progress | None]:
    """(header, whole record): from a v1 record, or a header and all its rows."""
    record = snapshot.get(keys.progress)
    header = ProgressHeader.from_record(record)
    if header is not None:
        return header, Progress.assemble(header, read_rows(snapshot, keys, header, 0))
    whole = Progress.from_record(record) if isinstance(record, dict) else None
    return (ProgressHeader.of(whole) if whole else None), whole
