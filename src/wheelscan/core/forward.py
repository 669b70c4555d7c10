"""The forward of one expiration from put–call parity, with the carry fallback (SPEC 2).

C − P = e^(−rT)·(F − K) at every strike, so a strike where both sides are quoted
gives F = K + e^(rT)·(C_mid − P_mid). The strike where the call and the put are
closest in price (K*, nearest the money) has the tightest, most traded quotes,
and its F is the one used. It is accepted when within 0.02 + 0.10·T of spot
(a stale or crossed book can put it anywhere); otherwise the forward is the
carry S·e^((r−q)T) with the quote's trailing dividend yield.

The caller passes one series: the contracts of one expiration and one settlement
time, standard contracts only (an adjusted QQQ1 row repeats QQQ's strikes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wheelscan.core.black76 import implied_vol

ForwardSource = Literal["parity", "carry"]
FloatArray = NDArray[np.float64]

MAX_DIVIDEND_YIELD = 0.15
PARITY_BAND = 0.02
PARITY_BAND_PER_YEAR = 0.10
# |C − P| this close to the smallest one counts as a tie (quotes are in cents; the
# float noise of (bid + ask)/2 must not decide between two strikes).
TIE = 1e-9


@dataclass(frozen=True)
class QuotePairs:
    """Strikes (ascending, distinct) where the call and the put both have a two-sided quote."""

    strike: FloatArray
    call_mid: FloatArray
    put_mid: FloatArray


@dataclass(frozen=True)
class ForwardEstimate:
    """One expiration's forward, and the at-the-money pair (the strike nearest F)."""

    years: float
    forward: float
    source: ForwardSource
    parity_strike: float | None
    atm_strike: float | None
    atm_call_mid: float | None
    atm_put_mid: float | None


@dataclass(frozen=True)
class ExpirationFigures:
    """What the scan reports once per ticker and expiration; None where it cannot be known."""

    forward: float
    forward_source: ForwardSource
    atm_strike: float | None
    atm_iv: float | None
    expected_move: float | None
    expected_move_pct: float | None


def two_sided(bid: ArrayLike, ask: ArrayLike) -> NDArray[np.bool_]:
    """bid > 0 and ask ≥ bid (NaN fails both)."""
    bid, ask = np.asarray(bid, dtype=float), np.asarray(ask, dtype=float)
    with np.errstate(invalid="ignore"):
        return (bid > 0) & (ask >= bid) & np.isfinite(ask)


