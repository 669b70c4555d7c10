"""The parity forward, atm_iv and expected move per expiration, and every put's σ and figures,
on the recorded QQQ answers and on generated chains, against tests/oracle.py."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracle
from wheelscan.core import black76, expiry
from wheelscan.core import forward as fw

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "qqq").glob("*.json"))
RATE = 0.04
BOTH_WAYS = st.booleans()


def _column(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([row.get(key, math.nan) for row in rows], dtype=float)


def _pairs(calls: list[dict[str, Any]], puts: list[dict[str, Any]]) -> fw.QuotePairs:
    return fw.quote_pairs(
        *(_column(calls, key) for key in ("strike", "bid", "ask")),
        *(_column(puts, key) for key in ("strike", "bid", "ask")),
    )


def _figures(
    calls: list[dict[str, Any]], puts: list[dict[str, Any]], spot: float, years: float, raw: Any
) -> tuple[fw.ForwardEstimate, fw.ExpirationFigures]:
    estimate = fw.estimate_forward(
        spot, years, RATE, fw.carry_dividend_yield(raw), _pairs(calls, puts)
    )
    return estimate, fw.expiration_figures(spot, RATE, [estimate])[0]


def _same(mine: float | None, theirs: float | None, tolerance: float) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    return abs(mine - theirs) <= tolerance


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_recorded_qqq_answer_row_by_row_against_the_oracle(path: Path) -> None:
    answer = json.loads(path.read_text())["optionChain"]["result"][0]
    quote, chain = answer["quote"], answer["options"][0]
    calls, puts = chain["calls"], chain["puts"]
    spot, stamp = quote["regularMarketPrice"], quote["regularMarketTime"]
    expiration = expiry.expiration_date(chain["expirationDate"])
    years = expiry.years_to_expiry(datetime.fromtimestamp(stamp, expiry.NEW_YORK), expiration)
    assert years == pytest.approx(oracle.years_between(stamp, expiration.isoformat()), abs=1e-12)

    raw_yield = quote.get("trailingAnnualDividendYield")
    _, figures = _figures(calls, puts, spot, years, raw_yield)
    expected = oracle.expiry_figures(calls, puts, spot, years, RATE, raw_yield)
    assert figures.forward_source == expected.source
    assert figures.forward == pytest.approx(expected.forward, abs=1e-9)
    assert figures.atm_strike == expected.atm_strike
    assert _same(figures.atm_iv, expected.atm_iv, 1e-9)
    assert _same(figures.expected_move, expected.expected_move, 1e-12)
    assert figures.expected_move_pct == pytest.approx(expected.expected_move / spot * 100)

    strike, bid, ask = (_column(puts, key) for key in ("strike", "bid", "ask"))
    mid = (bid + ask) / 2
    sigma = black76.implied_vol("put", mid, figures.forward, strike, years, RATE)
    delta = black76.delta("put", spot, figures.forward, strike, years, RATE, sigma)
    prob = black76.prob_otm("put", figures.forward, strike, years, sigma)
    pop = black76.pop("put", figures.forward, strike, bid, years, sigma)
    solved = 0
    for i in range(len(puts)):
        row = oracle.contract_figures(
            False, mid[i], bid[i], spot, expected.forward, strike[i], years, RATE
        )
        if row.sigma is None:
            assert math.isnan(sigma[i]), puts[i]["contractSymbol"]
            continue
        solved += 1
        assert sigma[i] == pytest.approx(row.sigma, abs=1e-6), puts[i]["contractSymbol"]
        assert delta[i] == pytest.approx(row.delta, abs=1e-7)
        assert prob[i] == pytest.approx(row.prob_otm, abs=1e-7)
        assert pop[i] == pytest.approx(row.pop, abs=1e-7)
    assert solved > len(puts) // 2
    # Yahoo's junk IV (1e-05) on a two-sided quote worth more than its intrinsic value:
    # σ comes from the quote's own mid (on the 0-DTE file those mids are below intrinsic).
    junk = (_column(puts, "impliedVolatility") < 0.01) & fw.two_sided(bid, ask)
    worth_more = mid > math.exp(-RATE * years) * np.maximum(strike - figures.forward, 0)
    assert (sigma[junk & worth_more] > 0.05).all()
    assert np.isnan(sigma[junk & ~worth_more]).all()
    if path.name == "QQQ_1795478400.json":
        assert (junk & worth_more).sum() == 3


@st.composite
def chains(draw: st.DrawFn, cents: st.SearchStrategy[bool] = BOTH_WAYS) -> dict[str, Any]:
    """A chain priced by Black-76 on a forward near the carry, with a smile, quoted in cents
    (or at the exact price)."""
    spot = draw(st.floats(5.0, 2000.0))
    years = draw(st.floats(1 / 365, 0.5))
    raw_yield = draw(st.one_of(st.none(), st.floats(-0.05, 0.3), st.just(math.nan)))
    # The book's forward: near the carry, or off it by more than the band allows.
    shift = draw(st.floats(-0.06, 0.06))
    book = spot * math.exp((RATE - fw.carry_dividend_yield(raw_yield)) * years + shift)
    step = draw(st.sampled_from([0.5, 1.0, 2.5, 5.0])) * max(1.0, round(spot / 100))
    count = draw(st.integers(2, 25))
    first = math.floor(spot * 0.9 / step) * step
    base, skew = draw(st.floats(0.08, 1.2)), draw(st.floats(0.0, 2.0))
    in_cents = draw(cents)
    calls, puts = [], []
    for i in range(count):
        k = first + i * step
        if k <= 0:
            continue
        sigma = base + skew * math.log(k / book) ** 2
        # Both sides' time value: the out-of-the-money side's price.
        time_value = min(
            oracle.black_call(book, k, years, RATE, sigma),
            oracle.black_put(book, k, years, RATE, sigma),
        )
        for rows, pricer in ((calls, oracle.black_call), (puts, oracle.black_put)):
            fair = pricer(book, k, years, RATE, sigma)
            half = draw(st.sampled_from([0.0, 0.01, 0.02, 0.05])) if in_cents else 0.0
            bid = round(fair - half, 2) if in_cents else fair
            ask = round(fair + half, 2) if in_cents else fair
            # No market quotes less than half a cent of time value; some rows have no bid.
            if time_value < 0.005 or draw(st.integers(0, 9)) == 0:
                bid = 0.0
            rows.append({"strike": k, "bid": bid, "ask": max(ask, 0.0)})
    return {
        "spot": spot,
        "years": years,
        "raw_yield": raw_yield,
        "book": book,
        "calls": calls,
        "puts": puts,
    }


@given(chains())
def test_generated_chains_match_the_oracle(chain: dict[str, Any]) -> None:
    spot, years, raw = chain["spot"], chain["years"], chain["raw_yield"]
    _, figures = _figures(chain["calls"], chain["puts"], spot, years, raw)
    expected = oracle.expiry_figures(chain["calls"], chain["puts"], spot, years, RATE, raw)
    assert figures.forward_source == expected.source
    assert figures.forward == pytest.approx(expected.forward, abs=1e-9 * spot)
    assert figures.atm_strike == expected.atm_strike
    assert _same(figures.atm_iv, expected.atm_iv, 1e-6)
    assert _same(figures.expected_move, expected.expected_move, 1e-9)


@given(chains(cents=st.just(False)))
def test_exact_quotes_give_back_the_books_forward(chain: dict[str, Any]) -> None:
    """Without rounding, parity at any quoted pair is the book's forward itself."""
    spot, years = chain["spot"], chain["years"]
    estimate, _ = _figures(chain["calls"], chain["puts"], spot, years, chain["raw_yield"])
    if estimate.source == "parity":
        assert estimate.forward == pytest.approx(chain["book"], rel=1e-9)
    pairs = _pairs(chain["calls"], chain["puts"])
    inside = abs(chain["book"] / spot - 1) <= fw.parity_band(years) * (1 - 1e-9)
    if pairs.strike.size and inside:
        assert estimate.source == "parity"


