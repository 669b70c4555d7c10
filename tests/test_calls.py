"""Covered calls end to end (SPEC 9): ledger → state → calls, through real yfinance on the demo.

Every figure is checked against tests/calls_oracle.py, which reads the raw JSON the
transport served, row by row. The ex-dividend lookup runs through yfinance's
quoteSummary request on a transport answering recorded-format JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict
from typer.testing import CliRunner

import calls_oracle
import oracle
from calls_oracle import CallRules, Holding
from conftest import FakeClock
from wheelscan.cli.main import app
from wheelscan.config import Settings
from wheelscan.core.call_criteria import CallCriteria, ExDividend
from wheelscan.core.calls import CoveredCalls
from wheelscan.core.ledger import ASSIGN, SELL, SHARES, Event
from wheelscan.core.scan_needs import wanted_expirations
from wheelscan.held_answers import AnswerReader
from wheelscan.holdings import find_covered_calls, short_quotes
from wheelscan.positions import append_events
from wheelscan.store import Store
from wheelscan.store.answers import read_answer
from wheelscan.yahoo.demo import QUOTE_SUMMARY_PATH, DemoMarket
from wheelscan.yahoo.dividends import (
    DividendUnavailable,
    dividend_date,
    fetch_ex_dividend,
    next_ex_dividend,
)
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport, YahooStandIn
from yahoo_doubles import FIXED_NOW

runner = CliRunner()
TOLERANCE = 1e-9
KO_PUT = "KO261120P00068000"
KO_CALL = "KO261218C00075000"


def _response(request: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    response.url = request.url or ""
    response.request = request
    return response


class DividendDemo(DemoTransport):
    """The demo market at FIXED_NOW, keeping the symbol of every quoteSummary request (its
    answer carries defaultKeyStatistics.lastDividendValue, the demo's dividend per share)."""

    def __init__(self) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=0)
        self.summary_requests: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> Any:
        url = request.url or ""
        if QUOTE_SUMMARY_PATH in url:
            self.summary_requests.append(url.split(QUOTE_SUMMARY_PATH)[1].split("?")[0])
        return super().send(request, *args, **kwargs)


def _raw(market: DemoMarket, symbol: str, epoch: int | None) -> dict[str, Any]:
    return market.options_json(symbol, epoch)["optionChain"]["result"][0]


def oracle_answers(
    market: DemoMarket, symbol: str, requested: list[tuple[str, int | None]]
) -> tuple[dict[str, Any], list[tuple[str, list[Any], list[Any]]]]:
    """The quote and (expiration, calls, puts) of every answer `symbol` was served."""
    nearest = _raw(market, symbol, None)
    answers = []
    for asked, epoch in requested:
        if asked != symbol:
            continue
        option = _raw(market, symbol, epoch)["options"][0]
        day = datetime.fromtimestamp(option["expirationDate"], tz=UTC).date().isoformat()
        answers.append((day, option["calls"], option["puts"]))
    return nearest["quote"], answers


def assert_matches(result: CoveredCalls, outcome: calls_oracle.CallOutcome) -> None:
    evaluation = result.evaluation
    assert evaluation.rejected == {r: outcome.rejected.get(r, 0) for r in calls_oracle.REASONS}
    got = {c.contract: c for c in evaluation.candidates}
    assert set(got) == set(outcome.candidates)
    for contract, figures in outcome.candidates.items():
        for name, value in figures.items():
            mine = getattr(got[contract], name)
            if isinstance(value, float) and isinstance(mine, float):
                assert mine == pytest.approx(value, abs=TOLERANCE, rel=TOLERANCE), (contract, name)
            else:
                assert mine == value, (contract, name)


def t_put(market: DemoMarket) -> str:
    """A listed T put below spot expiring 2026-12-04 (one of the demo's Fridays)."""
    epoch = int(datetime(2026, 12, 4, tzinfo=UTC).timestamp())
    spot = market.day("T").price
    puts = _raw(market, "T", epoch)["options"][0]["puts"]
    strikes = [row for row in puts if row.get("strike", 1e9) < spot and row.get("bid", 0) > 0]
    return max(strikes, key=lambda row: row["strike"])["contractSymbol"]


