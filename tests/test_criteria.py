"""Every rejection reason, its precedence, and the candidates' figures."""

from __future__ import annotations

import math
from datetime import date, datetime
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wheelscan.core.criteria import evaluate_chain, evaluate_chains, sort_candidates
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import REJECTION_REASONS, Criteria, CriteriaError, PutChain, Underlying

AS_OF = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
SPOT = 100.0
NAN = math.nan


def chain(rows: list[dict[str, float]], expiration: date = date(2026, 12, 4)) -> PutChain:
    def col(name: str, default: float = NAN) -> np.ndarray:
        return np.array([r.get(name, default) for r in rows], dtype=float)

    return PutChain(
        expiration=expiration,
        contract=[f"X{i}" for i in range(len(rows))],
        strike=col("strike"),
        bid=col("bid"),
        ask=col("ask"),
        last=col("last"),
        iv=col("iv"),
        open_interest=col("oi"),
        volume=col("volume"),
    )


GOOD = {"strike": 95.0, "bid": 1.2, "ask": 1.3, "iv": 0.30, "oi": 500.0, "volume": 10.0}
UNDERLYING = Underlying("X", SPOT, AS_OF, 0.0)


def reasons_of(rows: list[dict[str, float]], criteria: Criteria, **kw: date) -> dict[str, int]:
    _, rejected = evaluate_chain(chain(rows, **kw), UNDERLYING, criteria)
    return {k: v for k, v in rejected.items() if v}


def test_a_good_put_is_a_candidate_with_its_figures() -> None:
    candidates, rejected = evaluate_chain(chain([GOOD]), UNDERLYING, Criteria())
    assert sum(rejected.values()) == 0
    (c,) = candidates
    dte = 11
    years = ((11 * 24 + 6) * 3600) / (365 * 86400)  # 10:00 to 16:00 eleven days later
    vol_t = 0.30 * math.sqrt(years)
    d1 = (math.log(SPOT / 95) + (0.04 + 0.30**2 / 2) * years) / vol_t
    assert c.dte == dte
    assert c.delta == pytest.approx(-NormalDist().cdf(-d1), rel=1e-9)
    assert c.prob_otm == pytest.approx(NormalDist().cdf(d1 - vol_t), rel=1e-9)
    assert c.annualized_return_pct == pytest.approx(1.2 / 95 * 365 / dte * 100)
    assert c.otm_pct == pytest.approx(5.0)
    assert c.mid == pytest.approx(1.25)
    assert c.spread_pct == pytest.approx(0.1 / 1.25 * 100)
    assert c.collateral == pytest.approx(9500.0)
    assert c.breakeven == pytest.approx(93.8)
    assert c.badge == "n/a"


@pytest.mark.parametrize(
    ("row", "criteria", "reason"),
    [
        ({**GOOD, "strike": 100.0}, Criteria(), "itm"),
        ({**GOOD, "strike": 105.0}, Criteria(), "itm"),
        ({**GOOD, "bid": 0.0}, Criteria(), "no_bid"),
        ({**GOOD, "bid": NAN}, Criteria(), "no_bid"),
        ({**GOOD, "ask": 0.0}, Criteria(), "bad_quote"),
        ({**GOOD, "ask": 1.1}, Criteria(), "bad_quote"),
        ({**GOOD, "ask": NAN}, Criteria(), "bad_quote"),
        ({**GOOD, "iv": 1e-5}, Criteria(), "no_iv"),
        ({**GOOD, "iv": NAN}, Criteria(), "no_iv"),
        ({**GOOD, "bid": 0.5}, Criteria(), "return"),
        ({**GOOD, "strike": 99.0, "bid": 2.0, "ask": 2.1}, Criteria(), "delta"),
        ({**GOOD, "oi": 5.0}, Criteria(min_open_interest=10), "oi"),
        ({**GOOD, "oi": NAN}, Criteria(min_open_interest=1), "oi"),
        ({**GOOD, "ask": 1.5}, Criteria(max_spread_pct=10), "spread"),
    ],
)
def test_each_rejection_reason(row: dict[str, float], criteria: Criteria, reason: str) -> None:
    assert reasons_of([row], criteria) == {reason: 1}


def test_dte_outside_the_window() -> None:
    assert reasons_of([GOOD], Criteria(max_dte=7)) == {"dte": 1}
    assert reasons_of([GOOD], Criteria(), expiration=date(2026, 11, 23)) == {"dte": 1}


def test_first_reason_wins_in_spec_order() -> None:
    # ITM, no bid, no IV and a wide spread at once: only `itm` is counted.
    broken = {**GOOD, "strike": 120.0, "bid": 0.0, "iv": 1e-5, "ask": 9.0}
    assert reasons_of([broken], Criteria(max_spread_pct=1)) == {"itm": 1}
    # No bid and ask 0: `no_bid` comes before `bad_quote`.
    assert reasons_of([{**GOOD, "bid": 0.0, "ask": 0.0}], Criteria()) == {"no_bid": 1}
    # A broken quote with placeholder IV: `bad_quote` comes before `no_iv`.
    assert reasons_of([{**GOOD, "ask": 0.0, "iv": 1e-5}], Criteria()) == {"bad_quote": 1}


