"""The record of one scan (SPEC 7), built here for every state and nowhere else.

A scan is written three ways: the JSON document (`schema`, `scan`, `results`)
that `scan --json` prints and the store publishes, the `scan` object inside it,
and the shorter entry of `scanner:history`. A succeeded or failed scan's `scan`
object comes from the engine's report; a scan that never produced one (skipped
at the market gate, or broken before the engine returned) passes its figures
to `scan_object` directly. Only a skipped scan's object carries its `message`.

Pure: standard library only, so the store can build documents without loading
the scan stack.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wheelscan.core.models import Criteria, ScanKind, ScanReport, ScanState

SCHEMA_VERSION = 2


def new_scan_id() -> str:
    """A scan's id: 12 hex digits, random."""
    return uuid.uuid4().hex[:12]


def scan_object(
    *,
    scan_id: str,
    kind: ScanKind,
    state: ScanState,
    started_at: datetime,
    finished_at: datetime,
    source: str,
    criteria: Criteria,
    as_of: datetime | None = None,
    tickers_scanned: int = 0,
    requests: int = 0,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    source_namespace: str | None = None,
    market_open: bool | None = None,
    cached_answers: int = 0,
) -> dict[str, Any]:
    """The `scan` object: who, when, with what criteria, how many requests, which errors.

    Schema 2 adds `source_namespace` (the store namespace of `source`), `market_open`
    (whether NYSE was open when the scan started; None when not known) and
    `cached_answers` (options answers re-used from the store instead of requested).
    """
    scan: dict[str, Any] = {
        "id": scan_id,
        "kind": str(kind),
        "state": str(state),
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "duration_s": round((finished_at - started_at).total_seconds(), 3),
        "as_of": as_of.isoformat() if as_of else None,
        "source": source,
        "source_namespace": source_namespace,
        "market_open": market_open,
        "criteria": criteria.to_json(),
        "tickers_scanned": tickers_scanned,
        "requests": requests,
        "cached_answers": cached_answers,
        "errors": dict(errors or {}),
    }
    if message is not None:
        scan["message"] = message
    return scan


def report_scan_object(
    report: ScanReport,
    scan_id: str,
    kind: ScanKind,
    state: ScanState | None = None,
    *,
    source_namespace: str | None = None,
    market_open: bool | None = None,
) -> dict[str, Any]:
    """The `scan` object of an engine report; `state` overrides the report's own verdict
    (a scan that lost its lock or could not publish FAILED whatever the engine said).
    The store's namespace and the market's state are the caller's to say."""
    return scan_object(
        scan_id=scan_id,
        kind=kind,
        state=state or report.state,
        started_at=report.started_at,
        finished_at=report.finished_at,
        source=report.source,
        criteria=report.criteria,
        as_of=report.as_of,
        tickers_scanned=len(report.symbols),
        requests=report.requests,
        errors=report.errors,
        source_namespace=source_namespace,
        market_open=market_open,
        cached_answers=report.cached_answers,
    )


def report_results(report: ScanReport) -> dict[str, Any]:
    """The `results` object of an engine report: {ticker: result}, tickers in order."""
    return {symbol: result.to_json() for symbol, result in sorted(report.results.items())}


def scan_document(scan: Mapping[str, Any] | None, results: Mapping[str, Any]) -> dict[str, Any]:
    """The whole document; `scan` is None only for published results of unknown origin."""
    return {"schema": SCHEMA_VERSION, "scan": scan, "results": results}


def report_document(
    report: ScanReport,
    scan_id: str,
    kind: ScanKind,
    state: ScanState | None = None,
    *,
    source_namespace: str | None = None,
    market_open: bool | None = None,
) -> dict[str, Any]:
    """The document of an engine report (see `report_scan_object` for the rest)."""
    scan = report_scan_object(
        report, scan_id, kind, state, source_namespace=source_namespace, market_open=market_open
    )
    return scan_document(scan, report_results(report))


def candidate_count(results: Mapping[str, Any]) -> int:
    """How many candidates a `results` object holds."""
    return sum(len(result.get("candidates", [])) for result in results.values())


def history_entry(scan: Mapping[str, Any], candidates: int, message: str) -> dict[str, Any]:
    """The `scanner:history` entry of a finished scan, from its `scan` object."""
    return {
        "id": scan["id"],
        "kind": scan["kind"],
        "state": scan["state"],
        "started_at": scan["started_at"],
        "finished_at": scan["finished_at"],
        "duration_s": scan["duration_s"],
        "tickers": scan["tickers_scanned"],
        "candidates": candidates,
        "errors": scan["errors"],
        "criteria": scan["criteria"],
        "source": scan["source"],
        "source_namespace": scan.get("source_namespace"),
        "message": message,
    }