@pytest.fixture
def demo() -> DividendDemo:
    return DividendDemo()


@pytest.fixture
def ledger_state(demo: DividendDemo) -> Any:
    """KO: a put sold, assigned at 68, 100 more shares at 66, one call sold on them;
    AAPL: 100 shares at 300 (above spot); T: a short put only."""
    events = [
        Event(SELL, date(2026, 10, 20), 1, 1.20, contract=KO_PUT),
        Event(ASSIGN, date(2026, 11, 20), 1, contract=KO_PUT),
        Event(SHARES, date(2026, 11, 21), 100, 66.00, "KO"),
        Event(SELL, date(2026, 11, 21), 1, 0.40, contract=KO_CALL),
        Event(SHARES, date(2026, 11, 2), 100, 300.00, "AAPL"),
        Event(SELL, date(2026, 11, 20), 1, 0.30, contract=t_put(demo.market)),
    ]
    return append_events(events).state


# Worked out by hand from the ledger above: KO basis (68·100 + 66·100)/200 = 67, less the
# premium of the assigned put and of the call, (1.20 + 0.40)·100 / 200 = 0.80.
KO = Holding(basis=67.0, adjusted_basis=66.2)
AAPL = Holding(basis=300.0, adjusted_basis=300.0)


def run(demo: DividendDemo, state: Any, store: Store, criteria: CallCriteria | None = None) -> Any:
    source = YahooSource("demo", demo)
    source.activate()
    settings = Settings(source="demo", cash=100_000.0)
    return find_covered_calls(state, settings, criteria or CallCriteria(), store, source)


@pytest.mark.parametrize("policy", ["adjusted", "basis", "none"])
@pytest.mark.parametrize("loose", [False, True], ids=["spec", "loose"])
def test_covered_calls_match_the_oracle_through_yfinance(
    demo: DividendDemo,
    ledger_state: Any,
    tmp_path: Path,
    fake_clock: FakeClock,
    policy: str,
    loose: bool,
) -> None:
    """SPEC 9's defaults, and loose ones (any return, delta up to 0.6) that let calls
    past KO's ex-dividend date in, cheaper and dearer than its dividend."""
    store = Store(tmp_path / "cache", namespace="demo", clock=fake_clock)
    limits = {"min_return_pct": 0.0, "max_delta": 0.6} if loose else {}
    report = run(demo, ledger_state, store, CallCriteria(min_strike=policy, **limits))
    assert set(report.results) == {"KO", "AAPL"}, "T holds no shares; KO and AAPL 100 each"
    assert report.errors == {} and report.warnings == []
    rules = CallRules(min_strike=policy, **limits)
    for symbol, holding in (("KO", KO), ("AAPL", AAPL)):
        result = report.results[symbol]
        assert result.position.basis == pytest.approx(holding.basis)
        assert result.position.adjusted_basis == pytest.approx(holding.adjusted_basis)
        assert result.contracts == 1
        quote, answers = oracle_answers(demo.market, symbol, demo.options_requests)
        day = demo.market.day(symbol).dividend
        dividend = (day.ex_date.isoformat(), day.amount) if day else None
        outcome = calls_oracle.evaluate_calls(symbol, quote, answers, holding, rules, dividend)
        assert_matches(result, outcome)
        if symbol == "KO" or policy == "none":
            assert outcome.candidates, f"{symbol} has covered calls to compare"
    aapl = report.results["AAPL"].evaluation
    assert (aapl.rejected["below_basis"] == 0) == (policy == "none")
    if loose:
        risks = {c.early_assignment_risk for c in report.results["KO"].evaluation.candidates}
        assert risks == {True, False}, "KO goes ex-dividend on 12-01, $0.52 a share"


