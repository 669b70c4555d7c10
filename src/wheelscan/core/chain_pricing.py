"""What every contract of a set of chains is priced with (SPEC 2): its T, its expiration's
forward, and whether it is a standard contract (SPEC 3 `nonstandard`).

Chains of several tickers are priced in one pass: a ticker's chains are short (tens of
strikes), and numpy's cost per call, not per row, is what a scan pays. Each chain may
have its own underlying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wheelscan.core.chains import OptionChain, OptionRows, Underlying
from wheelscan.core.expiry import years_to_expiry
from wheelscan.core.forward import ForwardEstimate, estimate_forward, series_quote_pairs
from wheelscan.core.occ import INDEX, am_settled_mask, standard_root_mask

REGULAR = "REGULAR"
Side = Literal["puts", "calls"]
_NUMERIC_FIELDS = ("strike", "bid", "ask", "last", "iv", "open_interest", "volume")
_TEXT_FIELDS = ("contract", "contract_size", "currency")


def standard_mask(rows: OptionRows, underlying: Underlying) -> np.ndarray:
    """Per contract: 100 shares of this underlying in its currency (SPEC 3 `nonstandard`):
    contractSize REGULAR, the quote's currency, and the underlying's own root (an
    adjusted QQQ1 or a mini contract is not)."""
    roots = standard_root_mask(rows.contract, underlying.symbol, underlying.quote_type)
    currency = underlying.currency or ""
    terms = [
        size == REGULAR and money == currency
        for size, money in zip(rows.contract_size, rows.currency, strict=True)
    ]
    return roots & np.array(terms, dtype=bool)


def concat_rows(sides: Sequence[OptionRows]) -> OptionRows:
    """One side of several chains as one OptionRows, chain after chain."""
    if len(sides) == 1:
        return sides[0]
    arrays = {
        name: np.concatenate([getattr(side, name) for side in sides]) for name in _NUMERIC_FIELDS
    }
    texts = {name: [x for side in sides for x in getattr(side, name)] for name in _TEXT_FIELDS}
    return OptionRows(**arrays, **texts)


@dataclass(frozen=True)
class PricedSide:
    """One side of the chains, chain after chain, with what each contract is priced with:
    its chain (an index into the chains priced), its T, its series' forward, and
    whether it is a standard contract."""

    rows: OptionRows
    chain: np.ndarray
    years: np.ndarray
    forward: np.ndarray
    standard: np.ndarray


@dataclass(frozen=True)
class Pricing:
    """Chains priced: both sides, and per chain the forward estimate it reports and the
    row (among the puts) of that estimate's at-the-money put, or -1."""

    calls: PricedSide
    puts: PricedSide
    reported: list[ForwardEstimate]
    atm_put_row: list[int]


def price_chains(
    chains: Sequence[OptionChain], underlyings: Underlying | Sequence[Underlying], rate: float
) -> Pricing:
    """The forward of each expiration and settlement series, spread over its contracts.

    `underlyings` is one quote for all the chains, or one per chain. A chain holds one
    series (16:00), or for an index two: the index's own AM-settled root and its PM
    series (SPX and SPXW on a third Friday). Series 2c is chain c's PM series, 2c + 1
    its AM one. Each series' forward comes from its own standard calls and puts; the
    one an expiration reports is the PM series', unless only AM contracts are listed.
    """
    count = len(chains)
    quotes = [underlyings] * count if isinstance(underlyings, Underlying) else list(underlyings)
    is_index = [quote.quote_type == INDEX for quote in quotes]
    sides = []
    for name in ("calls", "puts"):
        parts = [getattr(chain, name) for chain in chains]
        rows = concat_rows(parts)
        chain_of_row = np.repeat(np.arange(count), [len(part) for part in parts])
        masks = [standard_mask(part, quote) for part, quote in zip(parts, quotes, strict=True)]
        am = [
            am_settled_mask(part.contract, quote.symbol, quote.quote_type)
            if index
            else np.zeros(len(part), dtype=bool)
            for part, quote, index in zip(parts, quotes, is_index, strict=True)
        ]
        standard, am_row = (
            (masks[0], am[0]) if count == 1 else (np.concatenate(masks), np.concatenate(am))
        )
        sides.append((rows, chain_of_row, am_row, chain_of_row * 2 + am_row, standard))
    (calls, call_chain, call_am, call_series, call_std) = sides[0]
    (puts, put_chain, put_am, put_series, put_std) = sides[1]
    pairs = series_quote_pairs(
        2 * count,
        np.where(call_std, call_series, -1),
        calls.strike,
        calls.bid,
        calls.ask,
        np.where(put_std, put_series, -1),
        puts.strike,
        puts.bid,
        puts.ask,
    )
    estimates: dict[int, ForwardEstimate] = {}
    for c, (chain, quote) in enumerate(zip(chains, quotes, strict=True)):
        for am in (False, True) if is_index[c] else (False,):
            years = years_to_expiry(quote.as_of, chain.expiration, am_settled=am)
            series = 2 * c + am
            estimates[series] = estimate_forward(
                quote.price, years, rate, quote.dividend_yield, pairs.of(series)
            )
    years_of = np.full(2 * count, np.nan)
    forward_of = np.full(2 * count, np.nan)
    for series, estimate in estimates.items():
        years_of[series], forward_of[series] = estimate.years, estimate.forward
    pm_rows = np.concatenate([call_chain[call_std & ~call_am], put_chain[put_std & ~put_am]])
    pm_listed = np.bincount(pm_rows, minlength=count).tolist()
    shown = [2 * c if pm_listed[c] or not is_index[c] else 2 * c + 1 for c in range(count)]
    atm_rows = []
    for series in shown:
        strike = estimates[series].atm_strike
        first, last = int(pairs.bounds[series]), int(pairs.bounds[series + 1])
        if strike is None:
            atm_rows.append(-1)
        else:
            at = first + int(np.searchsorted(pairs.strike[first:last], strike))
            atm_rows.append(int(pairs.put_row[at]))
    return Pricing(
        calls=PricedSide(
            calls, call_chain, years_of[call_series], forward_of[call_series], call_std
        ),
        puts=PricedSide(puts, put_chain, years_of[put_series], forward_of[put_series], put_std),
        reported=[estimates[series] for series in shown],
        atm_put_row=atm_rows,
    )


@dataclass(frozen=True)
class Series:
    """What each contract of one side of a chain is priced with: its T, its expiration's
    forward, and whether it is a standard contract."""

    years: np.ndarray
    forward: np.ndarray
    standard: np.ndarray
    reported: ForwardEstimate


def price_series(
    chain: OptionChain, underlying: Underlying, rate: float, side: Side = "puts"
) -> Series:
    """`price_chains` for one chain, one side."""
    pricing = price_chains([chain], underlying, rate)
    priced = pricing.calls if side == "calls" else pricing.puts
    return Series(priced.years, priced.forward, priced.standard, pricing.reported[0])
