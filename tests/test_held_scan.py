"""A watchlist scan with a ledger (SPEC 1.3, 9), through real yfinance on the demo at a fixed time.

The ledger holds KO shares (KO is not on the watchlist) with a call sold beyond the
call window, a short AAPL put beyond the put window, and a short T put (no shares, not
on the watchlist). Requests are counted by URL at the transport and compared with a
list worked out here from the demo's own listed expirations; covered calls with
tests/calls_oracle.py on the raw answers served; marks and `fits` by hand from the
raw rows and the ledger's strikes. The answer cache's age is the store's fake clock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

import calls_oracle
import cli_support
import oracle
from calls_oracle import CallRules, Holding
from conftest import FakeClock
from wheelscan.cli.main import app
from wheelscan.config import Settings
from wheelscan.core.call_criteria import CallCriteria
from wheelscan.core.ledger import BUY_TO_CLOSE, SELL, SHARES, Event
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.core.positions import Positions, fold
from wheelscan.core.scan_needs import ScanNeeds
from wheelscan.core.short_marks import mark_shorts
from wheelscan.held_answers import AnswerReader
from wheelscan.holdings import PublishedHeld, find_covered_calls, short_quotes
from wheelscan.positions import append_events, load_ledger
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.yahoo.demo import QUOTE_SUMMARY_PATH, DemoMarket
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import OPTIONS_PATH, DemoTransport
from yahoo_doubles import FIXED_NOW

runner = CliRunner()
TOLERANCE = 1e-9
WATCHLIST = ["AAPL", "SPY"]
PUTS = Criteria(max_dte=21, min_return_pct=5.0)  # the put window: 1–21 DTE
CALL_WINDOW = (1, 28)  # SPEC 9's default call window (CallCriteria())
TODAY = FIXED_NOW.astimezone(oracle.NY).date()
FREE_CASH = 40_000.0


class UrlCounting(DemoTransport):
    """The demo market at FIXED_NOW, keeping the URL of every options and quoteSummary
    request it answers."""

    def __init__(self) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=0)
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> Any:
        url = request.url or ""
        if OPTIONS_PATH in url or QUOTE_SUMMARY_PATH in url:
            with self._lock:
                self.urls.append(url)
        return super().send(request, *args, **kwargs)

    def summaries(self) -> list[str]:
        return [u.split(QUOTE_SUMMARY_PATH)[1].split("?")[0] for u in self.urls if "Summary" in u]


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def raw(market: DemoMarket, symbol: str, day: date | None) -> dict[str, Any]:
    return market.options_json(symbol, None if day is None else epoch(day))["optionChain"][
        "result"
    ][0]


def listed_row(market: DemoMarket, symbol: str, day: date, kind: str, below: float) -> Any:
    """The two-sided `kind` row of `symbol` on `day` with the highest strike below `below`."""
    rows = raw(market, symbol, day)["options"][0][kind]
    usable = [
        r for r in rows if r.get("strike", 1e9) < below and r.get("ask", 0) > r.get("bid", 0) > 0
    ]
    return max(usable, key=lambda row: row["strike"])


@pytest.fixture
def market() -> DemoMarket:
    return DemoMarket(now=FIXED_NOW)


@pytest.fixture
def contracts(market: DemoMarket) -> dict[str, Any]:
    """The ledger's three open shorts, each a listed, quoted contract."""
    ko = market.day("KO").price
    return {
        "KO_CALL": listed_row(market, "KO", date(2027, 2, 19), "calls", ko * 1.15),
        "AAPL_PUT": listed_row(market, "AAPL", date(2027, 3, 19), "puts", 250.0),
        "T_PUT": listed_row(market, "T", date(2027, 1, 15), "puts", 26.0),
    }


def ledger_events(contracts: dict[str, Any]) -> list[Event]:
    return [
        Event(SHARES, date(2026, 11, 2), 200, 66.00, "KO"),
        Event(SELL, date(2026, 11, 20), 1, 1.10, contract=contracts["KO_CALL"]["contractSymbol"]),
        Event(SELL, date(2026, 11, 20), 1, 3.00, contract=contracts["AAPL_PUT"]["contractSymbol"]),
        Event(SELL, date(2026, 11, 20), 1, 0.30, contract=contracts["T_PUT"]["contractSymbol"]),
    ]