def test_each_answer_is_requested_once_then_read_from_the_store(
    demo: DividendDemo, ledger_state: Any, tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = Store(tmp_path / "cache", namespace="demo", clock=fake_clock)
    first = run(demo, ledger_state, store)
    asked = list(demo.options_requests)
    assert len(asked) == len(set(asked)), "no answer twice"
    for symbol in ("KO", "AAPL"):
        listed = demo.market.expirations(symbol)
        as_of = demo.market.day(symbol).as_of
        in_window = [
            int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
            for d in listed[1:]
            if 1 <= (d - as_of.astimezone(oracle.NY).date()).days <= 28
        ]
        assert sorted(e for s, e in asked if s == symbol and e is not None) == in_window
        assert (symbol, None) in asked
    assert sorted(demo.summary_requests) == ["AAPL", "KO"], "one ex-dividend request per symbol"
    assert (first.requested_answers, first.cached_answers) == (len(asked), 0)

    second = run(demo, ledger_state, store)
    assert demo.options_requests == asked, "the second look sends no options request"
    assert sorted(demo.summary_requests) == ["AAPL", "KO"], "nor a dividend request the same day"
    assert (second.requested_answers, second.cached_answers) == (0, len(asked))
    for symbol in ("KO", "AAPL"):
        assert second.results[symbol].to_json() == first.results[symbol].to_json()

    fake_clock.advance(11 * 60)  # past chain_cache_minutes (10)
    run(demo, ledger_state, store)
    assert len(demo.options_requests) == 2 * len(asked)


def test_open_shorts_are_marked_from_the_kept_answers(
    demo: DividendDemo, ledger_state: Any, tmp_path: Path, fake_clock: FakeClock
) -> None:
    from wheelscan.core.short_marks import mark_shorts

    store = Store(tmp_path / "cache", namespace="demo", clock=fake_clock)
    cache_only = AnswerReader(store, 600)
    quotes, warnings = short_quotes(ledger_state, cache_only)
    assert (quotes, warnings) == ({}, []), "nothing kept yet, and listing asks nobody"
    assert demo.options_requests == []

    source = YahooSource("demo", demo)
    source.activate()
    fetching = AnswerReader(store, 600, source)
    quotes, warnings = short_quotes(ledger_state, fetching)
    assert warnings == [] and fetching.keep() is None
    marks = mark_shorts(ledger_state, quotes)
    short_put = next(s for s in ledger_state.shorts if s.symbol == "T")
    assert set(marks) == {KO_CALL, short_put.contract}
    for short, opened in ((KO_CALL, 0.40), (short_put.contract, 0.30)):
        option = next(s for s in ledger_state.shorts if s.contract == short)
        epoch = int(datetime.combine(option.expiration, datetime.min.time(), UTC).timestamp())
        raw = _raw(demo.market, option.symbol, epoch)
        rows = raw["options"][0]["calls"] + raw["options"][0]["puts"]
        row = next(r for r in rows if r.get("contractSymbol") == short)
        spot = raw["quote"]["regularMarketPrice"]
        mid = (row["bid"] + row["ask"]) / 2
        mark = marks[short]
        assert mark.mid == pytest.approx(mid)
        assert mark.pl == pytest.approx(opened * 100 - mid * 100)
        assert mark.pl_pct_of_max == pytest.approx((opened - mid) / opened * 100)
        assert mark.itm == (spot > option.strike if option.kind == "call" else spot < option.strike)
        assert mark.dte == (option.expiration - date(2026, 11, 23)).days
    asked = list(demo.options_requests)
    assert len(asked) == len(set(asked))
    assert sorted({s for s, _ in asked}) == ["KO", "T"], "only the shorts' symbols"
    assert short_quotes(ledger_state, AnswerReader(store, 600))[0] == quotes, "now kept"


def test_wanted_expirations_are_the_window_and_the_shorts() -> None:
    expirations = {
        "2026-11-27": 1,
        "2026-12-04": 2,
        "2026-12-25": 3,
        "2027-01-15": 4,
        "2027-03-19": 5,
    }
    as_of = datetime(2026, 11, 23, 10, tzinfo=oracle.NY)
    assert wanted_expirations(expirations, as_of, [(1, 28)]) == ["2026-12-04"]
    also = [date(2027, 3, 19), date(2026, 11, 27), date(2026, 12, 4)]
    assert wanted_expirations(expirations, as_of, [], also) == ["2026-12-04", "2027-03-19"]
    assert wanted_expirations(expirations, as_of, [(1, 60)], also) == [
        "2026-12-04",
        "2026-12-25",
        "2027-01-15",
        "2027-03-19",
    ]
    # The put window and the call window together: each expiration once, in listed order.
    assert wanted_expirations(expirations, as_of, [(30, 60), (1, 11)], also) == [
        "2026-12-04",
        "2026-12-25",
        "2027-01-15",
        "2027-03-19",
    ]
    assert wanted_expirations(expirations, as_of, [(30, 40), (100, 120)]) == [
        "2026-12-25",
        "2027-03-19",
    ]


class Summaries(YahooStandIn):
    """Answers quoteSummary with a recorded-format body (or an error status) per symbol."""

    def __init__(self, bodies: dict[str, tuple[int, Any]]) -> None:
        super().__init__()
        self.bodies = bodies
        self.asked: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> Any:
        url = request.url or ""
        if QUOTE_SUMMARY_PATH not in url:
            return super().send(request, *args, **kwargs)
        symbol = url.split(QUOTE_SUMMARY_PATH)[1].split("?")[0]
        self.asked.append(symbol)
        assert "calendarEvents" in url and "defaultKeyStatistics" in url
        return _response(request, *self.bodies[symbol])


def summary(ex_epoch: int | None, last_dividend: float | None = None) -> dict[str, Any]:
    events: dict[str, Any] = {"maxAge": 1}
    if ex_epoch is not None:
        events["exDividendDate"] = ex_epoch
    modules: dict[str, Any] = {"calendarEvents": events}
    if last_dividend is not None:
        modules["defaultKeyStatistics"] = {"maxAge": 1, "lastDividendValue": last_dividend}
    return {"quoteSummary": {"result": [modules], "error": None}}


def epoch(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


def session_for(transport: YahooStandIn) -> object:
    source = YahooSource("demo", transport)  # type: ignore[arg-type]
    source.activate()
    return source.session


def test_ex_dividend_dates_read_from_the_epoch_in_new_york() -> None:
    transport = Summaries(
        {
            "KO": (200, summary(epoch(2026, 12, 1), 0.52)),  # 00:00 UTC: that date
            "PEP": (200, summary(epoch(2026, 12, 2, 3), 1.4225)),  # Dec 1, 22:00 New York
            "MSFT": (200, summary(epoch(2026, 11, 19, 14, 30))),  # no amount listed
            "TSLA": (200, summary(None)),
            "NOPE": (200, {"quoteSummary": {"result": None, "error": {"code": "Not Found"}}}),
            "DOWN": (500, {"finance": {"error": {"code": "Internal"}}}),
        }
    )
    session = session_for(transport)
    assert fetch_ex_dividend(session, "KO") == ExDividend(date(2026, 12, 1), 0.52)
    assert fetch_ex_dividend(session, "PEP") == ExDividend(date(2026, 12, 1), 1.4225)
    assert fetch_ex_dividend(session, "MSFT") == ExDividend(date(2026, 11, 19), None)
    assert fetch_ex_dividend(session, "TSLA") is None
    assert fetch_ex_dividend(session, "NOPE") is None
    with pytest.raises(DividendUnavailable):
        fetch_ex_dividend(session, "DOWN")
    # What Ticker.calendar would say on a machine in New York: a day early.
    local = datetime.fromtimestamp(epoch(2026, 12, 1), tz=oracle.NY).date()
    assert local == date(2026, 11, 30) != dividend_date(epoch(2026, 12, 1))


def test_one_ex_dividend_request_per_symbol_per_day(store: Store) -> None:
    transport = Summaries(
        {"KO": (200, summary(epoch(2026, 12, 1), 0.52)), "TSLA": (200, summary(None))}
    )
    session = session_for(transport)
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    assert next_ex_dividend(session, store, "KO", monday) == (
        ExDividend(date(2026, 12, 1), 0.52),
        True,
    )
    assert next_ex_dividend(session, store, "KO", monday) == (
        ExDividend(date(2026, 12, 1), 0.52),
        False,
    )
    assert next_ex_dividend(session, store, "TSLA", monday) == (None, True)
    assert next_ex_dividend(session, store, "TSLA", monday) == (None, False), "none is kept too"
    assert transport.asked == ["KO", "TSLA"]
    assert next_ex_dividend(session, store, "KO", tuesday)[1] is True
    assert transport.asked == ["KO", "TSLA", "KO"]


def test_a_failed_lookup_is_asked_again_and_leaves_the_risk_unknown(
    demo: DividendDemo, ledger_state: Any, tmp_path: Path, fake_clock: FakeClock
) -> None:
    class Down(DividendDemo):
        def send(self, request: requests.PreparedRequest, *a: object, **k: object) -> Any:
            if QUOTE_SUMMARY_PATH in (request.url or ""):
                self.summary_requests.append("x")
                return _response(request, 503, {"finance": {"error": {"code": "down"}}})
            return super().send(request, *a, **k)

    down = Down()
    store = Store(tmp_path / "cache", namespace="demo", clock=fake_clock)
    report = run(down, ledger_state, store)
    assert sorted(w.split(":")[0] for w in report.warnings) == ["AAPL", "KO"]
    for result in report.results.values():
        assert result.ex_dividend_known is False
        for candidate in result.evaluation.candidates:
            assert candidate.early_assignment_risk is None
            assert candidate.ex_dividend_before_expiry is None
    first = len(down.summary_requests)
    run(down, ledger_state, store)
    assert len(down.summary_requests) == 2 * first, "nothing was kept: asked again"


def test_calls_command_json_then_no_request_on_the_second_run(wheelscan_home: Path) -> None:
    """`wheelscan calls --json` on the demo (the wall clock): schema 2, the cash, a second
    run answered from the store, every figure the oracle's on the answers kept."""
    (wheelscan_home).mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text('source = "demo"\ncash = 20000\n')
    today = datetime.now(oracle.NY).date()
    events = [
        Event(SHARES, today, 300, 40.00, "KO"),
        Event(SELL, today, 1, 1.00, contract=f"KO{today:%y%m%d}P00030000"),
    ]
    append_events(events)
    first = runner.invoke(app, ["calls", "--json"])
    assert first.exit_code == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["schema"] == 2
    assert document["cash"] == {"cash": 20000.0, "put_collateral": 3000.0, "free_cash": 17000.0}
    assert document["results"]["KO"]["contracts"] == 3
    assert document["answers"]["requested"] > 0 and document["dividend_requests"] == 1
    second = json.loads(runner.invoke(app, ["calls", "--json"]).stdout)
    assert second["answers"] == {
        "cached": document["answers"]["requested"],
        "requested": 0,
        "published": 0,
    }
    assert second["dividend_requests"] == 0
    assert second["results"] == document["results"]

    ko = second["results"]["KO"]
    assert ko["adjusted_basis"] == pytest.approx(40.0 - 100.0 / 300)
    store = Store.for_source("demo")
    nearest = read_answer(store, "KO", None, 600)
    assert nearest is not None
    answers = []
    first_day = next(iter(nearest["expirations"]))
    for day, expiration in nearest["expirations"].items():
        kept = read_answer(store, "KO", None if day == first_day else expiration, 600)
        if kept is not None:
            answers.append((day, kept["body"]["calls"], kept["body"]["puts"]))
    dividend = ko["ex_dividend"]
    outcome = calls_oracle.evaluate_calls(
        "KO",
        nearest["body"]["underlying"],
        answers,
        Holding(40.0, 40.0 - 100.0 / 300),
        CallRules(),
        (dividend["date"], dividend["amount"]) if dividend else None,
    )
    assert ko["rejected"] == {r: outcome.rejected.get(r, 0) for r in calls_oracle.REASONS}
    assert {c["contract"] for c in ko["candidates"]} == set(outcome.candidates)
    for candidate in ko["candidates"]:
        for name, value in outcome.candidates[candidate["contract"]].items():
            if isinstance(value, float):
                assert candidate[name] == pytest.approx(value, rel=TOLERANCE, abs=TOLERANCE), name
            else:
                assert candidate[name] == value, name


def test_calls_command_refuses_a_bad_policy_in_one_line() -> None:
    result = runner.invoke(app, ["calls", "--min-strike", "cheapest"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "wheelscan: error: call min strike must be one of adjusted, basis, none, got 'cheapest'"
    ]
