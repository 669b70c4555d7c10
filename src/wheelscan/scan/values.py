"""`wheelscan value`: each symbol's intrinsic value from the quote a scan used, or a new one.

The quote comes, in this order, from the answer cache (a scan's options answer, SPEC
1.4, while it is young), from the published results (each result keeps the quote's
valuation fields, `core.valuation.QUOTE_FIELDS`), else from one options request through
the source, whose answer is then kept for the next scan. The value is computed again
with today's config and watchlist, exactly as a scan computes it, so `value` and a
scan's badges agree on the same quote. The FCF method's cash flow comes from the store
(a week) or one fundamentals request. Blocking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.core.valuation import (
    IntrinsicValue,
    TrailingCashFlow,
    ValuationPlan,
    discount_pct,
    price_vs_value,
)
from wheelscan.scan.cash_flows import StoredCashFlows
from wheelscan.store import Store, StoreError
from wheelscan.store.answers import read_answer, write_answers

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from wheelscan.config import Settings
    from wheelscan.yahoo.source import YahooSource

log = logging.getLogger("wheelscan.value")

FROM_ANSWERS = "answer cache"
FROM_RESULTS = "published results"
FROM_SOURCE = "source"


@dataclass(frozen=True)
class SymbolValue:
    """One symbol's value with the price it is compared with and where the quote came from."""

    symbol: str
    price: float | None
    as_of: str | None
    quote_from: str
    value: IntrinsicValue

    def to_json(self) -> dict[str, Any]:
        value = self.value
        price = self.price
        return {
            "price": price,
            "as_of": self.as_of,
            "quote_from": self.quote_from,
            "intrinsic_value": value.value,
            "intrinsic_value_source": value.source,
            "method": value.method,
            "inputs": dict(value.inputs),
            "reason": value.reason,
            "discount_pct": None if price is None else discount_pct(price, value.value),
            "price_vs_value": None if price is None else price_vs_value(price, value.value),
        }


@dataclass
class ValuesReport:
    values: dict[str, SymbolValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Quote:
    fields: Mapping[str, Any]
    price: float | None
    as_of: str | None
    origin: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _raw_quote(quote: Mapping[str, Any], origin: str) -> _Quote:
    stamp = _number(quote.get("regularMarketTime"))
    as_of = None
    if stamp is not None and stamp > 0:
        as_of = datetime.fromtimestamp(stamp, UTC).astimezone(NEW_YORK).isoformat()
    return _Quote(quote, _number(quote.get("regularMarketPrice")), as_of, origin)


def _stored_quote(
    store: Store, symbol: str, keep_s: float, published: Mapping[str, Any]
) -> _Quote | None:
    """The quote a scan used: from its kept answer, else from the published results."""
    answer = read_answer(store, symbol, None, keep_s)
    body = answer.get("body") if answer else None
    quote = body.get("underlying") if isinstance(body, dict) else None
    if isinstance(quote, dict):
        return _raw_quote(quote, FROM_ANSWERS)
    result = published.get(symbol)
    valuation = result.get("valuation") if isinstance(result, dict) else None
    fields = valuation.get("quote") if isinstance(valuation, dict) else None
    if not isinstance(fields, dict):
        return None
    as_of = result.get("as_of")
    return _Quote(
        fields,
        _number(result.get("underlying_price")),
        as_of if isinstance(as_of, str) else None,
        FROM_RESULTS,
    )


class _Fetcher:
    """The source, made and activated on the first request it is needed for."""

    def __init__(self, make: Callable[[], YahooSource]) -> None:
        self.make = make
        self._source: YahooSource | None = None

    @property
    def source(self) -> YahooSource:
        if self._source is None:
            self._source = self.make()
            self._source.activate()
        return self._source


def value_symbols(
    symbols: Sequence[str],
    settings: Settings,
    plan: ValuationPlan,
    store: Store,
    make_source: Callable[[], YahooSource],
) -> ValuesReport:
    """Each symbol's value (or its error: its quote could not be had), in order."""
    from wheelscan.scan.engine import failure_reason
    from wheelscan.yahoo.fundamentals import fetch_symbol_cash_flow

    keep_s = settings.chain_cache_minutes * 60
    cached = parse_source(settings.source).kind is not SourceKind.SNAPSHOT
    published = store.read_results(settings.results_ttl_minutes).results if cached else {}
    cash_flows = StoredCashFlows(store) if cached else None
    fetcher = _Fetcher(make_source)
    kept_answers: list[tuple[str, int | None, dict[str, Any]]] = []
    report = ValuesReport()
    for symbol in symbols:
        quote = _stored_quote(store, symbol, keep_s, published) if cached else None
        try:
            if quote is None:
                answer = fetcher.source.fetch_answer(symbol)
                kept_answers.append((symbol, None, answer.to_json()))
                quote = _raw_quote(answer.body["underlying"], FROM_SOURCE)
            cash_flow: TrailingCashFlow | None = None
            if plan.needs_cash_flow(symbol, quote.fields):
                cash_flow = cash_flows.get(symbol) if cash_flows else None
                if cash_flow is None:
                    cash_flow = fetch_symbol_cash_flow(fetcher.source.session, symbol)
                    if cash_flows is not None:
                        cash_flows.put(symbol, cash_flow)
        except Exception as error:
            report.errors[symbol] = failure_reason(error)
            continue
        value = plan.value(symbol, quote.fields, cash_flow)
        report.values[symbol] = SymbolValue(symbol, quote.price, quote.as_of, quote.origin, value)
    if cash_flows is not None:
        cash_flows.save()
    if cached and kept_answers:
        try:
            write_answers(store, kept_answers, keep_s)
        except StoreError as error:
            log.warning("could not keep the options answers: %s", error)
    return report
