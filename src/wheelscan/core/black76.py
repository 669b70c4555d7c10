"""Black-76 on the forward: prices, implied volatility, delta to spot, probabilities (SPEC 2).

Every function takes numpy arrays (or scalars) and broadcasts them together, so one
call prices a whole chain, or several expirations at once with one forward and one
T per contract. Rates are fractions (0.04, not 4); `years` is T from as_of to
settlement. A figure that cannot be computed (T ≤ 0, a non-positive forward or
strike, a missing σ) comes out as NaN, never as an exception.

The volatility solver works on the out-of-the-money side of each strike: a put
struck above the forward is priced as the call of the same strike through
put–call parity (C − P = e^(−rT)·(F − K)). Both share one σ, and the call's price
is its time value alone, so a deep in-the-money quote is solved without the
cancellation of subtracting a large intrinsic value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

MIN_SIGMA = 0.01
MAX_SIGMA = 5.0
PRICE_TOLERANCE = 1e-9
SOLVE_PRECISION = 1e-12
SIGMA_PRECISION = 1e-12
MAX_ITERATIONS = 100

Kind = Literal["put", "call"]
FloatArray = NDArray[np.float64]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _floats(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(value, dtype=float) for value in values]


def _is_call(kind: Kind) -> bool:
    if kind not in ("put", "call"):
        raise ValueError(f"kind must be 'put' or 'call', not {kind!r}")
    return kind == "call"


def d1_d2(
    forward: ArrayLike, strike: ArrayLike, years: ArrayLike, sigma: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """d1 = (ln(F/K) + σ²T/2)/(σ√T) and d2 = d1 − σ√T; NaN where T ≤ 0, F ≤ 0, K ≤ 0 or σ ≤ 0."""
    forward, strike, years, sigma = _floats(forward, strike, years, sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = (years > 0) & (forward > 0) & (strike > 0) & (sigma > 0)
        vol_sqrt_t = np.where(usable, sigma * np.sqrt(np.where(years > 0, years, np.nan)), np.nan)
        d1 = (np.log(forward / strike) + vol_sqrt_t**2 / 2.0) / vol_sqrt_t
    return d1, d1 - vol_sqrt_t


def price(
    kind: Kind,
    forward: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    rate: ArrayLike,
    sigma: ArrayLike,
) -> FloatArray:
    """Black-76 price: put e^(−rT)·[K·N(−d2) − F·N(−d1)], call e^(−rT)·[F·N(d1) − K·N(d2)]."""
    forward, strike, years, rate = _floats(forward, strike, years, rate)
    d1, d2 = d1_d2(forward, strike, years, sigma)
    discount = np.exp(-rate * years)
    if _is_call(kind):
        return discount * (forward * ndtr(d1) - strike * ndtr(d2))
    return discount * (strike * ndtr(-d2) - forward * ndtr(-d1))


def _undiscounted_otm_call(
    forward: FloatArray,
    strike: FloatArray,
    log_moneyness: FloatArray,
    sqrt_t: FloatArray,
    sigma: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Undiscounted price and vega of the option on the out-of-the-money side.

    Written as a call with (F, K) swapped where K < F: an out-of-the-money put
    F·[K/F·N(−d2) − N(−d1)] is the call formula with the roles of F and K
    exchanged, which keeps one code path for both sides. log_moneyness = ln(F/K).
    """
    vol_sqrt_t = sigma * sqrt_t
    d1 = log_moneyness / vol_sqrt_t + vol_sqrt_t / 2.0
    otm_price = forward * ndtr(d1) - strike * ndtr(d1 - vol_sqrt_t)
    vega = forward * np.exp(-d1 * d1 / 2.0) * _INV_SQRT_2PI * sqrt_t
    return otm_price, vega


