"""Yahoo's failures injected at the transport, under the real yfinance, on 50-ticker scans.

Each fault travels the whole path (requests → yfinance with its own consent/crumb retry →
YahooSource → engine). What must hold: the scan ends as SPEC 5 says, each failed ticker
carries the right reason, faults that clear change no result, and retries end.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date
from typing import Any

import pytest

from faults import (
    EXPECTED_HOSTILE_REASONS,
    HOSTILE_CRITERIA,
    HOSTILE_TAGS,
    PERMANENT_KINDS,
    TRANSIENT_KINDS,
    BrokenStructure,
    CrumbExpiry,
    Fault,
    FaultyDemo,
    Hanging,
    HostileRows,
    PastExpirations,
)
from wheelscan.config import Settings
from wheelscan.core.models import (
    REJECTION_REASONS,
    Criteria,
    ScanEvent,
    ScanReport,
    ScanState,
    TickerFailed,
    TickerFinished,
)
from wheelscan.core.pricing import days_to_expiry
from wheelscan.scan.engine import RetryPolicy, ScanEngine
from wheelscan.yahoo.source import YahooSource

SYMBOLS = [f"F{i:02d}" for i in range(50)]
FAST = RetryPolicy(
    backoff_base_s=0.01, rate_limit_backoff_base_s=0.01, backoff_max_s=0.05, max_attempts=4
)
ALL_KINDS = [*TRANSIENT_KINDS, *PERMANENT_KINDS]
_clean_results: dict[str, Any] = {}


async def scan(
    transport: FaultyDemo,
    symbols: list[str] = SYMBOLS,
    retry: RetryPolicy = FAST,
    criteria: Criteria | None = None,
) -> tuple[ScanReport, list[ScanEvent]]:
    events: list[ScanEvent] = []
    settings = Settings(source="demo", criteria=criteria or Criteria())
    engine = ScanEngine(
        YahooSource("demo", transport), settings, symbols, on_event=events.append, retry=retry
    )
    return await engine.run(), events


def results_json(report: ScanReport) -> dict[str, Any]:
    return {s: r.to_json() for s, r in report.results.items()}


async def clean_results() -> dict[str, Any]:
    """The 50 tickers scanned with no fault (computed once, inside a test's own home)."""
    if not _clean_results:
        report, _ = await scan(FaultyDemo())
        assert report.state is ScanState.SUCCEEDED and not report.errors
        _clean_results.update(results_json(report))
    return _clean_results


def assert_one_outcome_per_ticker(events: list[ScanEvent], symbols: list[str]) -> None:
    """Every ticker ends exactly once, as finished or failed: no exception got lost."""
    ends = Counter(e.symbol for e in events if isinstance(e, TickerFinished | TickerFailed))
    assert ends == Counter(symbols)


async def test_faults_that_clear_within_the_retries_change_no_result() -> None:
    expected = await clean_results()
    # Three hits per ticker: status faults cost two requests per attempt (yfinance retries
    # once itself), exceptions one; either way the fourth engine attempt at worst succeeds.
    kinds = list(TRANSIENT_KINDS)
    faults = {s: Fault(kinds[i % len(kinds)], times=3) for i, s in enumerate(SYMBOLS[:40])}
    transport = FaultyDemo(faults)
    report, events = await scan(transport)

    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    assert results_json(report) == expected
    assert set(transport.injected) == set(TRANSIENT_KINDS)
    assert sum(transport.injected.values()) == 3 * 40
    assert_one_outcome_per_ticker(events, SYMBOLS)


async def test_faults_that_persist_fail_only_their_tickers_each_with_its_reason() -> None:
    expected = await clean_results()
    faulty = {s: ALL_KINDS[i // 2] for i, s in enumerate(SYMBOLS[: 2 * len(ALL_KINDS)])}
    transport = FaultyDemo({s: Fault(kind) for s, kind in faulty.items()})
    report, events = await scan(transport)

    assert report.state is ScanState.SUCCEEDED, "some tickers were fetched"
    assert set(report.errors) == set(faulty)
    for symbol, kind in faulty.items():
        reason = report.errors[symbol]
        wanted = TRANSIENT_KINDS.get(kind, "no options listed")
        assert wanted in reason, f"{kind}: {reason}"
        asked = transport.requests_for(symbol)
        if kind in PERMANENT_KINDS:
            assert asked == [None], "an unknown symbol is not retried"
        else:
            assert len(asked) >= FAST.max_attempts, f"{kind} is retried"
            assert len(asked) <= 2 * FAST.max_attempts, f"{kind}: retries must end"
    clean = {s: r for s, r in expected.items() if s not in faulty}
    assert {s: r for s, r in results_json(report).items()} == clean
    assert_one_outcome_per_ticker(events, SYMBOLS)


async def test_failed_expirations_keep_the_ticker_and_are_listed() -> None:
    kinds = ["503", "reset", "truncated", "500-json"]
    # Only a name with weeklies makes dated requests inside 4 weeks: a monthly-only
    # name's one expiration there is the nearest, which the no-date request brings.
    weekly = [s for s in SYMBOLS if FaultyDemo().market.profile(s).weekly]
    faulty = {s: kinds[i % len(kinds)] for i, s in enumerate(weekly[:8])}
    transport = FaultyDemo({s: Fault(k, dated_only=True) for s, k in faulty.items()})
    report, events = await scan(transport)

    assert report.state is ScanState.SUCCEEDED
    assert set(report.results) == set(SYMBOLS), "the nearest chain still counts"
    assert set(report.errors) == set(faulty)
    for symbol in faulty:
        failed_dates = report.results[symbol].expiration_errors
        assert failed_dates, symbol
        assert all(len(day) == 10 for day in failed_dates)
        assert all(day in report.errors[symbol] for day in failed_dates)
    assert_one_outcome_per_ticker(events, SYMBOLS)


async def test_a_scan_where_no_ticker_can_be_fetched_fails_after_its_retries() -> None:
    kinds = list(TRANSIENT_KINDS)
    transport = FaultyDemo({s: Fault(kinds[i % len(kinds)]) for i, s in enumerate(SYMBOLS)})
    report, events = await scan(transport)

    assert report.state is ScanState.FAILED
    assert report.message == "no ticker could be fetched"
    assert report.results == {}
    assert set(report.errors) == set(SYMBOLS)
    assert report.requests == 50 * FAST.max_attempts, "each ticker's retries end"
    assert_one_outcome_per_ticker(events, SYMBOLS)


async def test_a_request_that_hangs_is_cut_off_by_the_engine_deadline() -> None:
    transport = Hanging({"F01", "F02"})
    # Long enough for any answered request on a busy machine; the hung ones never answer.
    retry = RetryPolicy(request_timeout_s=3.0, max_attempts=1)
    try:
        report, _ = await scan(transport, SYMBOLS[:12], retry)
        still_hanging = transport.waiting
    finally:
        transport.release.set()

    assert report.state is ScanState.SUCCEEDED
    assert set(report.errors) == {"F01", "F02"}
    assert all("Timeout" in reason for reason in report.errors.values())
    assert still_hanging == 2, "the deadline, not the hung socket, ended the wait"


async def test_damaged_rows_are_rejected_for_the_right_reason_and_never_crash() -> None:
    transport = HostileRows({"H1", "H2"})
    report, _ = await scan(transport, ["H1", "H2", "OK"], criteria=HOSTILE_CRITERIA)

    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    for symbol in ("H1", "H2"):
        result = report.results[symbol]
        chains = result.requests  # one chain per request, all inside the DTE window
        expected = Counter(r for r in EXPECTED_HOSTILE_REASONS.values() if r is not None)
        assert result.rejected == {r: chains * expected.get(r, 0) for r in REJECTION_REASONS}
        qualifying = {t for t, r in EXPECTED_HOSTILE_REASONS.items() if r is None}
        tags = Counter(HOSTILE_TAGS[int(c.contract[-8:])] for c in result.candidates)
        assert tags == {t: chains for t in qualifying}
        document = json.dumps(result.to_json(), allow_nan=False)  # strict JSON: no NaN
        assert symbol in document
        for candidate in result.candidates:
            figures = [candidate.delta, candidate.prob_otm, candidate.annualized_return_pct]
            assert all(math.isfinite(x) for x in figures)
            assert candidate.bid > 0 and candidate.ask >= candidate.bid


async def test_answers_of_the_wrong_shape_fail_their_ticker_with_a_clear_reason() -> None:
    variants = BrokenStructure.VARIANTS
    faulty = {f"B{i}": variant for i, variant in enumerate(variants)}
    transport = BrokenStructure({s: Fault(v) for s, v in faulty.items()})
    report, events = await scan(transport, [*faulty, "OK1", "OK2"])

    assert report.state is ScanState.SUCCEEDED
    assert {"OK1", "OK2"} <= set(report.results)
    understood = ("unexpected answer shape", "no options listed", "no regularMarketPrice")
    for symbol, variant in faulty.items():
        if symbol in report.results:
            # Junk rows in a list are skipped as unreadable contracts, never candidates.
            assert variant == "puts_null_rows"
            assert all(c.contract.startswith(symbol) for c in report.results[symbol].candidates)
        else:
            assert any(text in report.errors[symbol] for text in understood), report.errors
    assert_one_outcome_per_ticker(events, [*faulty, "OK1", "OK2"])


async def test_expired_dates_in_the_list_are_never_requested_nor_offered() -> None:
    transport = PastExpirations()
    # The demo's derived names can quote wide and report inside the window.
    criteria = Criteria(max_delta=0.5, min_return_pct=0, max_spread_pct=100, earnings="ignore")
    report, _ = await scan(transport, ["P1", "P2", "P3"], criteria=criteria)

    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    past = set(transport.past_epochs())
    assert not past & {epoch for _, epoch in transport.options_requests}
    for result in report.results.values():
        assert result.candidates, "the live expirations are still scanned"
        assert result.rejected["dte"] > 0, "the expired chain in the no-date answer is rejected"
        for candidate in result.candidates:
            assert 1 <= candidate.dte <= criteria.max_dte
            day = date.fromisoformat(candidate.expiration)
            assert days_to_expiry(result.as_of, day) >= 1


async def test_a_crumb_that_goes_invalid_mid_scan_is_renewed_without_losing_a_ticker() -> None:
    expected = await clean_results()
    transport = CrumbExpiry(valid_for=25)
    report, events = await scan(transport)

    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    assert results_json(report) == expected
    assert transport.rejected > 0, "the crumb did go invalid"
    assert transport.crumbs_issued > 1, "a new crumb was fetched"
    assert_one_outcome_per_ticker(events, SYMBOLS)


@pytest.mark.parametrize("kind", ["429", "503", "reset"])
def test_a_fault_storm_through_the_blocking_entry_returns_a_report(kind: str) -> None:
    """The CLI's entry (`run_blocking`, a fresh loop) ends too, every ticker accounted for."""
    transport = FaultyDemo({s: Fault(kind) for s in SYMBOLS[:5]})
    source = YahooSource("demo", transport)
    report = ScanEngine(source, Settings(source="demo"), SYMBOLS[:10], retry=FAST).run_blocking()
    assert report.state is ScanState.SUCCEEDED
    assert set(report.errors) == set(SYMBOLS[:5])
    assert set(report.results) == set(SYMBOLS[5:10])
