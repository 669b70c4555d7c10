"""Measurement 1: scan wall time against a sequential yfinance script and the physical limit.

All three run in this process over one CountingDemoTransport with the same
per-request latency, so they pay the same simulated network through the same
yfinance request path; requests are counted at the transport. The baseline also
pays for the DataFrames `option_chain` builds, as any script calling it does.

- engine: wheelscan's ScanEngine (default concurrency 8, the demo source's
  default rate limit: none).
- baseline: what a plain yfinance script does, one request at a time:
  `Ticker.options`, then `option_chain(date)` for every expiration in the DTE
  window, then the same pricing and criteria (chain_from_answer + evaluate_chain).
- limit: ceil(requests / concurrency) × latency, the engine's own request count.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

import yfinance as yf

from benchmarks.common import (
    BenchResult,
    CountingDemoTransport,
    Target,
    bench_symbols,
    timed,
)
from wheelscan.config import Settings
from wheelscan.core.criteria import evaluate_chain
from wheelscan.core.models import Criteria, ScanReport, TickerResult
from wheelscan.core.pricing import NEW_YORK, days_to_expiry, expiration_date
from wheelscan.scan.engine import ScanEngine
from wheelscan.yahoo.rows import chain_from_answer, underlying_from_quote
from wheelscan.yahoo.source import YahooSource

SPEEDUP_TARGET = 6.0
LIMIT_TARGET = 1.25


def sequential_baseline(
    session: object, symbols: list[str], criteria: Criteria, today: datetime
) -> dict[str, list[str]]:
    """The plain yfinance script: per ticker, `.options`, then each window date in turn.

    Returns each ticker's candidate contracts so the benchmark can check that
    both approaches found the same puts.
    """
    found: dict[str, list[str]] = {}
    for symbol in symbols:
        ticker = yf.Ticker(symbol, session=session)
        contracts: list[str] = []
        for day in ticker.options:
            dte = days_to_expiry(today, datetime.strptime(day, "%Y-%m-%d").date())
            if not criteria.min_dte <= dte <= criteria.max_dte:
                continue
            options = ticker.option_chain(day)
            underlying = underlying_from_quote(symbol, options.underlying)
            rows = {
                "calls": options.calls.to_dict("records"),
                "puts": options.puts.to_dict("records"),
            }
            chain = chain_from_answer(rows, day)
            contracts.extend(
                c.contract for c in evaluate_chain(chain, underlying, criteria).candidates
            )
        found[symbol] = sorted(contracts)
    return found


def expected_requests(
    transport: CountingDemoTransport, symbols: list[str], criteria: Criteria
) -> int:
    """SPEC 1.3: one no-date request, plus one per *further* expiration in the window."""
    total = 0
    for symbol in symbols:
        listed = transport.market.options_json(symbol, None)["optionChain"]["result"][0]
        now = transport.market.now()
        later = listed["expirationDates"][1:]
        in_window = [
            e
            for e in later
            if criteria.min_dte <= days_to_expiry(now, expiration_date(e)) <= criteria.max_dte
        ]
        total += 1 + len(in_window)
    return total


def redundant_requests(
    transport: CountingDemoTransport, requests: list[tuple[str, int | None]]
) -> int:
    """Requests whose answer the scan already had: a repeat, or a dated request for the
    nearest expiration, which the no-date answer already carries."""
    repeats = sum(n - 1 for n in Counter(requests).values() if n > 1)
    nearest: dict[str, int] = {}
    for symbol, _epoch in requests:
        if symbol not in nearest:
            listed = transport.market.options_json(symbol, None)["optionChain"]["result"][0]
            nearest[symbol] = listed["expirationDates"][0]
    asked_nearest = sum(1 for pair in set(requests) if pair[1] == nearest[pair[0]])
    return repeats + asked_nearest


def _engine_contracts(report: ScanReport) -> dict[str, list[str]]:
    def contracts(result: TickerResult) -> list[str]:
        return sorted(c.contract for c in result.candidates)

    return {s: contracts(r) for s, r in report.results.items()}


def run(
    tickers: int = 50, latency: float = 0.2, concurrency: int = 8, max_dte: int = 28
) -> BenchResult:
    symbols = bench_symbols(tickers)
    criteria = Criteria(max_dte=max_dte)
    transport = CountingDemoTransport(latency=latency)
    source = YahooSource("demo", transport)
    settings = Settings(source="demo", criteria=criteria, concurrency=concurrency)

    def scan() -> ScanReport:
        return ScanEngine(source, settings, symbols).run_blocking()

    generating_s, _ = timed(scan)
    transport.prepare(symbols)
    first = transport.request_count
    transport.max_in_flight = 0
    engine_s, report = timed(scan)
    engine_requests = transport.options_requests[first:]
    engine_in_flight = transport.max_in_flight

    source.activate()
    transport.max_in_flight = 0
    today = transport.market.now().astimezone(NEW_YORK)
    baseline_s, baseline_found = timed(
        lambda: sequential_baseline(source.session, symbols, criteria, today)
    )
    baseline_requests = transport.options_requests[first + len(engine_requests) :]

    limit_s = math.ceil(len(engine_requests) / concurrency) * latency
    speedup = baseline_s / engine_s
    over_limit = engine_s / limit_s if limit_s else math.nan
    redundant = redundant_requests(transport, engine_requests)
    result = BenchResult(
        "scan",
        f"1. Scan wall time: {tickers} tickers, max DTE {max_dte}, "
        f"latency {latency} s/request, concurrency {concurrency}",
        {
            "engine wall time (s)": engine_s,
            "baseline wall time (s)": baseline_s,
            "physical limit (s)": limit_s,
            "speed-up vs baseline (×)": speedup,
            "engine / limit (×)": over_limit,
            "engine, demo answers generated in-process (s)": generating_s,
            "in-process demo engine / limit (×)": generating_s / limit_s if limit_s else math.nan,
            "engine requests (transport)": len(engine_requests),
            "engine requests reported by the scan": report.requests,
            "requests SPEC 1.3 allows": expected_requests(transport, symbols, criteria),
            "engine redundant requests": redundant,
            "baseline requests (transport)": len(baseline_requests),
            "baseline redundant requests": redundant_requests(transport, baseline_requests),
            "engine max in flight": engine_in_flight,
            "baseline max in flight": transport.max_in_flight,
            "same candidates in both": _engine_contracts(report) == baseline_found,
            "candidates": report.candidate_count,
            "ticker errors": len(report.errors),
        },
    )
    if latency > 0:
        result.targets = [
            Target("speed-up vs sequential baseline (×)", speedup, SPEEDUP_TARGET, at_most=False),
            Target("engine time / physical limit (×)", over_limit, LIMIT_TARGET),
            Target("redundant requests", redundant, 0),
        ]
    return result