def _quotes(strike: float, call: tuple[float, float], put: tuple[float, float]) -> tuple:
    return (
        {"strike": strike, "bid": call[0], "ask": call[1]},
        {"strike": strike, "bid": put[0], "ask": put[1]},
    )


def _chain(*quotes: tuple) -> tuple[list, list]:
    return [c for c, _ in quotes], [p for _, p in quotes]


def test_k_star_is_the_pair_closest_in_price_and_ties_go_nearest_spot() -> None:
    # C − P: 100 → +3.0, 101 → +0.5, 102 → −0.5, 103 → −1.5. |±0.5| tie: spot 101.9 picks 102.
    calls, puts = _chain(
        _quotes(100.0, (3.9, 4.1), (0.9, 1.1)),
        _quotes(101.0, (1.4, 1.6), (0.9, 1.1)),
        _quotes(102.0, (0.9, 1.1), (1.4, 1.6)),
        _quotes(103.0, (0.4, 0.6), (1.9, 2.1)),
    )
    years = 0.05
    estimate, _ = _figures(calls, puts, 101.9, years, None)
    assert estimate.parity_strike == 102.0
    assert estimate.forward == pytest.approx(102.0 - math.exp(RATE * years) * 0.5)
    estimate, _ = _figures(calls, puts, 101.2, years, None)
    assert estimate.parity_strike == 101.0
    # The at-the-money pair is the strike nearest F (101.501), and the move its straddle.
    assert estimate.atm_strike == 102.0
    assert estimate.atm_call_mid + estimate.atm_put_mid == pytest.approx(2.5)
    # A cent apart is no tie: the smaller |C − P| wins however far it is from spot.
    calls[1]["bid"], calls[1]["ask"] = 1.39, 1.59  # 101: C − P = +0.49
    estimate, _ = _figures(calls, puts, 101.9, years, None)
    assert estimate.parity_strike == 101.0


