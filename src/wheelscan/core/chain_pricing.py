"""What every contract of a set of chains is priced with (SPEC 2): its T, its expiration's
forward, and whether it is a standard contract (SPEC 3 `nonstandard`).

Chains of several tickers are priced in one pass: a ticker's chains are short (tens of
strikes), and numpy's cost per call, not per row, is what a scan pays. Each chain may
have its own underlying.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wheelscan.core.chains import OptionChain, OptionRows, Underlying
from wheelscan.core.expiry import years_to_expiry
from wheelscan.core.forward import ForwardEstimate, estimate_forwards, series_quote_pairs
from wheelscan.core.occ import INDEX, am_settled_mask, standard_root_mask

REGULAR = "REGULAR"
Side = Literal["puts", "calls"]
_NUMERIC_FIELDS = ("strike", "bid", "ask", "last", "iv", "open_interest", "volume")
_TEXT_FIELDS = ("contract", "contract_size", "currency")


def standard_mask(rows: OptionRows, underlying: Underlying) -> np.ndarray:
    """Per contract: 100 shares of this underlying in its currency (SPEC 3 `nonstandard`):
    contractSize REGULAR, the quote's currency, and the underlying's own root (an
    adjusted QQQ1 or a mini contract is not)."""
    return _standard(rows.contract, rows.contract_size, rows.currency, underlying)


def _standard(
    contracts: list[str], sizes: list[str], currencies: list[str], underlying: Underlying
) -> np.ndarray:
    roots = standard_root_mask(contracts, underlying.symbol, underlying.quote_type)
    currency = underlying.currency or ""
    terms = [
        size == REGULAR and money == currency for size, money in zip(sizes, currencies, strict=True)
    ]
    return roots & np.array(terms, dtype=bool)


def _standard_by_quote(rows: OptionRows, sizes: list[int], quotes: list[Underlying]) -> np.ndarray:
    """`standard_mask` of chains laid end to end, one call per run of chains that share
    a quote (a ticker's expirations)."""
    masks, start = [], 0
    for _, run in itertools.groupby(zip(sizes, quotes, strict=True), key=lambda sq: id(sq[1])):
        members = list(run)
        end = start + sum(size for size, _ in members)
        cut = slice(start, end)
        masks.append(
            _standard(
                rows.contract[cut], rows.contract_size[cut], rows.currency[cut], members[0][1]
            )
        )
        start = end
    return masks[0] if len(masks) == 1 else np.concatenate(masks)


def concat_rows(sides: Sequence[OptionRows]) -> OptionRows:
    """One side of several chains as one OptionRows, chain after chain."""
    if len(sides) == 1:
        return sides[0]
    arrays = {
        name: np.concatenate([getattr(side, name) for side in sides]) for name in _NUMERIC_FIELDS
    }
    texts = {
        name: list(itertools.chain.from_iterable(getattr(side, name) for side in sides))
        for name in _TEXT_FIELDS
    }
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
    series (SPX and SPXW on a third Friday). Each series' forward comes from its own
    standard calls and puts; the one an expiration reports is the PM series', unless
    only AM contracts are listed.
    """
    count = len(chains)
    quotes = [underlyings] * count if isinstance(underlyings, Underlying) else list(underlyings)
    is_index = [quote.quote_type == INDEX for quote in quotes]
    stride = 2 if any(is_index) else 1  # series per chain: PM, and AM for an index
    sides = []
    for name in ("calls", "puts"):
        parts = [getattr(chain, name) for chain in chains]
        rows = concat_rows(parts)
        sizes = [len(part) for part in parts]
        chain_of_row = np.repeat(np.arange(count), sizes)
        standard = _standard_by_quote(rows, sizes, quotes)
        if any(is_index):
            am_row = np.concatenate(
                [
                    am_settled_mask(part.contract, quote.symbol, quote.quote_type)
                    for part, quote in zip(parts, quotes, strict=True)
                ]
            )
        else:
            am_row = np.zeros(len(rows), dtype=bool)
        sides.append((rows, chain_of_row, am_row, chain_of_row * stride + am_row, standard))
    (calls, call_chain, call_am, call_series, call_std) = sides[0]
    (puts, put_chain, put_am, put_series, put_std) = sides[1]
    pairs = series_quote_pairs(
        stride * count,
        np.where(call_std, call_series, -1),
        calls.strike,
        calls.bid,
        calls.ask,
        np.where(put_std, put_series, -1),
        puts.strike,
        puts.bid,
        puts.ask,
    )
    # With an index among the chains, series 2c + 1 is chain c's AM series (NaN T, never
    # used, for a chain that is not an index's).
    years_of = np.array(
        [
            years_to_expiry(quote.as_of, chain.expiration, am_settled=am)
            if index or not am
            else np.nan
            for chain, quote, index in zip(chains, quotes, is_index, strict=True)
            for am in (False, True)[:stride]
        ]
    )
    spot_of = np.repeat([quote.price for quote in quotes], stride)
    yield_of = np.repeat([quote.dividend_yield for quote in quotes], stride)
    estimates = estimate_forwards(spot_of, years_of, rate, yield_of, pairs)
    forward_of = np.array([estimate.forward for estimate in estimates])
    pm_rows = np.concatenate([call_chain[call_std & ~call_am], put_chain[put_std & ~put_am]])
    pm_listed = np.bincount(pm_rows, minlength=count).tolist()
    shown = [stride * c + (not pm_listed[c] and is_index[c]) for c in range(count)]
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