def expected_requests(market: DemoMarket, contracts: dict[str, Any]) -> set[tuple[str, int | None]]:
    """SPEC 1.3 worked out from the demo's listings: the no-date answer of every scanned
    symbol, then each later expiration in the put window (watchlist), in the call window
    (KO: 100 uncovered shares) or an open short's."""
    shorts = {"KO": date(2027, 2, 19), "AAPL": date(2027, 3, 19), "T": date(2027, 1, 15)}
    wanted: set[tuple[str, int | None]] = set()
    for symbol in ("AAPL", "SPY", "KO", "T"):
        wanted.add((symbol, None))
        for day in market.expirations(symbol)[1:]:
            dte = (day - TODAY).days
            puts = symbol in WATCHLIST and 1 <= dte <= 21
            calls = symbol == "KO" and CALL_WINDOW[0] <= dte <= CALL_WINDOW[1]
            if puts or calls or shorts.get(symbol) == day:
                wanted.add((symbol, epoch(day)))
    return wanted


def scan(store: Store, positions: Positions | None, cash: float) -> tuple[Any, UrlCounting]:
    transport = UrlCounting()
    settings = Settings(source="demo", criteria=PUTS, cash=cash)
    outcome = run_scan(
        WATCHLIST,
        settings,
        kind=ScanKind.WATCHLIST,
        store=store,
        source=YahooSource("demo", transport),
        positions=positions,
    )
    assert outcome.state is ScanState.SUCCEEDED and outcome.published, outcome.message
    return outcome, transport


def assert_call_figures(published: dict[str, Any], outcome: calls_oracle.CallOutcome) -> None:
    assert published["rejected"] == {r: outcome.rejected.get(r, 0) for r in calls_oracle.REASONS}
    got = {c["contract"]: c for c in published["candidates"]}
    assert set(got) == set(outcome.candidates) and got, "KO has covered calls to compare"
    for contract, figures in outcome.candidates.items():
        for name, value in figures.items():
            if isinstance(value, float):
                assert got[contract][name] == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE)
            else:
                assert got[contract][name] == value, (contract, name)


