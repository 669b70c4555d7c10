"""`e` in the app: the visible results as CSV (one row per candidate) or JSON (SPEC 7 shape).

The CSV is for a spreadsheet, so each number is written to the precision it means
and every column's unit is in its name: money in dollars to the cent (`_usd`),
percents to one decimal (`_pct`, σ and the probabilities included, which the
scan record keeps as fractions), delta to three decimals, dates and times ISO
8601 (times with their offset, to the second). The JSON is the scan record's
own shape, full precision, for programs. Either is written atomically, 0600,
to `paths.export_directory` unless the app was given a directory.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.files import atomic_write_text
from wheelscan.paths import PRIVATE_DIR_MODE
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.model import TickerRow

ExportFormat = Literal["csv", "json"]
Cell = Callable[[Mapping[str, Any]], str]

DOLLARS = 2
PERCENT = 1
DELTA = 3
RATIO = 1


def fixed(value: Any, places: int, scale: float = 1.0) -> str:
    """`value × scale` to `places` decimals; empty for a missing or non-finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    scaled = value * scale
    if not math.isfinite(scaled):
        return ""
    text = f"{scaled:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"


def number(name: str, places: int, scale: float = 1.0) -> Cell:
    return lambda record: fixed(record.get(name), places, scale)


def whole(name: str) -> Cell:
    return lambda record: fixed(record.get(name), 0)


def text(name: str) -> Cell:
    def cell(record: Mapping[str, Any]) -> str:
        value = record.get(name)
        return "" if value is None else str(value)

    return cell


def flag(name: str) -> Cell:
    def cell(record: Mapping[str, Any]) -> str:
        value = record.get(name)
        return "" if value is None else ("true" if value else "false")

    return cell


CANDIDATE_COLUMNS: tuple[tuple[str, Cell], ...] = (
    ("contract", text("contract")),
    ("expiration", text("expiration")),
    ("dte", whole("dte")),
    ("strike_usd", number("strike", DOLLARS)),
    ("bid_usd", number("bid", DOLLARS)),
    ("ask_usd", number("ask", DOLLARS)),
    ("mid_usd", number("mid", DOLLARS)),
    ("last_usd", number("last", DOLLARS)),
    ("iv_pct", number("iv", PERCENT, 100.0)),
    ("iv_yahoo_pct", number("iv_yahoo", PERCENT, 100.0)),
    ("delta", number("delta", DELTA)),
    ("prob_otm_pct", number("prob_otm", PERCENT, 100.0)),
    ("pop_pct", number("pop", PERCENT, 100.0)),
    ("annualized_return_pct", number("annualized_return_pct", PERCENT)),
    ("otm_pct", number("otm_pct", PERCENT)),
    ("cushion_pct", number("cushion_pct", PERCENT)),
    ("spread_pct", number("spread_pct", PERCENT)),
    ("open_interest", whole("open_interest")),
    ("volume", whole("volume")),
    ("collateral_usd", number("collateral", DOLLARS)),
    ("breakeven_usd", number("breakeven", DOLLARS)),
    ("pe_at_strike", number("pe_at_strike", RATIO)),
    ("spans_earnings", flag("spans_earnings")),
    ("badge", text("badge")),
)
"""(CSV heading, how the cell is written from the candidate record), in column order."""
TICKER_COLUMNS = ("ticker", "underlying_price_usd", "as_of", "scanned_at")
CSV_FIELDS = (*TICKER_COLUMNS, *(heading for heading, _ in CANDIDATE_COLUMNS))


def iso_time(value: datetime | str | None) -> str:
    """An ISO 8601 time with its offset, to the second (a text that does not parse as is)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.isoformat(timespec="seconds")


def export_rows(rows: list[TickerRow]) -> list[dict[str, str]]:
    """The CSV's rows: one per candidate, headed by CSV_FIELDS, every cell its text."""
    lines = []
    for row in rows:
        ticker = {
            "ticker": row.symbol,
            "underlying_price_usd": fixed(row.price, DOLLARS),
            "as_of": iso_time(row.result.get("as_of") if row.result else None),
            "scanned_at": iso_time(row.scanned_at),
        }
        for candidate in row.candidates:
            lines.append(ticker | {heading: cell(candidate) for heading, cell in CANDIDATE_COLUMNS})
    return lines


def export_csv(rows: list[TickerRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export_rows(rows))
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
    """Write the export into `directory` (made 0700 if missing; an existing one is left as
    it is) as `wheelscan-YYYYmmdd-HHMMSS[-N].csv|json`, atomically and 0600; returns its
    absolute path. Blocking: call it off the event loop."""
    directory = directory.expanduser().absolute()
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    path = directory / f"wheelscan-{stamp}.{kind}"
    counter = 1
    while path.exists():
        counter += 1
        path = directory / f"wheelscan-{stamp}-{counter}.{kind}"
    body = export_csv(rows) if kind == "csv" else export_json(rows, rules, now)
    atomic_write_text(path, body)
    return path