def test_one_sided_and_duplicate_rows_are_not_pairs() -> None:
    calls, puts = _chain(
        _quotes(100.0, (0.0, 2.0), (2.0, 2.2)),  # call has no bid
        _quotes(101.0, (1.5, 1.4), (1.5, 1.6)),  # call ask below bid
        _quotes(102.0, (1.0, 1.2), (1.0, 1.2)),
    )
    calls.append({"strike": 102.0, "bid": 9.0, "ask": 9.5})  # an adjusted contract's repeat
    pairs = _pairs(calls, puts)
    assert pairs.strike.tolist() == [102.0]
    assert pairs.call_mid.tolist() == [pytest.approx(1.1)]
    flags = fw.two_sided([0.1, 0.0, 0.2, 0.1, math.nan], [0.1, 0.1, 0.1, math.nan, 0.2])
    assert flags.tolist() == [True, False, False, False, False]


def test_a_parity_forward_outside_the_band_falls_back_to_the_carry() -> None:
    years = 0.25
    band = fw.parity_band(years)
    assert band == pytest.approx(0.045)
    for off, source in ((band * 0.999, "parity"), (band * 1.001, "carry")):
        spot = 100.0
        forward = spot * (1 + off)
        # A pair at 100 quoted so that parity gives `forward` exactly.
        gap = (forward - 100.0) * math.exp(-RATE * years)
        calls, puts = _chain(_quotes(100.0, (5.0 + gap, 5.0 + gap), (5.0, 5.0)))
        estimate, _ = _figures(calls, puts, spot, years, 0.02)
        assert estimate.source == source
        expected = forward if source == "parity" else spot * math.exp((RATE - 0.02) * years)
        assert estimate.forward == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("raw", "used"),
    [
        (None, 0.0),
        (math.nan, 0.0),
        ("0.02", 0.0),
        (True, 0.0),
        (-0.01, 0.0),
        (0.4, 0.15),
        (0.031, 0.031),
        (math.inf, 0.0),
        (2, 0.15),
    ],
)
def test_carry_dividend_yield_is_clipped(raw: Any, used: float) -> None:
    assert fw.carry_dividend_yield(raw) == used
    assert oracle.clipped_yield(raw) == used


def test_no_pair_means_carry_and_no_atm_figures() -> None:
    calls, puts = _chain(_quotes(100.0, (0.0, 1.0), (1.0, 1.2)))
    _, figures = _figures(calls, puts, 100.0, 0.1, 0.01)
    assert figures.forward_source == "carry"
    assert figures.forward == pytest.approx(100.0 * math.exp(0.03 * 0.1))
    assert figures.atm_iv is None and figures.expected_move is None
    assert figures.expected_move_pct is None


def test_many_expirations_solved_together_as_one_by_one() -> None:
    spot, estimates = 50.0, []
    for years, sigma in ((0.02, 0.3), (0.1, 0.25), (0.3, 6.0), (0.5, 0.2)):
        calls, puts = _chain(
            *(
                _quotes(
                    k,
                    (oracle.black_call(spot, k, years, RATE, sigma),) * 2,
                    (oracle.black_put(spot, k, years, RATE, sigma),) * 2,
                )
                for k in (48.0, 50.0, 52.0)
            )
        )
        estimates.append(fw.estimate_forward(spot, years, RATE, 0.0, _pairs(calls, puts)))
    estimates.append(fw.estimate_forward(spot, 0.2, RATE, 0.0, _pairs([], [])))
    together = fw.expiration_figures(spot, RATE, estimates)
    alone = [fw.expiration_figures(spot, RATE, [e])[0] for e in estimates]
    assert together == alone
    assert [f.atm_iv is None for f in together] == [False, False, True, False, True]
    assert together[1].atm_iv == pytest.approx(0.25, abs=1e-9)
    assert fw.expiration_figures(spot, RATE, []) == []


def test_a_quote_without_a_price_gets_no_parity_forward_rather_than_a_crash() -> None:
    calls, puts = _chain(_quotes(100.0, (5.0, 5.2), (4.0, 4.2)))
    for spot in (0.0, math.nan):
        estimate, figures = _figures(calls, puts, spot, 0.1, None)
        assert estimate.source == "carry" and estimate.parity_strike is None
        assert figures.expected_move == pytest.approx(9.2) and figures.expected_move_pct is None
