"""Black-76 prices, implied volatility and the per-contract figures against tests/oracle.py.

The oracle prices with math.erfc and solves σ by bisection on the quoted price;
the product uses scipy's ndtr and a safeguarded Newton on the out-of-the-money
side. Hull's textbook vectors pin both to published numbers.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import oracle
from wheelscan.core import black76

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

KINDS = st.sampled_from(["put", "call"])
FORWARDS = st.floats(1.0, 5000.0)
LOG_MONEYNESS = st.floats(-1.0, 1.0)
YEARS = st.floats(1 / (365 * 24), 2.0)
RATES = st.floats(-0.01, 0.10)
SIGMAS = st.floats(0.0101, 4.99)


def _vega(f: float, k: float, t: float, r: float, sigma: float) -> float:
    d1, _ = oracle.d_pair(f, k, t, sigma)
    return math.exp(-r * t) * f * math.sqrt(t) * math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)


# Hull, Options, Futures, and Other Derivatives (9th ed.): spot S, strike K, r, q, σ, T.
HULL = [
    # example 15.6: call 4.76, put 0.81, d1 0.7693, N(d1) 0.7791
    (42.0, 40.0, 0.10, 0.0, 0.20, 0.5, 0.7693, -0.2209),
    # example 19.1: N(d1) 0.522, put delta −0.478
    (49.0, 50.0, 0.05, 0.0, 0.20, 0.3846, 0.0542, -0.478),
    # example 19.9, with a dividend yield: put delta −0.3215 = e^(−qT)(N(d1) − 1)
    (90.0, 87.0, 0.09, 0.03, 0.25, 0.5, 0.4499, -0.3215),
]


@pytest.mark.parametrize(("spot", "strike", "rate", "q", "sigma", "years", "d1", "put_delta"), HULL)
def test_black76_on_the_carry_forward_is_hulls_black_scholes(
    spot: float,
    strike: float,
    rate: float,
    q: float,
    sigma: float,
    years: float,
    d1: float,
    put_delta: float,
) -> None:
    forward = spot * math.exp((rate - q) * years)
    got_d1, _ = black76.d1_d2(forward, strike, years, sigma)
    assert got_d1 == pytest.approx(d1, abs=6e-4)
    delta = black76.delta("put", spot, forward, strike, years, rate, sigma)
    assert delta == pytest.approx(put_delta, abs=6e-4)
    put = black76.price("put", forward, strike, years, rate, sigma)
    assert put == pytest.approx(oracle.bs_put(spot, strike, years, rate, q, sigma), abs=1e-12)
    # ... and σ comes back from Hull's own price.
    assert black76.implied_vol("put", put, forward, strike, years, rate) == pytest.approx(
        sigma, abs=1e-9
    )


def test_hull_15_6_prices() -> None:
    forward = 42.0 * math.exp(0.10 * 0.5)
    call = black76.price("call", forward, 40.0, 0.5, 0.10, 0.20)
    put = black76.price("put", forward, 40.0, 0.5, 0.10, 0.20)
    assert call == pytest.approx(4.76, abs=5e-3)
    assert put == pytest.approx(0.81, abs=5e-3)
    # Hull 15.6: N(d2) = 0.7349 is the put's probability of expiring out of the money.
    assert black76.prob_otm("put", forward, 40.0, 0.5, 0.20) == pytest.approx(0.7349, abs=5e-4)


@given(KINDS, FORWARDS, LOG_MONEYNESS, YEARS, RATES, SIGMAS)
def test_sigma_priced_by_the_oracle_comes_back(
    kind: str, f: float, moneyness: float, t: float, r: float, sigma: float
) -> None:
    k = f * math.exp(moneyness)
    is_call = kind == "call"
    premium = (oracle.black_call if is_call else oracle.black_put)(f, k, t, r, sigma)
    intrinsic = math.exp(-r * t) * max((f - k) if is_call else (k - f), 0.0)
    # Below a thousandth of a cent of time value the quote carries no σ at all.
    assume(premium - intrinsic > 1e-5)
    solved = float(black76.implied_vol(kind, premium, f, k, t, r))
    assert not math.isnan(solved)
    assert abs(black76.price(kind, f, k, t, r, solved) - premium) < 1e-6
    assert abs(black76.price(kind, f, k, t, r, solved) - premium) < 1e-8
    if _vega(f, k, t, r, sigma) > 1e-3:
        assert solved == pytest.approx(sigma, abs=1e-6)
    bisected = oracle.implied_sigma(is_call, premium, f, k, t, r)
    assert bisected is not None
    if _vega(f, k, t, r, bisected) > 1e-3:
        assert solved == pytest.approx(bisected, abs=1e-6)


@given(
    st.lists(
        st.tuples(KINDS, FORWARDS, LOG_MONEYNESS, YEARS, RATES, st.floats(-0.05, 1.05)),
        min_size=1,
        max_size=30,
    )
)
def test_a_chain_solved_at_once_matches_the_bisection_row_loop(rows: list[tuple]) -> None:
    """Premiums from below the intrinsic value to above the σ = 5 price, mixed in one call:
    the same no_iv rows as the row loop, and the same σ elsewhere."""
    kinds = [row[0] for row in rows]
    f = np.array([row[1] for row in rows])
    k = f * np.exp([row[2] for row in rows])
    t = np.array([row[3] for row in rows])
    r = np.array([row[4] for row in rows])
    premium = np.empty(len(rows))
    for i, (kind, *_, where) in enumerate(rows):
        floor = _intrinsic(kind, f[i], k[i], t[i], r[i])
        top = _oracle_price(kind, f[i], k[i], t[i], r[i], black76.MAX_SIGMA)
        premium[i] = floor + where * (top - floor)
    solved = np.empty(len(rows))
    for kind in ("put", "call"):
        mine = np.array(kinds) == kind
        solved[mine] = black76.implied_vol(kind, premium[mine], f[mine], k[mine], t[mine], r[mine])
    for i, kind in enumerate(kinds):
        expected = oracle.implied_sigma(kind == "call", premium[i], f[i], k[i], t[i], r[i])
        ends = [_oracle_price(kind, f[i], k[i], t[i], r[i], s) for s in (0.01, 5.0)]
        near_an_end = min(abs(premium[i] - end) for end in ends) < 2e-9
        time_value = premium[i] - _intrinsic(kind, f[i], k[i], t[i], r[i])
        if expected is None or math.isnan(solved[i]):
            # Either both say no_iv, or the premium sits on an end of the σ range (within
            # the 1e-9 slack) or within float noise of the intrinsic value.
            assert (expected is None) == math.isnan(solved[i]) or near_an_end or time_value < 1e-9
            continue
        assert abs(_oracle_price(kind, f[i], k[i], t[i], r[i], solved[i]) - premium[i]) < 1e-6
        if _vega(f[i], k[i], t[i], r[i], expected) > 1e-3:
            assert solved[i] == pytest.approx(expected, abs=1e-6)


def _oracle_price(kind: str, f: float, k: float, t: float, r: float, sigma: float) -> float:
    return (oracle.black_call if kind == "call" else oracle.black_put)(f, k, t, r, sigma)


def _intrinsic(kind: str, f: float, k: float, t: float, r: float) -> float:
    return math.exp(-r * t) * max((f - k) if kind == "call" else (k - f), 0.0)


@pytest.mark.parametrize("kind", ["put", "call"])
def test_no_iv_at_intrinsic_above_the_upper_bound_and_without_time(kind: str) -> None:
    f, k, t, r = 100.0, np.array([90.0, 100.0, 110.0]), 0.25, 0.04
    discount = math.exp(-r * t)
    intrinsic = discount * np.maximum((f - k) if kind == "call" else (k - f), 0.0)
    upper = discount * (f if kind == "call" else k)
    assert np.isnan(black76.implied_vol(kind, intrinsic, f, k, t, r)).all()
    assert np.isnan(black76.implied_vol(kind, intrinsic - 0.01, f, k, t, r)).all()
    assert np.isnan(black76.implied_vol(kind, upper + 0.01, f, k, t, r)).all()
    # Just under the upper bound is still above the σ = 5 price for a quarter.
    assert np.isnan(black76.implied_vol(kind, upper * 0.999, f, k, t, r)).all()
    # The same premiums on a live contract solve; with no time left, or junk, nothing does.
    fair = black76.price(kind, f, k, t, r, 0.3)
    assert black76.implied_vol(kind, fair, f, k, t, r) == pytest.approx([0.3] * 3, abs=1e-9)
    for years in (0.0, -0.01, math.nan):
        assert np.isnan(black76.implied_vol(kind, fair, f, k, years, r)).all()
    junk = black76.implied_vol(kind, [math.nan, math.inf, 1.0, 1.0], [f, f, -f, f], 100.0, t, r)
    assert np.isnan(junk[:3]).all() and not np.isnan(junk[3])


def test_sigma_bounds_are_inclusive() -> None:
    f, k, t, r = 100.0, 95.0, 30 / 365, 0.04
    for sigma in (black76.MIN_SIGMA, black76.MAX_SIGMA):
        premium = black76.price("put", f, k, t, r, sigma)
        assert black76.implied_vol("put", premium, f, k, t, r) == pytest.approx(sigma, abs=1e-9)
    # At the money, where a hundredth of a point of σ is worth more than the tolerance.
    below = black76.price("put", f, f, t, r, 0.0099)
    above = black76.price("put", f, f, t, r, 5.01)
    assert np.isnan(black76.implied_vol("put", [below, above], f, f, t, r)).all()
    # Far out of the money every σ near 0.01 prices to almost nothing: the end is reported,
    # while a premium of nothing at all is at the intrinsic value, no_iv.
    tiny = black76.price("put", f, k, t, r, 0.0099)
    assert 0 < tiny < 1e-12
    assert black76.implied_vol("put", tiny, f, k, t, r) == black76.MIN_SIGMA
    assert np.isnan(black76.implied_vol("put", 0.0, f, k, t, r))


def test_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        black76.price("straddle", 100.0, 100.0, 0.1, 0.0, 0.2)  # type: ignore[arg-type]


@given(KINDS, FORWARDS, st.floats(-0.2, 0.2), LOG_MONEYNESS, YEARS, RATES, SIGMAS)
def test_delta_prob_otm_pop_match_the_oracle(
    kind: str, f: float, carry: float, moneyness: float, t: float, r: float, sigma: float
) -> None:
    spot, k = f * math.exp(-carry), f * math.exp(moneyness)
    bid = k * 0.01
    expected = oracle.contract_figures(
        kind == "call", black76.price(kind, f, k, t, r, sigma), bid, spot, f, k, t, r
    )
    # Figures at the oracle's σ (so only the formulas are compared here).
    assume(expected.sigma is not None)
    sigma = expected.sigma
    d_forward = oracle.d_pair(f, k, t, sigma)
    assert black76.d1_d2(f, k, t, sigma)[0] == pytest.approx(d_forward[0], rel=1e-9, abs=1e-9)
    assert float(black76.delta(kind, spot, f, k, t, r, sigma)) == pytest.approx(
        expected.delta, abs=1e-9
    )
    assert float(black76.prob_otm(kind, f, k, t, sigma)) == pytest.approx(
        expected.prob_otm, abs=1e-9
    )
    assert float(black76.pop(kind, f, k, bid, t, sigma)) == pytest.approx(expected.pop, abs=1e-9)


@given(FORWARDS, LOG_MONEYNESS, YEARS, RATES, SIGMAS)
def test_put_call_parity_and_the_seller_keeps_the_bid(
    f: float, moneyness: float, t: float, r: float, sigma: float
) -> None:
    k = f * math.exp(moneyness)
    call = black76.price("call", f, k, t, r, sigma)
    put = black76.price("put", f, k, t, r, sigma)
    assert call - put == pytest.approx(math.exp(-r * t) * (f - k), abs=1e-9 * max(f, k))
    # Collecting a bid moves the breakeven away: never less likely to profit than to expire OTM.
    for kind in ("put", "call"):
        keep = black76.pop(kind, f, k, 0.05 * k, t, sigma)
        assert keep >= black76.prob_otm(kind, f, k, t, sigma) - 1e-15
    d_put = black76.delta("put", f, f, k, t, r, sigma)
    d_call = black76.delta("call", f, f, k, t, r, sigma)
    assert d_call - d_put == pytest.approx(math.exp(-r * t), abs=1e-12)


def test_pop_is_certain_when_the_bid_covers_the_strike() -> None:
    pop = black76.pop("put", 3.0, [2.0, 2.0, 2.0], [2.5, 2.0, 1.0], 0.1, [0.5, 0.5, 0.5])
    assert pop[0] == 1.0 and pop[1] == 1.0 and pop[2] < 1.0
    # ... but not when the contract cannot be priced at all.
    assert np.isnan(black76.pop("put", 100.0, 2.0, 2.5, 0.1, math.nan))
    assert np.isnan(black76.pop("put", 100.0, 2.0, 2.5, 0.0, 0.5))


def test_figures_broadcast_one_forward_over_a_chain_and_nan_where_unpriceable() -> None:
    strikes = np.array([[90.0, 100.0], [110.0, 120.0]])
    sigma = np.array([[0.2, np.nan], [0.3, 0.4]])
    years = np.array([[0.1, 0.1], [0.0, 0.2]])
    delta = black76.delta("put", 100.0, 101.0, strikes, years, 0.04, sigma)
    assert delta.shape == (2, 2)
    assert np.isnan(delta[0, 1]) and np.isnan(delta[1, 0])
    assert -1 < delta[1, 1] < delta[0, 0] < 0  # the 120 put is deeper in the money
    assert np.isnan(black76.delta("put", 0.0, 101.0, 90.0, 0.1, 0.04, 0.2))


def test_the_benchmark_book_in_cents_agrees_with_the_oracle() -> None:
    """benchmarks/iv_solver.py's book (quotes in cents, a smile, puts and calls): every figure
    of every contract within 1e-6 of the row loop, and the same contracts no_iv."""
    from benchmarks.iv_solver import largest_gap, make_book, product, row_loop

    book = make_book(400, seed=7)
    gaps = largest_gap(product(book), row_loop(book))
    assert all(gap < 1e-6 for gap in gaps.values()), gaps
