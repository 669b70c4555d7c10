"""The engine over real yfinance and the demo transport: requests, concurrency, retries, stop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import requests

from faults import Crowd, Hanging
from wheelscan.config import Settings
from wheelscan.core.models import Criteria, ScanState, TickerFailed, TickerFinished, TickerStarted
from wheelscan.core.pricing import days_to_expiry, expiration_date
from wheelscan.scan.engine import RetryPolicy, ScanEngine, failure_reason
from wheelscan.scan.stop import StopEvent
from yahoo_doubles import CountingDemo, RateLimitStorm, source_over

FAST_RETRY = RetryPolicy(backoff_base_s=0.01, rate_limit_backoff_base_s=0.01, backoff_max_s=0.05)
DEMO = Settings(source="demo")


async def test_one_request_per_expiration_in_the_window_and_no_more() -> None:
    transport = CountingDemo()
    settings = Settings(source="demo", criteria=Criteria(max_dte=21))
    report = await ScanEngine(source_over(transport), settings, ["AAPL", "KO"]).run()

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


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_requests_overlap_up_to_the_concurrency_setting_and_never_beyond(
    concurrency: int,
) -> None:
    transport = Crowd(target=concurrency)
    settings = Settings(source="demo", concurrency=concurrency)
    symbols = [f"T{i:02d}" for i in range(12)]
    report = await ScanEngine(source_over(transport), settings, symbols).run()

    assert report.state is ScanState.SUCCEEDED and report.errors == {}
    assert transport.crowded.is_set(), f"{concurrency} requests were never in flight together"
    assert transport.max_in_flight == concurrency


async def test_progress_events_stream_per_ticker() -> None:
    events: list[object] = []
    engine = ScanEngine(
        source_over(CountingDemo()), DEMO, ["AAPL", "KO", "MSFT"], on_event=events.append
    )
    await engine.run()
    started = [e for e in events if isinstance(e, TickerStarted)]
    finished = [e for e in events if isinstance(e, TickerFinished)]
    assert {e.symbol for e in started} == {"AAPL", "KO", "MSFT"}
    assert sorted(e.done for e in finished) == [1, 2, 3]
    assert all(e.total == 3 for e in finished)


async def test_a_rate_limit_storm_that_clears_is_retried_away() -> None:
    transport = RateLimitStorm(storm=6)
    engine = ScanEngine(source_over(transport), DEMO, ["AAPL", "KO"], retry=FAST_RETRY)
    report = await engine.run()
    assert report.state is ScanState.SUCCEEDED
    assert report.errors == {}
    assert set(report.results) == {"AAPL", "KO"}
    assert transport.refused == 6


async def test_a_rate_limit_storm_that_does_not_clear_fails_each_ticker_with_its_reason() -> None:
    transport = RateLimitStorm(storm=None)
    events: list[object] = []
    engine = ScanEngine(
        source_over(transport), DEMO, ["AAPL", "KO"], on_event=events.append, retry=FAST_RETRY
    )
    report = await engine.run()
    assert report.state is ScanState.FAILED
    assert report.results == {}
    assert set(report.errors) == {"AAPL", "KO"}
    assert all("429" in reason for reason in report.errors.values())
    assert {e.symbol for e in events if isinstance(e, TickerFailed)} == {"AAPL", "KO"}
    assert report.requests == 2 * FAST_RETRY.max_attempts, "retries end after max_attempts"


async def test_stop_cancels_the_scan_and_keeps_what_finished() -> None:
    hung = {f"S{i}" for i in range(1, 12)}
    transport = Hanging(hung)
    stop = StopEvent()

    def on_event(event: object) -> None:
        if isinstance(event, TickerFinished):
            stop.set()

    symbols = [f"S{i}" for i in range(12)]
    # Slots for every hung request and S0's own: the hung ones never give theirs back.
    settings = Settings(source="demo", concurrency=16)
    engine = ScanEngine(source_over(transport), settings, symbols, on_event=on_event, stop=stop)
    try:
        report = await engine.run()
    finally:
        transport.release.set()
    assert report.state is ScanState.CANCELLED
    assert set(report.results) == {"S0"}, "the one ticker that could finish is kept"
    assert report.errors == {}


async def test_a_stop_set_from_another_thread_wakes_the_engine_while_every_request_hangs() -> None:
    symbols = ["A", "B", "C"]
    transport = Hanging(set(symbols))
    stop = StopEvent()
    engine = ScanEngine(source_over(transport), DEMO, symbols, stop=stop)
    scan = asyncio.ensure_future(engine.run())
    try:
        deadline = time.monotonic() + 60
        while transport.waiting < len(symbols):
            assert time.monotonic() < deadline, "the requests never started"
            await asyncio.sleep(0.01)
        threading.Thread(target=stop.set).start()
        report = await asyncio.wait_for(scan, timeout=60)
        assert transport.waiting > 0, "the engine returned while the requests still hang"
    finally:
        transport.release.set()
    assert report.state is ScanState.CANCELLED
    assert report.results == {}


async def test_a_stop_set_before_the_scan_starts_cancels_it_at_once() -> None:
    stop = StopEvent()
    stop.set()
    transport = Hanging({"A"})
    try:
        report = await ScanEngine(source_over(transport), DEMO, ["A"], stop=stop).run()
    finally:
        transport.release.set()
    assert report.state is ScanState.CANCELLED


async def test_an_empty_symbol_list_fails_cleanly() -> None:
    report = await ScanEngine(source_over(CountingDemo()), DEMO, []).run()
    assert report.state is ScanState.FAILED
    assert report.message == "no tickers to scan"


async def test_an_engine_runs_one_scan() -> None:
    engine = ScanEngine(source_over(CountingDemo()), DEMO, ["AAPL"])
    await engine.run()
    with pytest.raises(RuntimeError):
        await engine.run()


def test_backoff_is_bounded_and_jittered() -> None:
    retry = RetryPolicy()
    delays = [retry.backoff(attempt, rate_limited=True) for attempt in range(10)]
    assert max(delays) <= retry.backoff_max_s
    assert min(retry.backoff(0, False) for _ in range(50)) >= retry.backoff_base_s / 2
    assert len({round(retry.backoff(3, False), 6) for _ in range(20)}) > 1


def test_failure_reasons_never_carry_the_crumb() -> None:
    error = requests.ConnectionError(
        "Max retries exceeded with url: /v7/finance/options/AAPL?date=1&crumb=s3cr3t (Caused by X)"
    )
    reason = failure_reason(error)
    assert "s3cr3t" not in reason
    assert reason.startswith("ConnectionError: Max retries exceeded")
