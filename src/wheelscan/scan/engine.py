"""The scan engine: many tickers' chains fetched concurrently, priced, filtered.

yfinance is blocking, so each HTTP request runs in a worker thread; asyncio
bounds how many are in flight (a semaphore), paces them (one shared token
bucket), retries transient failures with jittered backoff, and reports each
ticker as it finishes through `on_event`. A ticker's failure never stops the
scan. The engine knows nothing about the store or any user interface.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from wheelscan.core.criteria import evaluate_chains, sort_candidates
from wheelscan.core.models import (
    Criteria,
    PutChain,
    ScanEvent,
    ScanReport,
    ScanStarted,
    ScanState,
    TickerFailed,
    TickerFinished,
    TickerResult,
    TickerStarted,
)
from wheelscan.core.pricing import days_to_expiry
from wheelscan.redact import redact
from wheelscan.yahoo.source import NearestChain, YahooSource, is_rate_limit, is_transient

T = TypeVar("T")
STOP_POLL_S = 0.05


@dataclass(frozen=True)
class EngineSettings:
    """Concurrency, pacing and retry policy. Backoff is exponential with equal jitter.

    `rate_limit_per_s` None takes the source's own default: Yahoo is paced,
    the offline sources are not (there is no server to protect).
    """

    concurrency: int = 8
    rate_limit_per_s: float | None = None
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    rate_limit_backoff_base_s: float = 2.0
    backoff_max_s: float = 20.0
    request_timeout_s: float = 45.0

    def backoff(self, attempt: int, rate_limited: bool) -> float:
        base = self.rate_limit_backoff_base_s if rate_limited else self.backoff_base_s
        ceiling = min(self.backoff_max_s, base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class RateLimiter:
    """A token bucket shared by every request; `pause` holds everyone back after a 429."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._updated = time.monotonic()
        self._resume_at = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._resume_at:
                    await asyncio.sleep(self._resume_at - now)
                    continue
                if self.rate <= 0:
                    return
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def _reason(error: BaseException) -> str:
    """A one-line reason for a ticker's failure, with Yahoo's crumb and cookie masked."""
    if is_rate_limit(error):
        return "rate limited by Yahoo (HTTP 429)"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    name = type(error).__name__
    return redact(f"{name}: {text}")[:200] if text else name


class ScanEngine:
    """Runs one scan at a time over a YahooSource."""

    def __init__(self, source: YahooSource, settings: EngineSettings | None = None) -> None:
        self.source = source
        self.settings = settings or EngineSettings()

    async def run(
        self,
        symbols: list[str],
        criteria: Criteria,
        *,
        intrinsic_values: dict[str, float] | None = None,
        on_event: Callable[[ScanEvent], None] | None = None,
        stop: threading.Event | None = None,
    ) -> ScanReport:
        """Scan `symbols`; `stop` (set from any thread) cancels, keeping what finished."""
        run = _Run(self, symbols, criteria, intrinsic_values or {}, on_event or (lambda _: None))
        return await run.execute(stop)


