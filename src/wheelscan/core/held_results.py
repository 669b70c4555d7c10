"""A held symbol's part of a scan's results (SPEC 9): its covered calls, its open shorts' quotes.

A scan that looks at a symbol the ledger names publishes, beside the ticker's puts,
`covered_calls` (the calls document's entry for the symbol, core.calls, with the call
criteria and rate it was found with) when the symbol has 100 uncovered shares or
more, `short_quotes` (contract → bid, ask, mid, spot, as_of) for each open short
its answers list, and `roll_quotes`, what those shorts may roll to (core.roll_quotes).
`calls`, `positions list`, `plan` and the app read them back here once the answer
cache no longer keeps the answers (holdings.py, daily_plan.py). Pure; importing it
loads no numpy (the plan's fast start): core.calls only when calls are found or read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from wheelscan.core.call_criteria import CallCriteria, ExDividend
from wheelscan.core.earnings import NextEarnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.positions import Position
from wheelscan.core.roll_quotes import ROLL_QUOTES, roll_quotes_json
from wheelscan.core.short_marks import ShortQuote, quote_in_chain

if TYPE_CHECKING:
    from wheelscan.core.calls import CoveredCalls
    from wheelscan.core.chains import OptionChain, Underlying
    from wheelscan.core.scan_needs import TickerNeeds

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
    rolls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The fields a held ticker's result adds: `covered_calls` when `calls` were looked
    for, `short_quotes` when it has open shorts (only those its answers list), and
    `roll_quotes` when their rolls were looked for (`rolls` not None)."""
    held: dict[str, Any] = {}
    if calls is not None:
        held[COVERED_CALLS] = {
            **calls.to_json(),
            "criteria": calls_criteria_json(criteria, rate_pct),
        }
    if has_shorts:
        held[SHORT_QUOTES] = {contract: quote.to_json() for contract, quote in quotes.items()}
    if rolls is not None:
        held[ROLL_QUOTES] = rolls
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
    window (when the symbol needs calls), the quotes of its open shorts and what they may
    roll to (when `roll_max_dte` is given) ({}: not held)."""
    if held is None or held.needs.position is None:
        return {}
    needs, position = held.needs, held.needs.position
    calls = None
    if needs.call_window is not None:
        from wheelscan.core.calls import covered_calls

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
    rolls = None
    if position.shorts and needs.roll_max_dte is not None:
        rolls = roll_quotes_json(
            position.shorts, quotes, held.chains, underlying.as_of, needs.roll_max_dte
        )
    return held_json(calls, criteria, rate_pct, quotes, bool(position.shorts), rolls)


def published_calls_entry(
    result: Mapping[str, Any], position: Position, criteria: CallCriteria, rate_pct: float
) -> Mapping[str, Any] | None:
    """The `covered_calls` entry of a published `result`, as published, when it was found
    for `position` as it stands now and with these criteria; None otherwise."""
    data = result.get(COVERED_CALLS)
    if not isinstance(data, Mapping) or data.get("criteria") != calls_criteria_json(
        criteria, rate_pct
    ):
        return None
    holding = position.to_json()
    if any(data.get(name) != holding[name] for name in _HOLDING):
        return None
    return data


def published_calls(
    result: Mapping[str, Any], position: Position, criteria: CallCriteria, rate_pct: float
) -> CoveredCalls | None:
    """The covered calls a published `result` carries, when they were found for `position`
    as it stands now and with these criteria; None otherwise (or for another shape)."""
    from wheelscan.core.calls import CoveredCalls

    data = published_calls_entry(result, position, criteria, rate_pct)
    if data is None:
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
