"""The app's pure parts without Textual: rows and filter (`model`), text (`formatting`), export.

Expected texts are written out by hand, not computed the way the product does.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wheelscan.core.models import Criteria, ScanState
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.store import ProgressHeader, Store
from wheelscan.tui.export import export_csv, export_json, write_export
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.formatting import (
    age,
    criteria_summary,
    duration,
    empty_hint,
    holder_subject,
    last_scan_line,
    outcome_notice,
    scan_clock,
    scan_counters,
)
from wheelscan.tui.labels import (
    candidate_header,
    candidate_label,
    figures_table,
    leaf_columns,
    ticker_label,
    wall_time,
)
from wheelscan.tui.model import FinishedTicker, ResultsBook, TickerRow, parse_times
from wheelscan.tui.scan_state import ScanRun

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("utc_local_time")


def contract(name: str, annualized: float, **fields: Any) -> dict[str, Any]:
    return {
        "contract": name,
        "expiration": "2026-12-11",
        "dte": 10,
        "strike": 1250.0,
        "bid": 0.5,
        "ask": 0.6,
        "mid": 0.55,
        "last": None,
        "iv": 0.4,
        "delta": -0.1234,
        "prob_otm": 0.84,
        "annualized_return_pct": annualized,
        "otm_pct": 6.04,
        "spread_pct": 18.2,
        "open_interest": 12345,
        "volume": None,
        "collateral": 125000.0,
        "breakeven": 1249.5,
        "badge": "good",
        **fields,
    }


def row(symbol: str, *candidates: dict[str, Any], **fields: Any) -> TickerRow:
    result = {"underlying_price": 1312.5, "as_of": NOW.isoformat(), "candidates": list(candidates)}
    return TickerRow(symbol, result, **fields)


# -- model ------------------------------------------------------------------------------


def test_the_book_lays_a_scans_tickers_over_what_it_has_not_reached() -> None:
    book = ResultsBook()
    book.load({"AAPL": {"candidates": []}, "KO": {"candidates": []}}, {})
    newer = {"as_of": NOW.isoformat(), "candidates": [contract("KO1", 40.0)]}
    finished = [FinishedTicker("KO", newer, None), FinishedTicker("MSFT", None, "HTTP 404")]
    assert book.finish(finished) == ["KO", "MSFT"]
    assert book.finish(finished) == []
    assert book.rows["AAPL"].result == {"candidates": []}
    assert book.rows["KO"] == TickerRow("KO", newer, NOW, None)
    assert book.rows["MSFT"] == TickerRow("MSFT", None, None, "HTTP 404")
    assert book.finish([FinishedTicker("KO", None, "timed out")]) == ["KO"]
    assert (book.rows["KO"].result, book.rows["KO"].error) == (newer, "timed out")
    assert book.latest_scan == NOW


def test_unreadable_times_are_left_out() -> None:
    parsed = parse_times({"A": "2026-12-01T10:25:00-05:00", "B": "soon", "C": None})
    assert parsed == {"A": datetime(2026, 12, 1, 15, 25, tzinfo=UTC)}


# -- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.6, "1:00"), (125, "2:05"), (3725, "1:02:05")]
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5, seconds=59), "5 min old"),
        (timedelta(hours=3, minutes=6), "3.1 h old"),
        (timedelta(days=3, hours=1), "3 days old"),
    ],
)
def test_ages(ago: timedelta, text: str) -> None:
    assert age(NOW - ago, NOW) == text
    assert age(None, NOW) == "none yet"


def test_wall_times_carry_the_date_only_on_another_day() -> None:
    assert wall_time(NOW - timedelta(hours=2), NOW) == "13:30"
    assert wall_time(NOW - timedelta(days=1), NOW) == "Nov 30 15:30"


def test_a_leaf_lines_up_under_the_column_header_at_any_width() -> None:
    for width in (80, 120, 200):
        columns = leaf_columns(width)
        header = candidate_header(columns).plain
        leaf = candidate_label(row("X"), contract("X", 41.26), columns).plain
        assert len(leaf) == len(header) <= width - 4
        for column in columns:
            title_end = header.index(column.title) + len(column.title)
            cell = column.cell(row("X"), contract("X", 41.26))
            if column.right_aligned:
                assert leaf[:title_end].endswith(cell), column.key
            else:
                assert leaf[header.index(column.title) :].startswith(cell), column.key
    narrow = [c.title for c in leaf_columns(80)]
    assert narrow == ["expiry", "DTE", "strike", "bid", "delta", "IV%", "P(OTM)", "ann.%",
                      "OTM%", "OI", "badge"]  # fmt: skip
    wide = candidate_label(row("X"), contract("X", 41.26), leaf_columns(200)).plain.split()
    assert wide[:4] == ["2026-12-11", "10", "1,250.00", "0.50"]
    assert {"-0.123", "40.0", "84.0", "41.3", "6.0", "12,345", "good"} <= set(wide)


def test_a_ticker_label() -> None:
    ko = row("KO", contract("A", 41.26), contract("B", 55.56, badge="high"), scanned_at=NOW)
    label = ticker_label(ko, scanning=True, now=NOW).plain
    assert label.split() == [
        "KO",
        "$1,312.50",
        "2",
        "puts",
        "best",
        "55.6%",
        "good×1",
        "high×1",
        "15:30",
        "scanning…",
    ]
    failed = TickerRow("ZZZZ", error="no options listed")
    assert ticker_label(failed, scanning=False, now=NOW).plain.split() == [
        "ZZZZ",
        "—",
        "✗",
        "no",
        "options",
        "listed",
    ]
    rejections = [{"reason": "itm", "count": 92}, {"reason": "return", "count": 40}]
    none = TickerRow(
        "T", {"underlying_price": 25.0, "candidates": [], "top_rejections": rejections}
    )
    assert "0 puts  itm 92 · return 40" in ticker_label(none, scanning=False, now=NOW).plain
    cut = ticker_label(row("KO", error="x" * 200), scanning=False, now=NOW, width=60)
    assert len(cut.plain) == 60 and cut.plain.endswith("…")


def test_scan_counters_say_how_far_and_the_clock_how_long() -> None:
    run = ScanRun().watch("x", "s", NOW - timedelta(seconds=30))
    started = (NOW - timedelta(seconds=30)).isoformat()

    def header(done: int, candidates: int) -> ProgressHeader:
        return ProgressHeader("s", "watchlist", "demo", "RUNNING", done, 12, candidates, 1,
                              started, started)  # fmt: skip

    run = run.progressed(header(3, 7), 0)
    assert scan_counters(run).plain == "3/12 tickers · 7 candidates · 1 error"
    assert scan_clock(run, NOW) == "0:30 · ETA 1:30"
    done = run.progressed(header(12, 1), 0)
    assert scan_counters(done).plain == "12/12 tickers · 1 candidate · 1 error"
    assert scan_clock(done, NOW) == "0:30 · finishing…"


def test_details_spread_over_as_many_groups_as_the_width_holds() -> None:
    figures = [(f"name {i}", f"value {i}") for i in range(9)]
    assert len(figures_table(figures, 38).columns) == 2
    assert len(figures_table(figures, 80).columns) == 5
    assert len(figures_table(figures, 200).columns) == 8


def test_how_an_ended_scan_is_announced() -> None:
    running = ScanRun().start_own("the watchlist (DEMO)", NOW)
    assert outcome_notice(running.ended(ScanState.SUCCEEDED, "Scan completed at 10:30")) == (
        "Scan succeeded",
        "Scan completed at 10:30",
        "information",
    )
    assert outcome_notice(running.ended(ScanState.CANCELLED, "Scan cancelled")) == (
        "Scan cancelled",
        "The previous results stay.",
        "warning",
    )
    assert outcome_notice(running.crashed("OSError: disk full")) == (
        "Scan failed",
        "OSError: disk full",
        "error",
    )
    unknown = running.ended(None, "It is over.")
    assert outcome_notice(unknown) == ("Scan", "It is over.", "information")
    assert last_scan_line(ScanRun()).plain.startswith("s scans the watchlist now")
    ok = running.ended(ScanState.SUCCEEDED, "Scan completed at 10:30")
    assert last_scan_line(ok).plain == "Last scan: succeeded · Scan completed at 10:30"
    assert last_scan_line(running.crashed("OSError: disk full")).plain == (
        "Last scan: failed · OSError: disk full"
    )


def test_whose_scan_is_watched() -> None:
    with Store() as store:
        assert store.acquire_lock("s", "adhoc", source="demo") is not None
        holder = store.lock_holder()
    me = f"pid {os.getpid()} on {socket.gethostname()}"
    assert holder_subject(holder) == f"a adhoc scan by {me}"
    assert holder_subject(None) == "another process's scan"


def test_the_status_line_criteria_and_the_empty_hint() -> None:
    loose = Criteria(
        min_dte=3,
        max_dte=45,
        min_return_pct=12.5,
        max_delta=0.3,
        min_open_interest=0,
        max_spread_pct=math.inf,
        risk_free_rate_pct=4.25,
    )
    assert criteria_summary(loose) == "DTE 3–45 · ≥12.5%/yr · |Δ|≤0.3 · r 4.25%"
    strict = Criteria(min_open_interest=100, max_spread_pct=25.0)
    assert "· OI≥100 · spread≤25% ·" in criteria_summary(strict)
    assert empty_hint(False, ResultsFilter()) == "No results yet: press s to scan the watchlist."
    assert "(ann>=90)" in empty_hint(True, ResultsFilter.parse("90"))


# -- export -------------------------------------------------------------------------------


def test_csv_has_one_line_per_candidate_and_json_the_results_shape(tmp_path: Path) -> None:
    rows = [
        row("AAPL", contract("A1", 40.0), contract("A2", 50.0), scanned_at=NOW),
        TickerRow("ZZZZ", error="no options listed"),
    ]
    lines = list(csv.DictReader(io.StringIO(export_csv(rows))))
    assert [(line["ticker"], line["contract"]) for line in lines] == [
        ("AAPL", "A1"),
        ("AAPL", "A2"),
    ]
    assert lines[0]["scanned_at"] == "2026-12-01T15:30:00+00:00"
    assert float(lines[1]["annualized_return_pct"]) == 50.0
    rules = ResultsFilter.parse("a")
    document = json.loads(export_json(rows, rules, NOW))
    assert document["schema"] == SCHEMA_VERSION
    assert document["filter"] == "a"
    assert document["results"] == {"AAPL": rows[0].result}
    assert document["errors"] == {"ZZZZ": "no options listed"}
    first = write_export(rows, rules, "csv", tmp_path, NOW)
    second = write_export(rows, rules, "csv", tmp_path, NOW)
    assert first.name == "wheelscan-20261201-153000.csv"
    assert second.name == "wheelscan-20261201-153000-2.csv"
    assert first.read_text() == second.read_text() == export_csv(rows)
