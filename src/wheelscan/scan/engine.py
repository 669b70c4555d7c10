"""The scan engine: many tickers' chains fetched concurrently, priced, filtered.

yfinance is blocking, so each HTTP request runs in a worker thread; asyncio
bounds how many are in flight (a semaphore), paces them (one shared token
bucket), retries transient failures with jittered backoff, and reports each
ticker as it finishes through `on_event` (called on the engine's loop: keep it
short, never do I/O in it). A ticker's failure never stops the scan; setting
the `StopEvent` does, keeping what finished. The engine knows nothing about the
store or any user interface.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from wheelscan.core.criteria import evaluate_chains, sort_candidates
from wheelscan.core.models import (
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
from wheelscan.scan.stop import StopEvent
from wheelscan.yahoo.source import NearestChain, YahooSource, is_rate_limit, is_transient

if TYPE_CHECKING:
    from wheelscan.config import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries a request: attempts, a deadline per request, and
    exponential backoff with equal jitter (longer after a 429)."""

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


def failure_reason(error: BaseException) -> str:
    """A one-line reason for a ticker's failure, with Yahoo's crumb and cookie masked."""
    if is_rate_limit(error):
        return "rate limited by Yahoo (HTTP 429)"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    name = type(error).__name__
    return redact(f"{name}: {text}")[:200] if text else name


class ScanEngine:
    """One scan of `symbols` over `source`, with the criteria, concurrency and pacing
    of `settings`; `run()` (in a loop) or `run_blocking()` (without one), once.

    `intrinsic_values` are the watchlist's ({symbol: value}); `stop`, set from any
    thread, cancels the scan, which then reports what finished as CANCELLED.
    """

    def __init__(
        self,
        source: YahooSource,
        settings: Settings,
        symbols: Sequence[str],
        *,
        intrinsic_values: Mapping[str, float] | None = None,
        on_event: Callable[[ScanEvent], None] | None = None,
        stop: StopEvent | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.source = source
        self.criteria = settings.criteria
        self.concurrency = settings.concurrency
        rate = settings.rate_limit_per_s
        self.rate_limit_per_s = source.default_rate_limit_per_s if rate is None else rate
        self.symbols = list(symbols)
        self.intrinsic_values = dict(intrinsic_values or {})
        self.emit = on_event or (lambda _: None)
        self.stop = stop or StopEvent()
        self.retry = retry or RetryPolicy()
        self.results: dict[str, TickerResult] = {}
        self.errors: dict[str, str] = {}
        self.requests = 0
        self.requests_by_symbol: dict[str, int] = {}
        self.done = 0
        self._started = False

    def run_blocking(self) -> ScanReport:
        """`run()` in a fresh event loop, for callers without one (the CLI, a thread)."""
        return asyncio.run(self.run())

    async def run(self) -> ScanReport:
        if self._started:
            raise RuntimeError("a ScanEngine runs one scan; make another for the next")
        self._started = True
        started = datetime.now(UTC)
        self.pool = ThreadPoolExecutor(self.concurrency + 2, thread_name_prefix="wheelscan")
        self.slots = asyncio.Semaphore(self.concurrency)
        self.limiter = RateLimiter(self.rate_limit_per_s, self.concurrency)
        state = ScanState.SUCCEEDED
        message = ""
        self.emit(ScanStarted(total=len(self.symbols), symbols=tuple(self.symbols)))
        try:
            await self._in_thread(self.source.activate)
            tickers = asyncio.gather(*(self._scan_ticker(s) for s in self.symbols))
            stopped = asyncio.ensure_future(self.stop.wait_async())
            await asyncio.wait({tickers, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not tickers.done():
                tickers.cancel()
                state, message = ScanState.CANCELLED, "Scan cancelled"
            await asyncio.gather(tickers, stopped, return_exceptions=True)
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
        retry = self.retry
        for attempt in range(retry.max_attempts):
            try:
                async with self.slots:
                    await self.limiter.acquire()
                    self.requests += 1
                    self.requests_by_symbol[symbol] = self.requests_by_symbol.get(symbol, 0) + 1
                    return await asyncio.wait_for(
                        self._in_thread(fn, *args), retry.request_timeout_s
                    )
            except Exception as error:
                if not is_transient(error) or attempt == retry.max_attempts - 1:
                    raise
                delay = retry.backoff(attempt, is_rate_limit(error))
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
            self.errors[symbol] = failure_reason(error)
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
                failures[day] = failure_reason(outcome)
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