def implied_vol(
    kind: Kind,
    premium: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    rate: ArrayLike,
    *,
    tolerance: float = PRICE_TOLERANCE,
) -> FloatArray:
    """σ in [0.01, 5] whose Black-76 price is `premium` to within `tolerance`; NaN = `no_iv`.

    NaN where no σ in [MIN_SIGMA, MAX_SIGMA] prices the premium: at or below the
    discounted intrinsic value, above the σ = 5 price (which is below K·e^(−rT)
    for a put, F·e^(−rT) for a call), or with inputs that cannot price (T ≤ 0,
    F ≤ 0, K ≤ 0, a missing premium). Newton's method on σ, kept inside a bracket
    that every step narrows; a step that leaves the bracket or does not at least
    halve the last one is replaced by bisection, so every contract converges.
    """
    is_call = _is_call(kind)
    premium, forward, strike, years, rate = np.broadcast_arrays(
        *_floats(premium, forward, strike, years, rate)
    )
    shape = premium.shape
    premium, forward, strike, years, rate = (
        np.ravel(a) for a in (premium, forward, strike, years, rate)
    )
    sigma = np.full(premium.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        growth = np.exp(rate * years)
        usable = (years > 0) & (forward > 0) & (strike > 0) & np.isfinite(premium * growth)
        usable &= np.isfinite(forward) & np.isfinite(strike)
        rows = np.flatnonzero(usable)
        f, k, sqrt_t = forward[rows], strike[rows], np.sqrt(years[rows])
        target = premium[rows] * growth[rows]  # undiscounted
        # To the out-of-the-money side (parity), then swap so every row reads as a call.
        if is_call:
            target = np.where(k < f, target - (f - k), target)
        else:
            target = np.where(k > f, target - (k - f), target)
        swap = k < f
        f, k = np.where(swap, k, f), np.where(swap, f, k)
        # `tolerance` after discounting is e^(rT)·tolerance before: the slack allowed just
        # outside the σ range. Inside it the solver goes on to a price good to
        # SOLVE_PRECISION of the premium (or of max(F, K) for a large one), so σ agrees
        # with any other exact solver, yet stays well above the float noise of
        # F·N(d1) − K·N(d2).
        at_ends = tolerance * growth[rows]
        precision = np.minimum(at_ends, SOLVE_PRECISION * np.minimum(k, target))
        solved = _solve(target, f, k, sqrt_t, at_ends, precision)
    sigma[rows] = solved
    return sigma.reshape(shape)


def _solve(
    target: FloatArray,
    forward: FloatArray,
    strike: FloatArray,
    sqrt_t: FloatArray,
    at_ends: FloatArray,
    precision: FloatArray,
) -> FloatArray:
    """Safeguarded Newton for out-of-the-money calls (strike ≥ forward), undiscounted.

    Starts from Corrado and Miller's closed-form approximation of σ. The price is
    convex in σ below the inflection point σ* = √(2·|ln(F/K)|/T) and concave above
    it; a root below σ* (a far out-of-the-money quote, whose price falls off like
    e^(−1/σ²)) is approached on ln(price), which is concave there and converges in a
    few steps where Newton on the price would crawl. A step that leaves the bracket
    [low, high] or does not halve the previous one is a bisection instead.
    """
    count = target.shape[0]
    result = np.full(count, np.nan)
    log_moneyness = np.log(forward / strike)
    price_low, _ = _undiscounted_otm_call(
        forward, strike, log_moneyness, sqrt_t, np.full(count, MIN_SIGMA)
    )
    price_high, _ = _undiscounted_otm_call(
        forward, strike, log_moneyness, sqrt_t, np.full(count, MAX_SIGMA)
    )
    # Strictly above the intrinsic value: at or below it no σ > 0 prices the premium.
    positive = target > 0
    at_low = positive & (target <= price_low) & (price_low - target < at_ends)
    at_high = ~at_low & (target >= price_high) & (target - price_high < at_ends)
    result[at_low] = MIN_SIGMA
    result[at_high] = MAX_SIGMA
    rows = np.flatnonzero(positive & (price_low < target) & (target < price_high))
    target, forward, strike, log_moneyness, sqrt_t = (
        a[rows] for a in (target, forward, strike, log_moneyness, sqrt_t)
    )
    inflection = np.clip(np.sqrt(-2.0 * log_moneyness) / sqrt_t, MIN_SIGMA, MAX_SIGMA)
    price_at_inflection, _ = _undiscounted_otm_call(
        forward, strike, log_moneyness, sqrt_t, inflection
    )
    on_log = target < price_at_inflection
    guess = _corrado_miller(target, forward, strike, sqrt_t)
    start = np.where(np.isfinite(guess) & (guess > 0), guess, inflection)
    state = {
        "target": target,
        "log_target": np.log(target),
        "forward": forward,
        "strike": strike,
        "log_moneyness": log_moneyness,
        "sqrt_t": sqrt_t,
        "precision": precision[rows],
        "at_ends": at_ends[rows],
        "on_log": on_log,
        "sigma": np.clip(start, MIN_SIGMA, MAX_SIGMA),
        "low": np.full(rows.size, MIN_SIGMA),
        "high": np.full(rows.size, MAX_SIGMA),
        "last_step": np.full(rows.size, MAX_SIGMA - MIN_SIGMA),
    }
    for _ in range(MAX_ITERATIONS):
        if rows.size == 0:
            break
        sigma = state["sigma"]
        value, vega = _undiscounted_otm_call(
            state["forward"], state["strike"], state["log_moneyness"], state["sqrt_t"], sigma
        )
        error = value - state["target"]
        above = error > 0
        high = state["high"] = np.where(above, sigma, state["high"])
        low = state["low"] = np.where(above, state["low"], sigma)
        on_log = state["on_log"] & (value > 0)
        step = np.where(on_log, (np.log(value) - state["log_target"]) * value, error) / vega
        newton = sigma - step
        use_newton = (newton > low) & (newton < high) & (np.abs(step) <= 0.5 * state["last_step"])
        next_sigma = state["sigma"] = np.where(use_newton, newton, (low + high) / 2.0)
        state["last_step"] = np.abs(next_sigma - sigma)
        # Done when priced to the precision; or when Newton moves σ by less than
        # SIGMA_PRECISION at a price within tolerance (a premium so small that its float
        # noise is above the precision); or when the bracket is down to one float.
        priced = np.abs(error) < state["precision"]
        settled = ~priced & use_newton & (np.abs(step) < SIGMA_PRECISION)
        settled &= np.abs(error) < state["at_ends"]
        stuck = ~(priced | settled) & ((next_sigma == sigma) | (high - low <= 4e-16 * high))
        result[rows[priced]] = sigma[priced]
        result[rows[settled | stuck]] = next_sigma[settled | stuck]
        going = ~(priced | settled | stuck)
        if not going.all():
            rows = rows[going]
            state = {name: values[going] for name, values in state.items()}
    return result


def _corrado_miller(
    target: FloatArray, forward: FloatArray, strike: FloatArray, sqrt_t: FloatArray
) -> FloatArray:
    """Corrado & Miller (1996), undiscounted: a σ good to a few % near the money.

    σ√T ≈ √(2π)/(F + K)·[c − (F − K)/2 + √((c − (F − K)/2)² − (F − K)²/π)], the inner
    root floored at 0 (it goes negative far from the money, where the guess is rough).
    """
    excess = target - (forward - strike) / 2.0
    root = np.sqrt(np.maximum(excess * excess - (forward - strike) ** 2 / np.pi, 0.0))
    return np.sqrt(2.0 * np.pi) / (forward + strike) * (excess + root) / sqrt_t


def delta(
    kind: Kind,
    spot: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    rate: ArrayLike,
    sigma: ArrayLike,
) -> FloatArray:
    """Delta to spot: put −(F/S)·e^(−rT)·N(−d1), call (F/S)·e^(−rT)·N(d1).

    With F = S·e^((r−q)T) this is Black–Scholes–Merton's −e^(−qT)·N(−d1).
    """
    spot, forward, years, rate = _floats(spot, forward, years, rate)
    d1, _ = d1_d2(forward, strike, years, sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(spot > 0, forward / spot, np.nan) * np.exp(-rate * years)
    return scale * ndtr(d1) if _is_call(kind) else -scale * ndtr(-d1)


def prob_otm(
    kind: Kind, forward: ArrayLike, strike: ArrayLike, years: ArrayLike, sigma: ArrayLike
) -> FloatArray:
    """Risk-neutral probability of expiring out of the money: put N(d2), call N(−d2)."""
    _, d2 = d1_d2(forward, strike, years, sigma)
    return ndtr(-d2) if _is_call(kind) else ndtr(d2)


def pop(
    kind: Kind,
    forward: ArrayLike,
    strike: ArrayLike,
    bid: ArrayLike,
    years: ArrayLike,
    sigma: ArrayLike,
) -> FloatArray:
    """Probability of profit at expiry for the seller who takes the bid.

    prob_otm with the strike replaced by the breakeven, at the contract's own σ:
    a short put profits when S_T > K − bid (N(d2) at K − bid; 1 when the breakeven
    is at or below zero), a short call when S_T < K + bid (N(−d2) at K + bid).
    """
    forward, strike, bid, years, sigma = _floats(forward, strike, bid, years, sigma)
    if _is_call(kind):
        return prob_otm("call", forward, strike + bid, years, sigma)
    breakeven = strike - bid
    chance = prob_otm("put", forward, np.where(breakeven > 0, breakeven, np.nan), years, sigma)
    # Only a price at or below zero would lose: certain, as long as the contract prices at all.
    priced = (years > 0) & (sigma > 0) & (forward > 0) & (strike > 0) & np.isfinite(sigma)
    return np.where(priced & (breakeven <= 0), 1.0, chance)