def test_every_contract_is_counted_once() -> None:
    rows = [GOOD, {**GOOD, "strike": 110.0}, {**GOOD, "bid": 0.0}, {**GOOD, "iv": 1e-5}]
    candidates, rejected = evaluate_chain(chain(rows), UNDERLYING, Criteria())
    assert list(rejected) == list(REJECTION_REASONS)
    assert len(candidates) + sum(rejected.values()) == len(rows)


def test_counts_that_are_not_numbers_are_left_out_not_crashed_on() -> None:
    rows = [{**GOOD, "oi": math.inf, "volume": -math.inf}, {**GOOD, "oi": NAN, "volume": NAN}]
    candidates, _ = evaluate_chain(chain(rows), UNDERLYING, Criteria())
    assert [(c.open_interest, c.volume) for c in candidates] == [(None, None), (None, None)]


def test_badges_follow_intrinsic_value() -> None:
    rows = [GOOD, {**GOOD, "strike": 94.0, "bid": 1.1, "ask": 1.2}]
    candidates, _ = evaluate_chain(chain(rows), UNDERLYING, Criteria(), intrinsic_value=94.0)
    assert {c.strike: c.badge for c in candidates} == {95.0: "high", 94.0: "good"}


def test_candidates_sort_by_expiration_then_strike_descending() -> None:
    loose = Criteria(min_return_pct=10, max_delta=0.5)
    rows = [GOOD, {**GOOD, "strike": 96.0, "bid": 1.5, "ask": 1.6}]
    near = evaluate_chain(chain(rows), UNDERLYING, loose)[0]
    far = evaluate_chain(chain([GOOD], date(2026, 12, 11)), UNDERLYING, loose)[0]
    ordered = sort_candidates(far + near)
    assert [(c.expiration, c.strike) for c in ordered] == [
        ("2026-12-04", 96.0),
        ("2026-12-04", 95.0),
        ("2026-12-11", 95.0),
    ]


QUOTES = st.sampled_from([NAN, math.inf, -1.0, 0.0, 1e-5, 0.3, 0.9, 1.2, 1.3, 2.0, 95.0, 99.0])
ROWS = st.lists(
    st.fixed_dictionaries(
        {"strike": QUOTES, "bid": QUOTES, "ask": QUOTES, "iv": QUOTES, "oi": QUOTES}
    ),
    max_size=6,
)
EXPIRIES = st.sampled_from([date(2026, 11, 23), date(2026, 11, 27), date(2026, 12, 4)])


@given(st.lists(st.tuples(ROWS, EXPIRIES), max_size=4))
def test_expirations_evaluated_together_match_each_evaluated_alone(
    windows: list[tuple[list[dict[str, float]], date]],
) -> None:
    """The engine prices a ticker's expirations as one array; nothing may leak across them."""
    chains = [chain(rows, expiration) for rows, expiration in windows]
    criteria = Criteria(min_return_pct=1, max_delta=0.9, min_open_interest=1)
    together, together_rejected = evaluate_chains(chains, UNDERLYING, criteria, 96.0)
    alone = [evaluate_chain(c, UNDERLYING, criteria, 96.0) for c in chains]
    assert together == [candidate for found, _ in alone for candidate in found]
    assert together_rejected == {
        reason: sum(rejected[reason] for _, rejected in alone) for reason in REJECTION_REASONS
    }
    assert len(together) + sum(together_rejected.values()) == sum(len(c) for c in chains)


# The SPEC 3 ranges, written out apart from Criteria's table: (field, accepted, refused).
RANGES = [
    ("min_dte", [0, 1, 28], [-1]),
    ("max_dte", [1, 10**6], [0, -3]),
    ("min_return_pct", [0.0, 30.0, 1e6], [-0.01, math.inf, math.nan]),
    ("max_delta", [1e-9, 0.2, 1.0], [0.0, -0.1, 1.0000001, math.inf, math.nan]),
    ("min_open_interest", [0, 10**30], [-1]),
    ("max_spread_pct", [0.0, 40.0, math.inf], [-0.1, -math.inf, math.nan]),
    ("risk_free_rate_pct", [-5.0, 0.0, 50.0], [-5.01, 50.01, math.inf, math.nan]),
]


@pytest.mark.parametrize(("name", "accepted", "refused"), RANGES)
def test_each_criterion_accepts_its_range_and_refuses_naming_itself(
    name: str, accepted: list[float], refused: list[float]
) -> None:
    wide_dte = {"min_dte": 0} if name == "max_dte" else {"max_dte": 10**6}
    for value in accepted:
        assert getattr(Criteria(**{**wide_dte, name: value}), name) == value
    for value in refused:
        with pytest.raises(CriteriaError) as refusal:
            Criteria(**{**wide_dte, name: value})
        assert refusal.value.keys == (name,)
        assert "must be" in str(refusal.value) and "got" in str(refusal.value)


def test_a_min_dte_above_the_max_names_both() -> None:
    with pytest.raises(CriteriaError, match="min DTE 10 is above max DTE 5") as refusal:
        Criteria(min_dte=10, max_dte=5)
    assert set(refusal.value.keys) == {"min_dte", "max_dte"}


def test_weeks_set_max_dte() -> None:
    assert Criteria.from_weeks(2).max_dte == 14
    with pytest.raises(CriteriaError, match="weeks must be >= 1, got 0"):
        Criteria.from_weeks(0)