class _Run:
    """The state of one scan: counters, results, the pool and the limiter."""

    def __init__(
        self,
        engine: ScanEngine,
        symbols: list[str],
        criteria: Criteria,
        intrinsic_values: dict[str, float],
        emit: Callable[[ScanEvent], None],
    ) -> None:
        self.source = engine.source
        self.settings = engine.settings
        self.symbols = symbols
        self.criteria = criteria
        self.intrinsic_values = intrinsic_values
        self.emit = emit
        self.results: dict[str, TickerResult] = {}
        self.errors: dict[str, str] = {}
        self.requests = 0
        self.requests_by_symbol: dict[str, int] = {}
        self.done = 0

    async def execute(self, stop: threading.Event | None) -> ScanReport:
        started = datetime.now(UTC)
        settings = self.settings
        self.pool = ThreadPoolExecutor(settings.concurrency + 2, thread_name_prefix="wheelscan")
        self.slots = asyncio.Semaphore(settings.concurrency)
        rate = settings.rate_limit_per_s
        if rate is None:
            rate = self.source.default_rate_limit_per_s
        self.limiter = RateLimiter(rate, settings.concurrency)
        state = ScanState.SUCCEEDED
        message = ""
        self.emit(ScanStarted(total=len(self.symbols), symbols=tuple(self.symbols)))
        try:
            await self._in_thread(self.source.activate)
            tickers = asyncio.gather(*(self._scan_ticker(s) for s in self.symbols))
            if stop is None:
                await tickers
            else:
                watcher = asyncio.ensure_future(_wait_for(stop))
                await asyncio.wait({tickers, watcher}, return_when=asyncio.FIRST_COMPLETED)
                watcher.cancel()
                if not tickers.done():
                    tickers.cancel()
                    await asyncio.gather(tickers, return_exceptions=True)
                    state, message = ScanState.CANCELLED, "Scan cancelled"
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)
        if state is ScanState.SUCCEEDED and self.symbols and not self.results:
            state, message = ScanState.FAILED, "no ticker could be fetched"
        if not self.symbols:
            state, message = ScanState.FAILED, "no tickers to scan"
        return ScanReport(
            state=state,
            started_at=started,
            finished_at=datetime.now(UTC),
            criteria=self.criteria,
            source=self.source.name,
            symbols=list(self.symbols),
            results=dict(self.results),
            errors=dict(self.errors),
            requests=self.requests,
            message=message,
        )

    async def _in_thread(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def _request(self, symbol: str, fn: Callable[..., T], *args: object) -> T:
        """One HTTP request through the slots and the limiter, retried when transient."""
        settings = self.settings
        for attempt in range(settings.max_attempts):
            try:
                async with self.slots:
                    await self.limiter.acquire()
                    self.requests += 1
                    self.requests_by_symbol[symbol] = self.requests_by_symbol.get(symbol, 0) + 1
                    return await asyncio.wait_for(
                        self._in_thread(fn, *args), settings.request_timeout_s
                    )
            except Exception as error:
                if not is_transient(error) or attempt == settings.max_attempts - 1:
                    raise
                delay = settings.backoff(attempt, is_rate_limit(error))
                if is_rate_limit(error):
                    self.limiter.pause(delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt raises or returns")

    async def _scan_ticker(self, symbol: str) -> None:
        self.emit(TickerStarted(symbol=symbol, done=self.done, total=len(self.symbols)))
        try:
            nearest: NearestChain = await self._request(symbol, self.source.fetch_nearest, symbol)
            result = await self._scan_expirations(symbol, nearest)
        except Exception as error:
            self.done += 1
            self.errors[symbol] = _reason(error)
            self.emit(TickerFailed(symbol, self.errors[symbol], self.done, len(self.symbols)))
            return
        result.requests = self.requests_by_symbol[symbol]
        self.done += 1
        self.results[symbol] = result
        if result.expiration_errors:
            self.errors[symbol] = "; ".join(
                f"{d}: {r}" for d, r in result.expiration_errors.items()
            )
        self.emit(TickerFinished(symbol, result, self.done, len(self.symbols)))

    async def _scan_expirations(self, symbol: str, nearest: NearestChain) -> TickerResult:
        as_of = nearest.underlying.as_of
        _first, *later = nearest.expirations
        wanted = [
            day
            for day in later
            if self.criteria.min_dte
            <= days_to_expiry(as_of, datetime.strptime(day, "%Y-%m-%d").date())
            <= self.criteria.max_dte
        ]
        fetched = await asyncio.gather(
            *(
                self._request(symbol, self.source.fetch_expiration, nearest.ticker, day)
                for day in wanted
            ),
            return_exceptions=True,
        )
        chains: list[PutChain] = [nearest.chain]
        failures: dict[str, str] = {}
        for day, outcome in zip(wanted, fetched, strict=True):
            if isinstance(outcome, BaseException):
                if isinstance(outcome, asyncio.CancelledError):
                    raise outcome
                failures[day] = _reason(outcome)
            else:
                chains.append(outcome)
        value = self.intrinsic_values.get(symbol)
        return await self._in_thread(self._evaluate, symbol, nearest, chains, failures, value)

    def _evaluate(
        self,
        symbol: str,
        nearest: NearestChain,
        chains: list[PutChain],
        failures: dict[str, str],
        value: float | None,
    ) -> TickerResult:
        candidates, rejected = evaluate_chains(chains, nearest.underlying, self.criteria, value)
        return TickerResult(
            symbol=symbol,
            underlying_price=nearest.underlying.price,
            as_of=nearest.underlying.as_of,
            rejected=rejected,
            candidates=sort_candidates(candidates),
            intrinsic_value=value,
            expiration_errors=failures,
        )


async def _wait_for(event: threading.Event) -> None:
    while not event.is_set():
        await asyncio.sleep(STOP_POLL_S)


def run_scan(
    engine: ScanEngine, symbols: list[str], criteria: Criteria, **kwargs: Any
) -> ScanReport:
    """Blocking wrapper for callers without an event loop (the CLI, a thread worker)."""
    return asyncio.run(engine.run(symbols, criteria, **kwargs))
