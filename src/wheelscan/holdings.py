"""The ledger's holdings in the latest answers (SPEC 9): the calls document, the marks of shorts.

`calls_document` lists covered calls for every symbol with at least 100 uncovered
shares. Its answers come from the store's answer cache when a scan (or an earlier
`calls`) fetched them in the last `chain_cache_minutes`; what is missing is asked of
the configured source and kept. Each such symbol also gets its ex-dividend date,
asked once a day (yahoo/dividends.py). `latest_marks` marks the open shorts from
the cached answers, asking the source only when told to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.call_criteria import CallCriteria
from wheelscan.core.calls import CoveredCalls, covered_calls, needs_calls
from wheelscan.core.cash import cash_json
from wheelscan.core.expiry import new_york_date
from wheelscan.core.positions import Positions
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.core.short_marks import ShortMark, ShortQuote, mark_shorts, quote_in_chain
from wheelscan.held_answers import AnswerReader, NotKept
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
    dividend_requests: int = 0


def _today(store: Store) -> date:
    return new_york_date(datetime.fromtimestamp(store.clock(), UTC))


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
            settings.criteria.risk_free_rate_pct,
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
        "criteria": {
            **criteria.to_json(),
            "risk_free_rate_pct": settings.criteria.risk_free_rate_pct,
        },
        "answers": {"cached": report.cached_answers, "requested": report.requested_answers},
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
    positions: Positions, reader: AnswerReader
) -> tuple[dict[str, ShortQuote], list[str]]:
    """Contract → quote of every open short whose expiration's answer `reader` has, and a
    warning line per symbol whose answers failed (a symbol the cache lacks is no failure)."""
    quotes: dict[str, ShortQuote] = {}
    warnings: list[str] = []
    for symbol, days in positions.short_expirations().items():
        try:
            held = reader.held(symbol, None, days)
        except NotKept:
            continue
        except Exception as error:  # the source's failure, or a kept answer that does not read
            warnings.append(f"{symbol}: no quotes for its open shorts ({failure_reason(error)})")
            continue
        for short in positions.get(symbol).shorts:
            chain = held.chains.get(short.expiration)
            quote = quote_in_chain(short.contract, chain, held.underlying) if chain else None
            if quote is not None:
                quotes[short.contract] = quote
    return quotes, warnings


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
    quotes, warnings = short_quotes(positions, reader)
    kept = reader.keep()
    return mark_shorts(positions, quotes), [*warnings, *([kept] if kept else [])]
