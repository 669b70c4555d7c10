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


def _first_nearest(distance: FloatArray, among: NDArray[np.bool_]) -> int:
    """Index of the smallest distance among the rows in `among`; ties go to the first row."""
    return int(np.argmin(np.where(among, distance, np.inf)))


def estimate_forward(
    spot: float, years: float, rate: float, dividend_yield: float, pairs: QuotePairs
) -> ForwardEstimate:
    """F per SPEC 2; K* minimises |C_mid − P_mid| (a tie: nearest spot, then the lower strike).

    The at-the-money strike is the pair strike nearest F (a tie: the lower one).
    `dividend_yield` is used as given: pass it through carry_dividend_yield.
    """
    forward, source, parity_strike = carry_forward(spot, years, rate, dividend_yield), "carry", None
    if pairs.strike.size and spot > 0:
        gap = np.abs(pairs.call_mid - pairs.put_mid)
        tied = gap <= gap.min() + TIE
        star = _first_nearest(np.abs(pairs.strike - spot), tied)
        strike = float(pairs.strike[star])
        implied = strike + math.exp(rate * years) * float(
            pairs.call_mid[star] - pairs.put_mid[star]
        )
        if abs(implied / spot - 1.0) <= parity_band(years):
            forward, source, parity_strike = implied, "parity", strike
    if not pairs.strike.size:
        return ForwardEstimate(years, forward, source, parity_strike, None, None, None)
    atm = _first_nearest(np.abs(pairs.strike - forward), np.ones(pairs.strike.size, dtype=bool))
    return ForwardEstimate(
        years,
        forward,
        source,
        parity_strike,
        float(pairs.strike[atm]),
        float(pairs.call_mid[atm]),
        float(pairs.put_mid[atm]),
    )


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
