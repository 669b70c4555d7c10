"""A held symbol's part of a scan's results (SPEC 9): its covered calls, its open shorts' quotes.

A scan that looks at a symbol the ledger names publishes, beside the ticker's puts,
`covered_calls` (the calls document's entry for the symbol, core.calls, with the call
criteria and rate it was found with) when the symbol has 100 uncovered shares or
more, and `short_quotes` (contract → bid, ask, mid, spot, as_of) for each open short
its answers list. `calls`, `positions list` and the app read them back here once the
answer cache no longer keeps the answers (holdings.py). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wheelscan.core.call_criteria import CallCriteria, ExDividend
from wheelscan.core.calls import CoveredCalls, covered_calls
from wheelscan.core.chains import OptionChain, Underlying
from wheelscan.core.earnings import NextEarnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.positions import Position
from wheelscan.core.scan_needs import TickerNeeds
from wheelscan.core.short_marks import ShortQuote, quote_in_chain

COVERED_CALLS = "covered_calls"
SHORT_QUOTES = "short_quotes"
_HOLDING = ("shares", "uncovered_shares", "basis", "adjusted_basis")
"""The holding's figures a covered-calls entry is found for (as Position.to_json writes them)."""
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def calls_criteria_json(criteria: CallCriteria, rate_pct: float) -> dict[str, Any]:
    """The call criteria and the risk-free rate, as the calls document and the scan show them."""
    return {**criteria.to_json(), "risk_free_rate_pct": rate_pct}


def held_json(
    calls: CoveredCalls | None,
    criteria: CallCriteria,
    rate_pct: float,
    quotes: Mapping[str, ShortQuote],
    has_shorts: bool,
) -> dict[str, Any]:
    """The fields a held ticker's result adds: `covered_calls` when `calls` were looked
    for, `short_quotes` when it has open shorts (only those its answers list)."""
    held: dict[str, Any] = {}
    if calls is not None:
        held[COVERED_CALLS] = {
            **calls.to_json(),
            "criteria": calls_criteria_json(criteria, rate_pct),
        }
    if has_shorts:
        held[SHORT_QUOTES] = {contract: quote.to_json() for contract, quote in quotes.items()}
    return held


@dataclass(frozen=True)
class HeldChains:
    """What a scan fetched for a symbol the ledger names: its needs (a position is
    given), every chain its answers hold by expiration (the nearest included), and the
    ex-dividend date when its calls were looked for (`dividend_known` False: the lookup
    failed)."""

    needs: TickerNeeds
    chains: Mapping[date, OptionChain]
    dividend: ExDividend | None = None
    dividend_known: bool = False


def held_fields(
    held: HeldChains | None, underlying: Underlying, criteria: CallCriteria, rate_pct: float
) -> dict[str, Any]:
    """`held_json` of what the scan fetched: the covered calls among the chains in the call
    window (when the symbol needs calls), the quotes of its open shorts ({}: not held)."""
    if held is None or held.needs.position is None:
        return {}
    needs, position = held.needs, held.needs.position
    calls = None
    if needs.call_window is not None:
        low, high = needs.call_window
        in_window = [
            chain
            for day, chain in sorted(held.chains.items())
            if low <= days_to_expiry(underlying.as_of, day) <= high
        ]
        calls = covered_calls(
            in_window,
            underlying,
            position,
            criteria,
            rate_pct,
            held.dividend,
            dividend_known=held.dividend_known,
        )
    quotes = {}
    for short in position.shorts:
        chain = held.chains.get(short.expiration)
        quote = quote_in_chain(short.contract, chain, underlying) if chain else None
        if quote is not None:
            quotes[short.contract] = quote
    return held_json(calls, criteria, rate_pct, quotes, bool(position.shorts))


def published_calls(
    result: Mapping[str, Any], position: Position, criteria: CallCriteria, rate_pct: float
) -> CoveredCalls | None:
    """The covered calls a published `result` carries, when they were found for `position`
    as it stands now and with these criteria; None otherwise (or for another shape)."""
    data = result.get(COVERED_CALLS)
    if not isinstance(data, Mapping) or data.get("criteria") != calls_criteria_json(
        criteria, rate_pct
    ):
        return None
    holding = position.to_json()
    if any(data.get(name) != holding[name] for name in _HOLDING):
        return None
    try:
        return CoveredCalls.from_json(data, position)
    except _SHAPE_ERRORS:
        return None


def published_quotes(result: Mapping[str, Any]) -> dict[str, ShortQuote]:
    """Contract → quote of the open shorts a published `result` quotes ({} for none or for
    another shape)."""
    data = result.get(SHORT_QUOTES)
    if not isinstance(data, Mapping):
        return {}
    try:
        earnings = result.get("next_earnings")
        next_earnings = None if earnings is None else NextEarnings.from_json(earnings)
        return {str(c): ShortQuote.from_json(q, next_earnings) for c, q in data.items()}
    except _SHAPE_ERRORS:
        return {}
