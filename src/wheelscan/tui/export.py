"""`e` in the app: the visible results as CSV (one row per candidate) or JSON (SPEC 7 shape)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.model import TickerRow

ExportFormat = Literal["csv", "json"]

CANDIDATE_FIELDS = (
    "contract",
    "expiration",
    "dte",
    "strike",
    "bid",
    "ask",
    "mid",
    "last",
    "iv",
    "iv_yahoo",
    "delta",
    "prob_otm",
    "pop",
    "cushion_pct",
    "spans_earnings",
    "annualized_return_pct",
    "otm_pct",
    "spread_pct",
    "open_interest",
    "volume",
    "collateral",
    "breakeven",
    "badge",
)
CSV_FIELDS = ("ticker", "underlying_price", "as_of", "scanned_at", *CANDIDATE_FIELDS)


def export_csv(rows: list[TickerRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        for candidate in row.candidates:
            writer.writerow(
                {
                    "ticker": row.symbol,
                    "underlying_price": row.price,
                    "as_of": row.result.get("as_of") if row.result else None,
                    "scanned_at": row.scanned_at.isoformat() if row.scanned_at else None,
                    **candidate,
                }
            )
    return out.getvalue()


def export_json(rows: list[TickerRow], rules: ResultsFilter, now: datetime) -> str:
    document = {
        "schema": SCHEMA_VERSION,
        "exported_at": now.isoformat(),
        "filter": rules.text or None,
        "results": {row.symbol: row.result for row in rows if row.result is not None},
        "scan_times": {
            row.symbol: row.scanned_at.isoformat() for row in rows if row.scanned_at is not None
        },
        "errors": {row.symbol: row.error for row in rows if row.error},
    }
    return json.dumps(document, indent=2) + "\n"


def write_export(
    rows: list[TickerRow],
    rules: ResultsFilter,
    kind: ExportFormat,
    directory: Path,
    now: datetime,
) -> Path:
    """Write the export next to the user (blocking: call it off the event loop)."""
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    path = directory / f"wheelscan-{stamp}.{kind}"
    counter = 1
    while path.exists():
        counter += 1
        path = directory / f"wheelscan-{stamp}-{counter}.{kind}"
    body = export_csv(rows) if kind == "csv" else export_json(rows, rules, now)
    path.write_text(body, encoding="utf-8")
    return path
