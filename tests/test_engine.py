"""The engine over real yfinance and the demo transport: requests, concurrency, retries."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from wheelscan.core.models import Criteria, ScanState, TickerFailed, TickerFinished, TickerStarted
from wheelscan.core.pricing import days_to_expiry, expiration_date
from wheelscan.engine import EngineSettings, ScanEngine, _reason
from yahoo_doubles import CountingDemo, RateLimitStorm, source_over

FAST_RETRY = EngineSettings(backoff_base_s=0.01, rate_limit_backoff_base_s=0.01, backoff_max_s=0.05)


async def test_one_request_per_expiration_in_the_window_and_no_more() -> None:
    transport = CountingDemo()
    engine = ScanEngine(source_over(transport))
    criteria = Criteria(max_dte=21)
    report = await engine.run(["AAPL", "KO"], criteria)

    assert report.state is ScanState.SUCCEEDED
    for symbol in ("AAPL", "KO"):
        asked = [epoch for s, epoch in transport.options_requests if s == symbol]
        assert asked[0] is None, "the no-date request comes first"
        dated = asked[1:]
        assert len(dated) == len(set(dated)), "no expiration is requested twice"
        as_of = report.results[symbol].as_of
        listed = transport.market.options_json(symbol, None)["optionChain"]["result"][0]
        in_window = [
            e
            for e in listed["expirationDates"][1:]
            if 1 <= days_to_expiry(as_of, expiration_date(e)) <= 21
        ]
        assert sorted(dated) == sorted(in_window)
        assert report.results[symbol].requests == len(asked)
    assert report.requests == transport.request_count


async def test_requests_overlap_up_to_the_concurrency_bound() -> None:
    transport = CountingDemo(latency=0.05)
    engine = ScanEngine(source_over(transport), EngineSettings(concurrency=8))
    symbols = [f"T{i:02d}" for i in range(20)]
    started = time.monotonic()
    report = await engine.run(symbols, Criteria())
    elapsed = time.monotonic() - started

    assert report.state is ScanState.SUCCEEDED
    assert len(report.results) == 20
    assert transport.max_in_flight == 8
    sequential = transport.request_count * 0.05
    assert elapsed < sequential / 2, f"{elapsed:.2f}s is not well under {sequential:.2f}s"


async def test_progress_events_stream_per_ticker() -> None:
    events: list[object] = []
    engine = ScanEngine(source_over(CountingDemo()))
    await engine.run(["AAPL", "KO", "MSFT"], Criteria(), on_event=events.append)
    started = [e for e in events if isinstance(e, TickerStarted)]
    finished = [e for e in events if isinstance(e, TickerFinished)]
    assert {e.symbol for e in started} == {"AAPL", "KO", "MSFT"}
    assert sorted(e.done for e in finished) == [1, 2, 3]
    assert all(e.total == 3 for e in finished)


async def test_a_rate_limit_storm_that_clears_is_retried_away() -> None:
    transport = RateLimitStorm(storm=6)
    report = await ScanEngine(source_over(transport), FAST_RETRY).run(["AAPL", "KO"], Criteria())
    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    assert set(report.results) == {"AAPL", "KO"}
    assert transport.refused == 6


async def test_a_rate_limit_storm_that_does_not_clear_fails_each_ticker_with_its_reason() -> None:
    transport = RateLimitStorm(storm=None)
    events: list[object] = []
    started = time.monotonic()
    report = await ScanEngine(source_over(transport), FAST_RETRY).run(
        ["AAPL", "KO"], Criteria(), on_event=events.append
    )
    assert time.monotonic() - started < 10, "retries must end"
    assert report.state is ScanState.FAILED
    assert report.results == {}
    assert set(report.errors) == {"AAPL", "KO"}
    assert all("429" in reason for reason in report.errors.values())
    assert {e.symbol for e in events if isinstance(e, TickerFailed)} == {"AAPL", "KO"}
    assert report.requests == 2 * FAST_RETRY.max_attempts


async def test_stop_cancels_the_scan_and_keeps_what_finished() -> None:
    transport = CountingDemo(latency=0.05)
    stop = threading.Event()
    finished: list[str] = []

    def on_event(event: object) -> None:
        if isinstance(event, TickerFinished):
            finished.append(event.symbol)
            stop.set()

    engine = ScanEngine(source_over(transport), EngineSettings(concurrency=2))
    report = await engine.run(
        [f"S{i}" for i in range(12)], Criteria(), on_event=on_event, stop=stop
    )
    assert report.state is ScanState.CANCELLED
    assert 1 <= len(report.results) < 12
    assert set(report.results) == set(finished)


async def test_an_empty_symbol_list_fails_cleanly() -> None:
    report = await ScanEngine(source_over(CountingDemo())).run([], Criteria())
    assert report.state is ScanState.FAILED


def test_backoff_is_bounded_and_jittered() -> None:
    settings = EngineSettings()
    delays = [settings.backoff(attempt, rate_limited=True) for attempt in range(10)]
    assert max(delays) <= settings.backoff_max_s
    assert min(settings.backoff(0, False) for _ in range(50)) >= settings.backoff_base_s / 2
    assert len({round(settings.backoff(3, False), 6) for _ in range(20)}) > 1


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_concurrency_setting_is_the_ceiling(concurrency: int) -> None:
    transport = CountingDemo(latency=0.02)
    await ScanEngine(source_over(transport), EngineSettings(concurrency=concurrency)).run(
        ["A", "B", "C", "D"], Criteria()
    )
    assert transport.max_in_flight == concurrency


def test_failure_reasons_never_carry_the_crumb() -> None:
    error = requests.ConnectionError(
        "Max retries exceeded with url: /v7/finance/options/AAPL?date=1&crumb=s3cr3t (Caused by X)"
    )
    reason = _reason(error)
    assert "s3cr3t" not in reason
    assert reason.startswith("ConnectionError: Max retries exceeded")
