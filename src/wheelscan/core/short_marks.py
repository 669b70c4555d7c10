"""Open short options marked to the latest answers (SPEC 9): mid, P/L, ITM, DTE, earnings.

The hook between the ledger and the scan: whoever holds the latest option
answers builds one `ShortQuote` per open contract they quote and calls
`mark_shorts`; `positions.positions_document` puts each mark beside its short.
A contract no answer quotes has no mark. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.earnings import NextEarnings, spans_earnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.ledger import MULTIPLIER
from wheelscan.core.positions import Positions, ShortOption

if TYPE_CHECKING:
    from wheelscan.core.chains import OptionChain, Underlying


@dataclass(frozen=True)
class ShortQuote:
    """What an answer says about one contract and its underlying, as of `as_of`."""

    bid: float | None
    ask: float | None
    spot: float | None
    as_of: datetime
    next_earnings: NextEarnings | None = None

    @property
    def mid(self) -> float | None:
        """(bid + ask) / 2 of a two-sided, uncrossed quote; None otherwise."""
        if self.bid is None or self.ask is None or not 0 <= self.bid <= self.ask or self.ask == 0:
            return None
        return (self.bid + self.ask) / 2

    def to_json(self) -> dict[str, Any]:
        """The quote as a scan publishes it (`short_quotes`); the earnings date is the
        ticker's own `next_earnings`."""
        return {
            "bid": self.bid,
            "ask": self.ask,
            "mid": self.mid,
            "spot": self.spot,
            "as_of": self.as_of.isoformat(),
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], next_earnings: NextEarnings | None = None
    ) -> ShortQuote:
        """A published quote. Raises KeyError, TypeError or ValueError for another shape."""
        return cls(
            _optional(data["bid"]),
            _optional(data["ask"]),
            _optional(data["spot"]),
            datetime.fromisoformat(data["as_of"]),
            next_earnings,
        )


@dataclass(frozen=True)
class ShortMark:
    """One open short at its current mid: `pl` dollars (+ in the seller's favour) and as a
    share of the most it can make (the open premium)."""

    mid: float | None
    pl: float | None
    pl_pct_of_max: float | None
    itm: bool | None
    dte: int
    spans_earnings: bool
    as_of: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "mid": None if self.mid is None else round(self.mid, 4),
            "pl": None if self.pl is None else round(self.pl, 2),
            "pl_pct_of_max": None if self.pl_pct_of_max is None else round(self.pl_pct_of_max, 1),
            "itm": self.itm,
            "dte": self.dte,
            "spans_earnings": self.spans_earnings,
            "as_of": self.as_of.isoformat(),
        }


def mark_short(short: ShortOption, quote: ShortQuote) -> ShortMark:
    mid = quote.mid
    pl = None if mid is None else short.open_premium - mid * MULTIPLIER * short.quantity
    pct = None if pl is None or short.open_premium <= 0 else pl / short.open_premium * 100
    itm = None
    if quote.spot is not None:
        itm = quote.spot < short.strike if short.kind == "put" else quote.spot > short.strike
    return ShortMark(
        mid,
        pl,
        pct,
        itm,
        days_to_expiry(quote.as_of, short.expiration),
        spans_earnings(quote.next_earnings, short.expiration),
        quote.as_of,
    )


def mark_shorts(positions: Positions, quotes: Mapping[str, ShortQuote]) -> dict[str, ShortMark]:
    """Contract → mark, for every open short that `quotes` (contract → quote) covers."""
    return {
        s.contract: mark_short(s, quotes[s.contract])
        for s in positions.shorts
        if s.contract in quotes
    }


def _optional(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a price is a number or null, got {value!r}")
    return _price(value)


def _price(value: float) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def quote_in_chain(contract: str, chain: OptionChain, underlying: Underlying) -> ShortQuote | None:
    """What `chain` (an answer for the contract's expiration) and `underlying` (its quote)
    say about `contract`; None when the chain does not list it."""
    for rows in (chain.calls, chain.puts):
        if contract in rows.contract:
            row = rows.contract.index(contract)
            return ShortQuote(
                _price(rows.bid[row]),
                _price(rows.ask[row]),
                underlying.price,
                underlying.as_of,
                underlying.next_earnings,
            )
    return None
