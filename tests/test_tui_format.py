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
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wheelscan.core.models import Criteria, ScanState
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.store import Store
from wheelscan.tui.export import export_csv, export_json, write_export
from wheelscan.tui.formatting import (
    age,
    candidate_header,
    candidate_label,
    criteria_summary,
    duration,
    empty_hint,
    holder_subject,
    outcome_notice,
    scan_counters,
    ticker_label,
    wall_time,
)
from wheelscan.tui.model import ResultsBook, ResultsFilter, TickerRow, parse_times
from wheelscan.tui.scan_state import ScanRun

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


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


@pytest.mark.parametrize(
    ("text", "ticker_part", "minimum", "described"),
    [
        ("40", "", 40.0, "annualized ≥ 40%"),
        (">=40", "", 40.0, "annualized ≥ 40%"),
        (" ≥ 37.5 % ", "", 37.5, "annualized ≥ 37.5%"),
        ("aap", "AAP", None, "ticker contains 'AAP'"),
        ("", "", None, "none"),
    ],
)
def test_the_filter_reads_a_ticker_or_a_minimum_return(
    text: str, ticker_part: str, minimum: float | None, described: str
) -> None:
    rules = ResultsFilter.parse(text)
    assert (rules.ticker_part, rules.min_return_pct, rules.describe()) == (
        ticker_part,
        minimum,
        described,
    )
    assert rules.active is (described != "none")


def test_a_minimum_return_keeps_the_contracts_that_reach_it() -> None:
    mixed = row("KO", contract("A", 29.9), contract("B", 30.0), contract("C", 55.0))
    shown = ResultsFilter.parse("30").apply(mixed)
    assert shown is not None and [c["contract"] for c in shown.candidates] == ["B", "C"]
    assert ResultsFilter.parse("60").apply(mixed) is None
    assert ResultsFilter.parse("k").apply(mixed) is mixed
    assert ResultsFilter.parse("x").apply(mixed) is None


def test_the_book_overlays_a_scan_and_keeps_what_it_has_not_reached() -> None:
    book = ResultsBook()
    book.load({"AAPL": {"candidates": []}, "KO": {"candidates": []}}, {})
    newer = {"candidates": [contract("KO1", 40.0)]}
    at = {"KO": NOW}
    assert book.overlay({"KO": newer}, at, {"MSFT": "HTTP 404"}) == ["KO", "MSFT"]
    assert book.overlay({"KO": newer}, at, {"MSFT": "HTTP 404"}) == []
    assert book.rows["AAPL"].result == {"candidates": []}
    assert book.rows["KO"] == TickerRow("KO", newer, NOW, None)
    assert book.rows["MSFT"] == TickerRow("MSFT", None, None, "HTTP 404")
    failed = book.failed("KO", "timed out")
    assert (failed.result, failed.error) == (newer, "timed out")
    assert book.shown("KO", ResultsFilter.parse("50")) is None
    assert [r.symbol for r in book.visible(ResultsFilter.parse("40"))] == ["KO"]
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


def test_a_leaf_lines_up_under_the_column_header() -> None:
    header = candidate_header().plain
    leaf = candidate_label(contract("X", 41.26)).plain
    titles = ["expiry", "DTE", "strike", "bid", "delta", "ann.%", "OTM%", "OI", "badge"]
    assert header.split() == titles
    cells = ["2026-12-11", "10", "1,250.00", "0.50", "-0.123", "41.3", "6.0", "12,345", "good"]
    assert leaf.split() == cells
    for title, cell in zip(header.split()[1:-1], cells[1:-1], strict=True):
        assert header.index(title) + len(title) == leaf.index(cell) + len(cell), title


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


def test_scan_counters_say_how_far_and_how_long() -> None:
    run = ScanRun().watch("x", "s", NOW - timedelta(seconds=30))
    run = run.progressed(done=3, total=12, candidates=7, errors=1, scan_id="s")
    assert scan_counters(run, NOW).plain == (
        "3/12 tickers  7 candidates  1 errors  elapsed 0:30  ETA 1:30"
    )
    done = run.progressed(done=12, total=12, candidates=9, errors=1, scan_id="s")
    assert scan_counters(done, NOW).plain.endswith("elapsed 0:30  finishing…")


def test_how_an_ended_scan_is_announced() -> None:
    running = ScanRun().start_own("the watchlist (demo)", NOW)
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
    assert "annualized ≥ 90%" in empty_hint(True, ResultsFilter.parse("90"))


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
