"""The schema-1 JSON document of SPEC 7, built from a scan report."""

from __future__ import annotations

from typing import Any

from wheelscan.core.models import ScanReport

SCHEMA_VERSION = 1


def scan_summary(report: ScanReport, scan_id: str, kind: str) -> dict[str, Any]:
    """The `scan` object: who, when, with what criteria, how many requests, which errors."""
    as_of = report.as_of
    return {
        "id": scan_id,
        "kind": kind,
        "state": str(report.state),
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "duration_s": round(report.duration_s, 3),
        "as_of": as_of.isoformat() if as_of else None,
        "source": report.source,
        "criteria": report.criteria.to_json(),
        "tickers_scanned": len(report.symbols),
        "requests": report.requests,
        "errors": dict(report.errors),
    }


def scan_document(report: ScanReport, scan_id: str, kind: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "scan": scan_summary(report, scan_id, kind),
        "results": {symbol: r.to_json() for symbol, r in sorted(report.results.items())},
    }