def _first_quoted(
    series: NDArray[np.int64], strike: FloatArray, bid: FloatArray, ask: FloatArray
) -> NDArray[np.int64]:
    """Rows quoted two-sided at a usable strike, one per (series, strike): the first
    listed; sorted by series, then strike. A row of series −1 takes no part."""
    with np.errstate(invalid="ignore"):
        quoted = two_sided(bid, ask) & (strike > 0) & np.isfinite(strike) & (series >= 0)
    rows = np.flatnonzero(quoted)
    order = rows[np.lexsort((rows, strike[rows], series[rows]))]
    s, k = series[order], strike[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (k[1:] != k[:-1])
    return order[first]


@dataclass(frozen=True)
class SeriesPairs:
    """The quote pairs of many series at once, sorted by series then strike: series s's
    pairs are rows bounds[s]:bounds[s + 1]; `put_row` is each pair's row among the puts."""

    strike: FloatArray
    call_mid: FloatArray
    put_mid: FloatArray
    put_row: NDArray[np.int64]
    bounds: NDArray[np.int64]

    def of(self, series: int) -> QuotePairs:
        rows = slice(int(self.bounds[series]), int(self.bounds[series + 1]))
        return QuotePairs(self.strike[rows], self.call_mid[rows], self.put_mid[rows])


def series_quote_pairs(
    series_count: int,
    call_series: ArrayLike,
    call_strike: ArrayLike,
    call_bid: ArrayLike,
    call_ask: ArrayLike,
    put_series: ArrayLike,
    put_strike: ArrayLike,
    put_bid: ArrayLike,
    put_ask: ArrayLike,
) -> SeriesPairs:
    """`quote_pairs` for many series (0 … series_count − 1) in one pass: a ticker's
    expirations and settlement series, each contract tagged with its own (−1: none)."""
    sides = []
    for series, strike, bid, ask in (
        (call_series, call_strike, call_bid, call_ask),
        (put_series, put_strike, put_bid, put_ask),
    ):
        series = np.asarray(series, dtype=np.int64)
        strike, bid, ask = (np.asarray(a, dtype=float) for a in (strike, bid, ask))
        rows = _first_quoted(series, strike, bid, ask)
        sides.append((rows, series[rows], strike[rows], (bid[rows] + ask[rows]) / 2.0))
    (_, call_s, call_k, call_mid), (put_rows, put_s, put_k, put_mid) = sides
    # Both sides are unique and sorted by (series, strike): in their merge, a pair is a
    # call next to the put of the same series and strike.
    s, k = np.concatenate([call_s, put_s]), np.concatenate([call_k, put_k])
    side = np.concatenate([np.zeros(call_s.size, dtype=np.int64), np.ones(put_s.size, np.int64)])
    position = np.concatenate([np.arange(call_s.size), np.arange(put_s.size)])
    order = np.lexsort((side, k, s))
    s, k, position = s[order], k[order], position[order]
    match = (s[1:] == s[:-1]) & (k[1:] == k[:-1])
    calls, puts = position[:-1][match], position[1:][match]
    series_of_pair = s[:-1][match]
    return SeriesPairs(
        strike=put_k[puts],
        call_mid=call_mid[calls],
        put_mid=put_mid[puts],
        put_row=put_rows[puts],
        bounds=np.searchsorted(series_of_pair, np.arange(series_count + 1)),
    )


def quote_pairs(
    call_strike: ArrayLike,
    call_bid: ArrayLike,
    call_ask: ArrayLike,
    put_strike: ArrayLike,
    put_bid: ArrayLike,
    put_ask: ArrayLike,
) -> QuotePairs:
    """The strikes both sides quote two-sided, with each side's mid; the first row of a
    strike listed twice on one side is the one used."""
    call_series = np.zeros(np.shape(call_strike), dtype=np.int64)
    put_series = np.zeros(np.shape(put_strike), dtype=np.int64)
    pairs = series_quote_pairs(
        1, call_series, call_strike, call_bid, call_ask, put_series, put_strike, put_bid, put_ask
    )
    return pairs.of(0)


def carry_dividend_yield(value: object) -> float:
    """The quote's trailingAnnualDividendYield clipped to [0, 0.15]; 0 if absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    if not math.isfinite(number):
        return 0.0
    return min(max(number, 0.0), MAX_DIVIDEND_YIELD)


def carry_forward(spot: float, years: float, rate: float, dividend_yield: float) -> float:
    """F = S·e^((r−q)T)."""
    return spot * math.exp((rate - dividend_yield) * years)


def parity_band(years: float) -> float:
    """How far from spot, as a fraction, a parity forward may be: 0.02 + 0.10·T."""
    return PARITY_BAND + PARITY_BAND_PER_YEAR * years


def _first_nearest_per_series(
    distance: FloatArray, among: NDArray[np.bool_], series: NDArray[np.int64], count: int
) -> NDArray[np.int64]:
    """Per series, the index of its smallest distance among the rows in `among` (ties: the
    first row; none among them or none finite: its first row); -1 for a series without rows.

    `series` holds each row's series (0 … count − 1), rows of a series in order."""
    rows = np.arange(series.size)
    first_row = np.full(count, series.size, dtype=np.int64)
    np.minimum.at(first_row, series, rows)
    distance = np.where(among, distance, np.inf)
    smallest = np.full(count, np.inf)
    np.minimum.at(smallest, series, distance)
    hits = np.flatnonzero(distance == smallest[series])
    nearest = np.full(count, series.size, dtype=np.int64)
    np.minimum.at(nearest, series[hits], hits)
    nearest = np.where(nearest == series.size, first_row, nearest)
    return np.where(nearest == series.size, -1, nearest)


def estimate_forwards(
    spot: ArrayLike,
    years: ArrayLike,
    rate: float,
    dividend_yield: ArrayLike,
    pairs: SeriesPairs,
) -> list[ForwardEstimate]:
    """`estimate_forward` for every series of `pairs` at once, with each series' own spot,
    T and dividend yield (arrays, one value per series): one pass however many series."""
    spot, years, dividend_yield = (
        np.asarray(a, dtype=float) for a in (spot, years, dividend_yield)
    )
    count = spot.size
    series = np.repeat(np.arange(count), np.diff(pairs.bounds))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        carry = spot * np.exp((rate - dividend_yield) * years)
        gap = np.abs(pairs.call_mid - pairs.put_mid)
        least_gap = np.full(count, np.inf)
        np.minimum.at(least_gap, series, gap)
        tied = gap <= least_gap[series] + TIE
        star = _first_nearest_per_series(np.abs(pairs.strike - spot[series]), tied, series, count)
        has_pairs = star >= 0
        at = np.where(has_pairs, star, 0)
        if pairs.strike.size:
            implied = pairs.strike[at] + np.exp(rate * years) * (
                pairs.call_mid[at] - pairs.put_mid[at]
            )
        else:
            implied = np.full(count, np.nan)
        parity = has_pairs & (spot > 0) & (np.abs(implied / spot - 1.0) <= parity_band(years))
        forward = np.where(parity, implied, carry)
        atm = _first_nearest_per_series(
            np.abs(pairs.strike - forward[series]), np.ones(series.size, dtype=bool), series, count
        )
    strike, call_mid, put_mid = (a.tolist() for a in (pairs.strike, pairs.call_mid, pairs.put_mid))
    estimates = []
    for t, f, is_parity, k_star, k_atm in zip(
        years.tolist(), forward.tolist(), parity.tolist(), star.tolist(), atm.tolist(), strict=True
    ):
        parity_strike = strike[k_star] if is_parity else None
        source: ForwardSource = "parity" if is_parity else "carry"
        if k_atm < 0:
            estimates.append(ForwardEstimate(t, f, source, parity_strike, None, None, None))
        else:
            estimates.append(
                ForwardEstimate(
                    t, f, source, parity_strike, strike[k_atm], call_mid[k_atm], put_mid[k_atm]
                )
            )
    return estimates


def estimate_forward(
    spot: float, years: float, rate: float, dividend_yield: float, pairs: QuotePairs
) -> ForwardEstimate:
    """F per SPEC 2; K* minimises |C_mid − P_mid| (a tie: nearest spot, then the lower strike).

    Accepted when within `parity_band` of spot (never without a positive spot), else
    the carry. The at-the-money strike is the pair strike nearest F (a tie: the lower
    one). `dividend_yield` is used as given: pass it through carry_dividend_yield.
    """
    one = SeriesPairs(
        pairs.strike,
        pairs.call_mid,
        pairs.put_mid,
        np.zeros(pairs.strike.size, dtype=np.int64),
        np.array([0, pairs.strike.size]),
    )
    return estimate_forwards([spot], [years], rate, [dividend_yield], one)[0]


def expiration_figures(
    spot: float,
    rate: float,
    estimates: Sequence[ForwardEstimate],
    solved: Sequence[float] | None = None,
) -> list[ExpirationFigures]:
    """atm_iv (σ of the at-the-money put's mid) and the expected move, for many expirations
    at once: one vectorised solve, however many expirations a ticker has.

    expected_move = C_mid + P_mid at the at-the-money strike (the straddle), and as % of S.
    `solved` gives, per estimate, that σ when the caller has already solved it (its
    at-the-money put's own σ, NaN for none); then nothing is solved here.
    """
    priced = [i for i, e in enumerate(estimates) if e.atm_put_mid is not None]
    if solved is None:
        sigma = implied_vol(
            "put",
            [estimates[i].atm_put_mid for i in priced],
            [estimates[i].forward for i in priced],
            [estimates[i].atm_strike for i in priced],
            [estimates[i].years for i in priced],
            rate,
        ).tolist()
    else:
        sigma = [solved[i] for i in priced]
    atm_iv = dict(zip(priced, sigma, strict=True))
    figures = []
    for i, e in enumerate(estimates):
        iv = atm_iv.get(i)
        if e.atm_call_mid is None or e.atm_put_mid is None:
            move = None
        else:
            move = e.atm_call_mid + e.atm_put_mid
        figures.append(
            ExpirationFigures(
                forward=e.forward,
                forward_source=e.source,
                atm_strike=e.atm_strike,
                atm_iv=None if iv is None or math.isnan(iv) else iv,
                expected_move=move,
                expected_move_pct=None if move is None or not spot > 0 else move / spot * 100.0,
            )
        )
    return figures