def test_a_scan_with_a_ledger_asks_each_answer_once_and_publishes_calls_marks_and_fits(
    market: DemoMarket, contracts: dict[str, Any], fake_clock: FakeClock, wheelscan_home: Path
) -> None:
    append_events(ledger_events(contracts))
    positions = load_ledger().state
    strikes = contracts["AAPL_PUT"]["strike"] + contracts["T_PUT"]["strike"]
    cash = FREE_CASH + 100 * strikes
    store = Store.for_source("demo", clock=fake_clock)
    outcome, transport = scan(store, positions, cash)

    # Exactly SPEC 1.3's requests, none twice, all counted.
    asked = transport.options_requests
    assert len(asked) == len(set(asked)) and set(asked) == expected_requests(market, contracts)
    assert transport.summaries() == ["KO"], "one ex-dividend request, for the shares' calls"
    assert len(transport.urls) == len(set(transport.urls)), "no URL twice"
    assert {path for path in transport.extra_requests} == {f"{QUOTE_SUMMARY_PATH}KO"}
    scan_object = outcome.document["scan"]
    assert scan_object["requests"] == len(transport.urls) and scan_object["cached_answers"] == 0
    assert scan_object["tickers_scanned"] == 4

    published = store.read_results(45)
    assert published.results == outcome.document["results"]
    results = published.results
    assert list(results) == ["AAPL", "KO", "SPY", "T"]
    assert [e["expiration"] for e in results["AAPL"]["expirations"]] == [
        "2026-11-27",
        "2026-12-04",
        "2026-12-11",
    ], "the short's 2027-03-19 answer is not judged for puts"
    assert results["KO"]["candidates"] == results["T"]["candidates"] == []
    assert "covered_calls" not in results["SPY"] and "short_quotes" not in results["SPY"]
    assert "covered_calls" not in results["AAPL"], "no AAPL shares"

    # Covered calls: the oracle on KO's raw answers in the call window (the short call's
    # 2027-02-19 answer, fetched for its mark, is no covered-call candidate's).
    ko_calls = results["KO"]["covered_calls"]
    answers = []
    for day in market.expirations("KO"):
        if CALL_WINDOW[0] <= (day - TODAY).days <= CALL_WINDOW[1]:
            option = raw(market, "KO", day)["options"][0]
            answers.append((day.isoformat(), option["calls"], option["puts"]))
    dividend = market.day("KO").dividend
    assert dividend is not None
    oracle_calls = calls_oracle.evaluate_calls(
        "KO",
        raw(market, "KO", None)["quote"],
        answers,
        Holding(66.00, 66.00 - 110.0 / 200),
        CallRules(),
        (dividend.ex_date.isoformat(), dividend.amount),
    )
    assert_call_figures(ko_calls, oracle_calls)
    assert (ko_calls["uncovered_shares"], ko_calls["contracts"]) == (100, 1)
    assert ko_calls["ex_dividend"] == {"date": dividend.ex_date.isoformat(), "amount": 0.52}

    # The open shorts' quotes: the raw rows.
    for symbol, name in (("KO", "KO_CALL"), ("AAPL", "AAPL_PUT"), ("T", "T_PUT")):
        row = contracts[name]
        quote = results[symbol]["short_quotes"][row["contractSymbol"]]
        assert (quote["bid"], quote["ask"]) == (row["bid"], row["ask"])
        assert quote["mid"] == pytest.approx((row["bid"] + row["ask"]) / 2)
        assert quote["spot"] == market.day(symbol).price

    # fits: collateral within cash less the two short puts' strikes × 100.
    verdicts = set()
    for symbol in WATCHLIST:
        for candidate in results[symbol]["candidates"]:
            assert candidate["fits"] is (candidate["strike"] * 100 <= FREE_CASH)
            verdicts.add(candidate["fits"])
    assert verdicts == {True, False}

    # Past chain_cache_minutes the published results answer `calls` and the marks.
    fake_clock.advance(11 * 60)
    cache_only = AnswerReader(store, 600)
    assert not cache_only.keeps("KO") and not cache_only.keeps("AAPL")
    settings = Settings(source="demo", criteria=PUTS, cash=cash)
    report = find_covered_calls(positions, settings, CallCriteria(), store, None)
    assert (report.published, report.errors) == (1, {})
    assert report.results["KO"].to_json() == {k: v for k, v in ko_calls.items() if k != "criteria"}
    again = find_covered_calls(
        positions, settings, CallCriteria(), store, YahooSource("demo", transport)
    )
    assert again.published == 1 and len(transport.urls) == len(asked) + 1, "no request: fresh"
    other = find_covered_calls(positions, settings, CallCriteria(min_strike="none"), store, None)
    assert "KO" in other.errors and other.published == 0, "found with other criteria"

    quotes, warnings = short_quotes(positions, cache_only, PublishedHeld(store, 45, any_age=True))
    assert warnings == []
    marks = mark_shorts(positions, quotes)
    for name, opened in (("KO_CALL", 1.10), ("AAPL_PUT", 3.00), ("T_PUT", 0.30)):
        row = contracts[name]
        mid = (row["bid"] + row["ask"]) / 2
        mark = marks[row["contractSymbol"]]
        assert mark.mid == pytest.approx(mid)
        assert mark.pl == pytest.approx((opened - mid) * 100)
        assert mark.dte == (datetime.fromtimestamp(row["expiration"], UTC).date() - TODAY).days
    assert short_quotes(positions, cache_only)[0] == {}, "without the published results: none"


HEAVY = ("numpy", "pandas", "yfinance", "typer", "wheelscan.scan.engine")
"""What `results --json` must not load to judge the fits by the ledger."""


