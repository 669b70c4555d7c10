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
    sides = []
    for strike, bid, ask in ((call_strike, call_bid, call_ask), (put_strike, put_bid, put_ask)):
        strike, bid, ask = (np.asarray(a, dtype=float) for a in (strike, bid, ask))
        with np.errstate(invalid="ignore"):
            quoted = two_sided(bid, ask) & (strike > 0) & np.isfinite(strike)
        sides.append((strike[quoted], (bid[quoted] + ask[quoted]) / 2.0))
    (call_k, call_mid), (put_k, put_mid) = sides
    common, in_calls, in_puts = np.intersect1d(call_k, put_k, return_indices=True)
    return QuotePairs(common, call_mid[in_calls], put_mid[in_puts])


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
    spot: float, rate: float, estimates: Sequence[ForwardEstimate]
) -> list[ExpirationFigures]:
    """atm_iv (σ of the at-the-money put's mid) and the expected move, for many expirations
    at once: one vectorised solve, however many expirations a ticker has.

    expected_move = C_mid + P_mid at the at-the-money strike (the straddle), and as % of S.
    """
    priced = [i for i, e in enumerate(estimates) if e.atm_put_mid is not None]
    sigma = implied_vol(
        "put",
        [estimates[i].atm_put_mid for i in priced],
        [estimates[i].forward for i in priced],
        [estimates[i].atm_strike for i in priced],
        [estimates[i].years for i in priced],
        rate,
    ).tolist()
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
