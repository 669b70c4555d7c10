"""The contracts an open short could roll into, as a scan publishes them (SPEC 10). Pure.

A roll goes to a later expiration at most `roll_max_dte` days out (core.rolls). So a
scan that looks at a symbol with open shorts also asks for the listed expirations in
its `roll_window` (core.scan_needs, within the scan's requests: none twice), and its
result carries `roll_quotes`: each contract of those expirations that a roll of one
of the symbol's quoted shorts could take for a credit at the quotes the result
publishes (same type; a put at or below the highest such put's strike, a call at or
above the lowest such call's; a bid above the lowest cost to close among them), with
its strike, bid and ask. `wheelscan plan` reads them back with
`published_roll_options` once the answer cache no longer keeps the answers; which
ones a short rolls into, for what net credit, is core.rolls'.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.earnings import NextEarnings, spans_earnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.occ import parse_occ
from wheelscan.core.plan_inputs import QuotedOption
from wheelscan.core.rolls import usable_ask

if TYPE_CHECKING:
    from wheelscan.core.chains import OptionChain, OptionRows
    from wheelscan.core.positions import ShortOption
    from wheelscan.core.short_marks import ShortQuote

ROLL_QUOTES = "roll_quotes"
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def roll_window(
    shorts: Iterable[ShortOption], as_of: datetime, roll_max_dte: int
) -> tuple[int, int] | None:
    """The DTE window (min, max, from `as_of`) of the expirations `shorts` may roll into:
    later than the earliest one's expiration, at least 1 and at most `roll_max_dte` days
    out; None without shorts or when nothing fits."""
    days = [days_to_expiry(as_of, short.expiration) for short in shorts]
    if not days:
        return None
    low = max(1, min(days) + 1)
    return (low, roll_max_dte) if low <= roll_max_dte else None


def _price(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _rows(
    rows: OptionRows, expiration: date, dte: int, strikes: tuple[float, float], above: float
) -> list[dict[str, Any]]:
    """The rows with a strike in `strikes` (low, high) and a bid above `above`."""
    quoted = []
    low, high = strikes
    columns = (rows.contract, rows.strike.tolist(), rows.bid.tolist(), rows.ask.tolist())
    for contract, strike, bid, ask in zip(*columns, strict=True):
        if not (low <= strike <= high and math.isfinite(bid) and bid > above):  # NaN: out
            continue
        quoted.append(
            {
                "contract": contract,
                "expiration": expiration.isoformat(),
                "dte": dte,
                "strike": float(strike),
                "bid": float(bid),
                "ask": _price(ask),
            }
        )
    return quoted


def roll_quotes_json(
    shorts: Iterable[ShortOption],
    quotes: Mapping[str, ShortQuote],
    chains: Mapping[date, OptionChain],
    as_of: datetime,
    roll_max_dte: int,
) -> list[dict[str, Any]]:
    """The `roll_quotes` of a symbol with open `shorts` whose `quotes` (contract → quote)
    the result publishes: the contracts of `chains` (by expiration, DTE from `as_of`) in
    the roll window that a roll of a quoted short could take for a credit, by
    expiration, puts before calls, in the chain's order."""
    closing = [
        (short, ask)
        for short in shorts
        if short.contract in quotes and (ask := usable_ask(quotes[short.contract])) is not None
    ]
    window = roll_window((short for short, _ in closing), as_of, roll_max_dte)
    if window is None:
        return []
    puts = [(s.strike, ask) for s, ask in closing if s.kind == "put"]
    calls = [(s.strike, ask) for s, ask in closing if s.kind == "call"]
    put_strikes = (0.0, max(k for k, _ in puts)) if puts else None
    call_strikes = (min(k for k, _ in calls), math.inf) if calls else None
    quoted: list[dict[str, Any]] = []
    for expiration, chain in sorted(chains.items()):
        dte = days_to_expiry(as_of, expiration)
        if not window[0] <= dte <= window[1]:
            continue
        if put_strikes is not None:
            cheapest = min(ask for _, ask in puts)
            quoted += _rows(chain.puts, expiration, dte, put_strikes, cheapest)
        if call_strikes is not None:
            cheapest = min(ask for _, ask in calls)
            quoted += _rows(chain.calls, expiration, dte, call_strikes, cheapest)
    return quoted


def _optional_price(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a price is a number or null, got {value!r}")
    return _price(value)


def _quoted(symbol: str, row: Mapping[str, Any], earnings: NextEarnings | None) -> QuotedOption:
    occ = parse_occ(str(row["contract"]))
    if occ is None:
        raise ValueError(f"{row['contract']!r} is not an OCC contract")
    expiration = date.fromisoformat(row["expiration"])
    bid = _optional_price(row["bid"])
    if bid is None:
        raise ValueError("a roll quote has a bid")
    return QuotedOption(
        symbol=symbol,
        contract=str(row["contract"]),
        kind=occ.kind,
        expiration=expiration,
        strike=float(row["strike"]),
        bid=bid,
        ask=_optional_price(row["ask"]),
        dte=int(row["dte"]),
        spans_earnings=spans_earnings(earnings, expiration),
    )


def published_roll_options(symbol: str, result: Mapping[str, Any]) -> list[QuotedOption]:
    """The roll quotes a published ticker `result` carries, as core.rolls weighs them
    ([] without any, or for another shape); `spans_earnings` from the result's
    `next_earnings`."""
    rows = result.get(ROLL_QUOTES)
    if not isinstance(rows, list):
        return []
    try:
        earnings = result.get("next_earnings")
        next_earnings = None if earnings is None else NextEarnings.from_json(earnings)
        return [_quoted(symbol, row, next_earnings) for row in rows]
    except _SHAPE_ERRORS:
        return []