def test_results_json_judges_fits_by_the_ledger_now_without_numpy(
    contracts: dict[str, Any], fake_clock: FakeClock, wheelscan_home: Path
) -> None:
    """After the scan the T put is bought back: `results --json` (the fast path) frees its
    collateral and judges every put again, loading no numpy."""
    append_events(ledger_events(contracts))
    put_strikes = contracts["AAPL_PUT"]["strike"] + contracts["T_PUT"]["strike"]
    cash = FREE_CASH + 100 * put_strikes
    (wheelscan_home / "config.toml").write_text(f'source = "demo"\ncash = {cash}\n')
    store = Store.for_source("demo", clock=fake_clock)
    scan(store, load_ledger().state, cash)
    t_put = contracts["T_PUT"]
    append_events([Event(BUY_TO_CLOSE, TODAY, 1, 0.10, contract=t_put["contractSymbol"])])
    free_now = FREE_CASH + 100 * t_put["strike"]

    probe = cli_support.imports_of("results", "--json", modules=HEAVY, home=wheelscan_home)
    assert probe.ran.returncode == 0, probe.ran.stderr
    assert probe.loaded == []
    document = json.loads(probe.ran.stdout)
    assert document["cash"] == {
        "cash": cash,
        "put_collateral": round(100 * contracts["AAPL_PUT"]["strike"], 2),
        "free_cash": round(free_now, 2),
    }
    candidates = [c for s in WATCHLIST for c in document["results"][s]["candidates"]]
    assert candidates
    assert all(c["fits"] is (c["strike"] * 100 <= free_now) for c in candidates)

    table = cli_support.wheelscan("results", "--top", "0", env={"COLUMNS": "80"})
    assert table.returncode == 0, table.stderr
    header = next(line for line in table.stdout.splitlines() if line.startswith("Ticker"))
    assert header.split()[-1] == "Fits" and len(header) <= 80
    rows = [
        line.split()
        for line in table.stdout.splitlines()
        if line.split()[:1] in (["AAPL"], ["SPY"])
    ]
    shown = {(r[0], r[1], float(r[3])): r[-1] for r in rows if r[-1] in ("yes", "no")}
    assert len(shown) == len(candidates)
    for c in candidates:
        ticker = "AAPL" if c["contract"].startswith("AAPL") else "SPY"
        assert shown[(ticker, c["expiration"], c["strike"])] == ("yes" if c["fits"] else "no")
    assert "KO: held, not on the watchlist" in table.stdout


def test_a_broken_ledger_warns_once_and_the_watchlist_is_scanned(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text('source = "demo"\ncash = 50000\n')
    assert runner.invoke(app, ["watchlist", "clear", "--yes"]).exit_code == 0
    assert runner.invoke(app, ["watchlist", "add", "KO", "SPY"]).exit_code == 0
    (wheelscan_home / "positions.toml").write_text('[[events]]\nkind = "sell"\nquantity = 1\n')
    done = runner.invoke(app, ["scan", "--json", "--min-return", "5"])
    assert done.exit_code == 0, done.stderr
    warnings = done.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("wheelscan: warning: ")
    assert "positions.toml" in warnings[0] and "scanning without the positions" in warnings[0]
    document = json.loads(done.stdout)
    assert list(document["results"]) == ["KO", "SPY"] and document["scan"]["state"] == "SUCCEEDED"
    candidates = [c for result in document["results"].values() for c in result["candidates"]]
    assert candidates and all(c["fits"] is None for c in candidates), "free cash unknown"


def test_scan_needs_lists_each_symbol_once() -> None:
    day = date(2026, 11, 20)
    state = fold(
        [
            Event(SHARES, day, 100, 60.0, "KO"),
            Event(SELL, day, 1, 1.0, contract="AAPL261218P00250000"),
            Event(SELL, day, 1, 0.5, contract="T261218P00025000"),
            Event(SHARES, day, 50, 20.0, "F"),
        ]
    )
    needs = ScanNeeds(["AAPL", "SPY", "AAPL"], (1, 21), (1, 28), state)
    assert needs.symbols == ["AAPL", "SPY", "F", "KO", "T"]
    assert needs.ticker("KO").call_window == (1, 28) and needs.ticker("KO").put_window is None
    assert needs.ticker("F").call_window is None, "50 shares: no call to sell"
    assert needs.ticker("AAPL").put_window == (1, 21)
    assert needs.ticker("AAPL").short_expirations == [date(2026, 12, 18)]
    assert needs.ticker("SPY").position is None
    adhoc = ScanNeeds(["KO"], (1, 21), (1, 28), state, add_held=False)
    assert adhoc.symbols == ["KO"] and adhoc.ticker("KO").call_window == (1, 28)
