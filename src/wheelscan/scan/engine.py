"""The scan engine: many tickers' chains fetched concurrently, priced, filtered.

yfinance is blocking, so each HTTP request runs in a worker thread; asyncio
bounds how many are in flight (a semaphore), paces them (the scan's one `Pacer`,
which also paces the cookie, crumb and consent requests yfinance makes inside a
call, and pauses everyone after a 429), retries transient failures with jittered
backoff, and reports each ticker as it finishes through `on_event` (called on the
engine's loop: keep it short, never do I/O in it). An `AnswerCache` may answer an
options request from the store instead (SPEC 1.4). A ticker's failure never stops
the scan; setting the `StopEvent` does, keeping what finished. The engine knows
nothing about the store or any user interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from wheelscan.core.call_criteria import ExDividend
from wheelscan.core.cash import fits, free_cash
from wheelscan.core.chains import OptionChain
from wheelscan.core.criteria import Evaluation, TickerChains, evaluate_tickers, sort_candidates
from wheelscan.core.held_results import HeldChains, held_fields
from wheelscan.core.models import (
    ScanEvent,
    ScanReport,
    ScanStarted,
    ScanState,
    TickerFailed,
    TickerFinished,
    TickerResult,
    TickerStarted,
)
from wheelscan.core.scan_needs import ScanNeeds, TickerNeeds
from wheelscan.core.valuation import (
    IntrinsicValue,
    ValuationPlan,
    pe_at,
    trailing_eps,
    valuation_record,
)
from wheelscan.scan.batching import ReadyBatches
from wheelscan.scan.retry import RetryPolicy, failure_reason
from wheelscan.scan.stop import StopEvent
from wheelscan.yahoo.dividends import DividendUnavailable, fetch_ex_dividend
from wheelscan.yahoo.fundamentals import fetch_symbol_cash_flow
from wheelscan.yahoo.pacing import Pacer
from wheelscan.yahoo.source import (
    Answer,
    NearestChain,
    YahooSource,
    is_rate_limit,
    is_transient,
)

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.scan.caches import AnswerCache, CashFlowCache, DividendCache

T = TypeVar("T")


class ScanEngine:
    """One scan of `symbols` over `source`, with the criteria, concurrency and pacing
    of `settings`; `run()` (in a loop) or `run_blocking()` (without one), once.

    `intrinsic_values` are the watchlist's ({symbol: value}), `value_overrides` its DCF
    overrides ({symbol: {DcfParams field: value}}) over `settings.dcf`; the others get the
    DCF of their quote's EPS or, per symbol, of the cash flow (`cash_flows` keeps those
    between scans). `stop`, set from any
    thread, cancels the scan, which then reports what finished as CANCELLED.
    `answers` answers options requests from the store when it can; `pacer` replaces
    the one built from the settings and `retry` (tests pass one on a fake clock).
    `needs` says which expirations each ticker needs (SPEC 1.3; default: `symbols`'
    puts) and which are held: those get their covered calls and open shorts' quotes,
    the calls with the ex-dividend date (`dividends` keeps those a day). With the
    ledger in `needs`, each put says whether it `fits` free cash (config `cash`).
    """

    def __init__(
        self,
        source: YahooSource,
        settings: Settings,
        symbols: Sequence[str],
        *,
        intrinsic_values: Mapping[str, float] | None = None,
        value_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        cash_flows: CashFlowCache | None = None,
        on_event: Callable[[ScanEvent], None] | None = None,
        stop: StopEvent | None = None,
        retry: RetryPolicy | None = None,
        answers: AnswerCache | None = None,
        pacer: Pacer | None = None,
        needs: ScanNeeds | None = None,
        dividends: DividendCache | None = None,
    ) -> None:
        self.source = source
        self.criteria = settings.criteria
        self.concurrency = settings.concurrency
        rate = settings.rate_limit_per_s
        self.rate_limit_per_s = source.default_rate_limit_per_s if rate is None else rate
        self.symbols = list(symbols)
        puts, self.calls = settings.criteria, settings.calls
        self.needs = needs or ScanNeeds(
            self.symbols, (puts.min_dte, puts.max_dte), (self.calls.min_dte, self.calls.max_dte)
        )
        self.dividends = dividends
        positions = self.needs.positions
        self.free_cash = None if positions is None else free_cash(settings.cash, positions)
        self.valuation = ValuationPlan(
            settings.dcf, dict(intrinsic_values or {}), dict(value_overrides or {})
        )
        self.cash_flows = cash_flows
        self.emit = on_event or (lambda _: None)
        self.stop = stop or StopEvent()
        self.retry = retry or RetryPolicy()
        self.answers = answers
        self.pacer = pacer or self.retry.pacer(self.rate_limit_per_s, self.stop)
        self.results: dict[str, TickerResult] = {}
        self.errors: dict[str, str] = {}
        self.requests = 0
        self.cached_answers = 0
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
        self.source.use_pacer(self.pacer)
        self.judging: ReadyBatches[_Fetched, TickerResult] = ReadyBatches(
            self._evaluate, self._in_thread
        )
        state = ScanState.SUCCEEDED
        message = ""
        self.emit(ScanStarted(total=len(self.symbols), symbols=tuple(self.symbols)))
        tasks: list[asyncio.Future[object]] = []
        try:
            await self._in_thread(self.source.activate)
            tickers = asyncio.gather(*(self._scan_ticker(s) for s in self.symbols))
            stopped = asyncio.ensure_future(self.stop.wait_async())
            tasks = [tickers, stopped]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if not tickers.done():
                state, message = ScanState.CANCELLED, "Scan cancelled"
        finally:
            # Also when this task is cancelled itself: every task ends here, awaited,
            # so none is left to report an exception nobody retrieved.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.judging.close()
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
            cached_answers=self.cached_answers,
        )

    async def _in_thread(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def _prepaid(self, fn: Callable[..., T], *args: object) -> T:
        with self.pacer.prepaid():
            return fn(*args)

    async def _request(self, symbol: str, fn: Callable[..., T], *args: object) -> T:
        """One options request through the slots and the pacer, retried when transient.

        After a 429 the pacer holds every request back; other failures wait their own
        backoff."""
        retry = self.retry
        for attempt in range(retry.max_attempts):
            try:
                async with self.slots:
                    await self.pacer.acquire()
                    self.requests += 1
                    self.requests_by_symbol[symbol] = self.requests_by_symbol.get(symbol, 0) + 1
                    return await asyncio.wait_for(
                        self._in_thread(self._prepaid, fn, *args), retry.request_timeout_s
                    )
            except Exception as error:
                if not is_transient(error) or attempt == retry.max_attempts - 1:
                    raise
                if not is_rate_limit(error):
                    await asyncio.sleep(retry.backoff(attempt, rate_limited=False))
        raise AssertionError("unreachable: the last attempt raises or returns")

    async def _answer(
        self, symbol: str, expiration: str | None = None, epoch: int | None = None
    ) -> Answer:
        """The options answer from the cache when it keeps a young one, else one request."""
        if self.answers is not None:
            cached = await self._in_thread(self.answers.get, symbol, epoch)
            if cached is not None:
                self.cached_answers += 1
                return cached
        answer = await self._request(symbol, self.source.fetch_answer, symbol, expiration, epoch)
        if self.answers is not None:
            self.answers.put(symbol, epoch, answer)
        return answer

    async def _scan_ticker(self, symbol: str) -> None:
        self.emit(TickerStarted(symbol=symbol, done=self.done, total=len(self.symbols)))
        try:
            answer = await self._answer(symbol)
            nearest = await self._in_thread(self.source.nearest, symbol, answer)
            result = await self._scan_expirations(symbol, nearest, answer.body["underlying"])
        except Exception as error:
            self.done += 1
            self.errors[symbol] = failure_reason(error)
            self.emit(TickerFailed(symbol, self.errors[symbol], self.done, len(self.symbols)))
            return
        result.requests = self.requests_by_symbol.get(symbol, 0)
        self.done += 1
        self.results[symbol] = result
        if result.expiration_errors:
            self.errors[symbol] = "; ".join(
                f"{d}: {r}" for d, r in result.expiration_errors.items()
            )
        self.emit(TickerFinished(symbol, result, self.done, len(self.symbols)))

    async def _scan_expirations(
        self, symbol: str, nearest: NearestChain, quote: dict[str, Any]
    ) -> TickerResult:
        as_of = nearest.underlying.as_of
        needs = self.needs.ticker(symbol)
        wanted = needs.wanted(nearest.expirations, as_of)
        fetched = await asyncio.gather(
            *(self._expiration(symbol, day, nearest.expirations[day]) for day in wanted),
            return_exceptions=True,
        )
        chains: dict[date, OptionChain] = {nearest.chain.expiration: nearest.chain}
        failures: dict[str, str] = {}
        for day, outcome in zip(wanted, fetched, strict=True):
            if isinstance(outcome, BaseException):
                if isinstance(outcome, asyncio.CancelledError):
                    raise outcome
                failures[day] = failure_reason(outcome)
            else:
                chains[outcome.expiration] = outcome
        value = await self._value(symbol, quote)
        held = await self._held(symbol, needs, chains)
        puts = needs.put_chains(chains, nearest.chain, as_of)
        return await self.judging.submit(
            _Fetched(symbol, nearest, puts, failures, value, quote, held)
        )

    async def _held(
        self, symbol: str, needs: TickerNeeds, chains: dict[date, OptionChain]
    ) -> HeldChains | None:
        """What a symbol the ledger names needs judged beside its puts (None: not held)."""
        if needs.position is None:
            return None
        if needs.call_window is None:
            return HeldChains(needs, chains)
        dividend, known = await self._ex_dividend(symbol)
        return HeldChains(needs, chains, dividend, known)

    async def _ex_dividend(self, symbol: str) -> tuple[ExDividend | None, bool]:
        """(the next ex-dividend, whether it is known): today's kept answer, else one
        request; a failed lookup leaves it unknown (the calls' risk is then None)."""
        if self.dividends is not None:
            found, dividend = await self._in_thread(self.dividends.get, symbol)
            if found:
                return dividend, True
        try:
            dividend = await self._request(symbol, fetch_ex_dividend, self.source.session, symbol)
        except DividendUnavailable:
            return None, False
        if self.dividends is not None:
            self.dividends.put(symbol, dividend)
        return dividend, True

    async def _value(self, symbol: str, quote: dict[str, Any]) -> IntrinsicValue:
        """The ticker's intrinsic value; a cash flow that cannot be had is n/a, not a failure."""
        if not self.valuation.needs_cash_flow(symbol, quote):
            return self.valuation.value(symbol, quote)
        try:
            kept = None
            if self.cash_flows is not None:
                kept = await self._in_thread(self.cash_flows.get, symbol)
            if kept is None:
                cash_flow = await self._request(
                    symbol, fetch_symbol_cash_flow, self.source.session, symbol
                )
            else:
                cash_flow = kept
        except Exception as error:
            return self.valuation.unavailable(symbol, f"no cash flow: {failure_reason(error)}")
        if kept is None and self.cash_flows is not None:
            self.cash_flows.put(symbol, cash_flow)
        return self.valuation.value(symbol, quote, cash_flow)

    async def _expiration(self, symbol: str, day: str, epoch: int) -> OptionChain:
        answer = await self._answer(symbol, day, epoch)
        return await self._in_thread(self.source.expiration_chain, answer, day)

    def _evaluate(self, batch: list[_Fetched]) -> list[TickerResult]:
        """Every ticker whose answers are in, judged in one call (scan/batching.py)."""
        tickers = [TickerChains(f.chains, f.nearest.underlying, f.value.value) for f in batch]
        evaluations = evaluate_tickers(tickers, self.criteria)
        rate = self.criteria.risk_free_rate_pct
        return [
            _result(
                f, e, held_fields(f.held, f.nearest.underlying, self.calls, rate), self.free_cash
            )
            for f, e in zip(batch, evaluations, strict=True)
        ]


@dataclass(frozen=True)
class _Fetched:
    """One ticker's answers, read, and its intrinsic value: what the criteria judge."""

    symbol: str
    nearest: NearestChain
    chains: list[OptionChain]
    failures: dict[str, str]
    value: IntrinsicValue
    quote: dict[str, Any]
    held: HeldChains | None = None


def _result(
    fetched: _Fetched, evaluation: Evaluation, held: dict[str, Any], free: float | None
) -> TickerResult:
    symbol, failures, value, quote = fetched.symbol, fetched.failures, fetched.value, fetched.quote
    underlying = fetched.nearest.underlying
    eps = trailing_eps(quote)
    candidates = evaluation.candidates
    if eps is not None:
        candidates = [replace(c, pe_at_strike=pe_at(c.strike, eps)) for c in candidates]
    if free is not None:
        candidates = [replace(c, fits=fits(c.collateral, free)) for c in candidates]
    return TickerResult(
        symbol=symbol,
        underlying_price=underlying.price,
        as_of=underlying.as_of,
        rejected=evaluation.rejected,
        candidates=sort_candidates(candidates),
        intrinsic_value=value.value,
        intrinsic_value_source=value.source,
        valuation=valuation_record(value, quote),
        market_state=underlying.market_state,
        next_earnings=underlying.next_earnings,
        expirations=evaluation.expirations,
        expiration_errors=failures,
        held=held,
    )
