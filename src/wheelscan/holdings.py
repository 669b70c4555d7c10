"""The ledger's holdings in the latest answers (SPEC 9): the calls document, the marks of shorts.

`calls_document` lists covered calls for every symbol with at least 100 uncovered
shares. They come from the published watchlist results when that scan found the
symbol's covered calls for the same holding and criteria (core/held_results.py); else
from the store's answer cache, when a scan (or an earlier `calls`) fetched them in the
last `chain_cache_minutes`; what is still missing is asked of the configured source
and kept. `find_covered_calls` is that one rule: `calls`, the app's Calls view and the
plan's covered calls (daily_plan.py) all take it. Each symbol whose calls come from
answers also gets its ex-dividend date, asked once a day (yahoo/dividends.py).
`latest_marks` marks the open shorts from the cached answers, then the published
quotes, asking the source only when told to.

Published results are used while fresh (`results_ttl_minutes`), or at any age when no
source may be asked: a quote with its as_of beats none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.call_criteria import CallCriteria
from wheelscan.core.calls import CoveredCalls, covered_calls, needs_calls
from wheelscan.core.cash import cash_json
from wheelscan.core.expiry import new_york_date
from wheelscan.core.held_results import calls_criteria_json, published_calls, published_quotes
from wheelscan.core.positions import Positions
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.core.short_marks import ShortMark, ShortQuote, mark_shorts, quote_in_chain
from wheelscan.held_answers import AnswerReader, HeldAnswers, NotKept
from wheelscan.scan.engine import failure_reason
from wheelscan.store import Store
from wheelscan.yahoo.dividends import DividendUnavailable, next_ex_dividend
from wheelscan.yahoo.source import make_source

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.yahoo.source import YahooSource


@dataclass
class CallsReport:
    """What `calls_document` found: per symbol its covered calls, or why there are none."""

    results: dict[str, CoveredCalls] = field(default_factory=dict)
    covered: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cached_answers: int = 0
    requested_answers: int = 0
    published: int = 0
    dividend_requests: int = 0


def _today(store: Store) -> date:
    return new_york_date(datetime.fromtimestamp(store.clock(), UTC))


@dataclass
class PublishedHeld:
    """The published results' tickers, read once, when a first answer is not kept:
    fresh ones, or any when `any_age` (no source may be asked)."""

    store: Store
    ttl_minutes: float
    any_age: bool
    _results: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def result(self, symbol: str) -> dict[str, Any]:
        if self._results is None:
            published = self.store.read_results(self.ttl_minutes)
            usable = self.any_age or not published.stale
            self._results = published.results if usable else {}
        found = self._results.get(symbol)
        return found if isinstance(found, dict) else {}


def _published(store: Store, settings: Settings, source: YahooSource | None) -> PublishedHeld:
    return PublishedHeld(store, settings.results_ttl_minutes, any_age=source is None)


def find_covered_calls(
    positions: Positions,
    settings: Settings,
    criteria: CallCriteria,
    store: Store,
    source: YahooSource | None,
) -> CallsReport:
    """Covered calls of every symbol with ≥ 100 uncovered shares (SPEC 9).

    `source` None reads the answer cache only (and looks no dividend up).
    """
    report = CallsReport()
    reader = AnswerReader(store, settings.chain_cache_minutes * 60, source)
    published = _published(store, settings, source)
    rate = settings.criteria.risk_free_rate_pct
    window = (criteria.min_dte, criteria.max_dte)
    shorts = positions.short_expirations()
    for position in positions:
        if position.shares <= 0:
            continue
        if not needs_calls(position):
            report.covered[position.symbol] = (
                f"{position.shares} shares, {position.uncovered_shares} uncovered"
            )
            continue
        symbol = position.symbol
        found = published_calls(published.result(symbol), position, criteria, rate)
        if found is not None:
            report.results[symbol] = found
            report.published += 1
            continue
        try:
            held = reader.held(symbol, window, shorts.get(symbol, ()))
        except Exception as error:  # the source's own failure is this symbol's, as in a scan
            report.errors[symbol] = failure_reason(error)
            continue
        dividend, known = None, False
        if source is not None:
            try:
                dividend, asked = next_ex_dividend(source.session, store, symbol, _today(store))
                known = True
                report.dividend_requests += int(asked)
            except DividendUnavailable as error:
                report.warnings.append(f"{symbol}: ex-dividend date unknown ({error})")
        report.results[symbol] = covered_calls(
            held.in_window(*window),
            held.underlying,
            position,
            criteria,
            rate,
            dividend,
            dividend_known=known,
        )
    warning = reader.keep()
    if warning:
        report.warnings.append(warning)
    report.cached_answers, report.requested_answers = reader.cached, reader.requested
    return report


def calls_document(
    report: CallsReport,
    positions: Positions,
    settings: Settings,
    criteria: CallCriteria,
    namespace: str,
) -> dict[str, Any]:
    """The `calls --json` document (schema 2)."""
    stamps = [result.as_of for result in report.results.values()]
    return {
        "schema": SCHEMA_VERSION,
        "source": settings.source,
        "source_namespace": namespace,
        "as_of": max(stamps).isoformat() if stamps else None,
        "criteria": calls_criteria_json(criteria, settings.criteria.risk_free_rate_pct),
        "answers": {
            "cached": report.cached_answers,
            "requested": report.requested_answers,
            "published": report.published,
        },
        "dividend_requests": report.dividend_requests,
        "cash": cash_json(settings.cash, positions),
        "results": {symbol: result.to_json() for symbol, result in report.results.items()},
        "covered": dict(report.covered),
        "errors": dict(report.errors),
        "warnings": list(report.warnings),
    }


def covered_calls_now(
    positions: Positions, settings: Settings, criteria: CallCriteria
) -> tuple[CallsReport, str]:
    """`find_covered_calls` on the configured source and its store: (report, namespace)."""
    store = Store.for_source(settings.source)
    source = make_source(settings.source)
    source.activate()
    return find_covered_calls(positions, settings, criteria, store, source), store.namespace


def short_quotes(
    positions: Positions, reader: AnswerReader, published: PublishedHeld | None = None
) -> tuple[dict[str, ShortQuote], list[str]]:
    """Contract → quote of every open short whose expiration's answer `reader` has, else
    that `published` quotes, and a warning line per symbol whose answers failed (a symbol
    the cache lacks is no failure)."""
    quotes: dict[str, ShortQuote] = {}
    warnings: list[str] = []
    for symbol, days in positions.short_expirations().items():
        contracts = [short.contract for short in positions.get(symbol).shorts]
        kept: dict[str, ShortQuote] = {}
        if published is not None and not reader.keeps(symbol):
            kept = published_quotes(published.result(symbol))
        if all(contract in kept for contract in contracts):
            quotes.update((contract, kept[contract]) for contract in contracts)
            continue
        try:
            held = reader.held(symbol, None, days)
        except NotKept:
            held = None
        except Exception as error:  # the source's failure, or a kept answer that does not read
            warnings.append(f"{symbol}: no quotes for its open shorts ({failure_reason(error)})")
            held = None
        for short in positions.get(symbol).shorts:
            quote = _quoted(short.contract, short.expiration, held) or kept.get(short.contract)
            if quote is not None:
                quotes[short.contract] = quote
    return quotes, warnings


def _quoted(contract: str, expiration: date, held: HeldAnswers | None) -> ShortQuote | None:
    chain = held.chains.get(expiration) if held is not None else None
    if held is None or chain is None:
        return None
    return quote_in_chain(contract, chain, held.underlying)


def latest_marks(
    positions: Positions, settings: Settings, *, fetch: bool = False
) -> tuple[dict[str, ShortMark], list[str]]:
    """The open shorts marked to the answers the store keeps, and warning lines; with
    `fetch`, what the store lacks is asked of the configured source (and kept)."""
    if not positions.shorts:
        return {}, []
    store = Store.for_source(settings.source)
    source = make_source(settings.source) if fetch else None
    if source is not None:
        source.activate()
    reader = AnswerReader(store, settings.chain_cache_minutes * 60, source)
    quotes, warnings = short_quotes(positions, reader, _published(store, settings, source))
    kept = reader.keep()
    return mark_shorts(positions, quotes), [*warnings, *([kept] if kept else [])]
