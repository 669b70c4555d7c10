"""Intrinsic value (SPEC 4): the DCF against exact arithmetic, its properties, and n/a reasons."""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wheelscan.core.errors import InputError
from wheelscan.core.valuation import (
    DcfParams,
    TrailingCashFlow,
    badge_for,
    dcf_param_problem,
    dcf_value,
    fcf_per_share,
    intrinsic_value_for,
    pe_at,
    price_vs_value,
)

FIXTURES = Path(__file__).parent / "fixtures"
FUNDAMENTALS = FIXTURES / "fundamentals"


def exact_dcf(
    per_share: Fraction,
    growth_pct: Fraction,
    discount_pct: Fraction,
    multiple: Fraction,
    years: int,
) -> Fraction:
    """The oracle: the same model as a closed-form geometric series, in exact fractions.

    With r = (1+g)/(1+d): Σ_{t=1..N} E·r^t = E·r·(1 − r^N)/(1 − r) (E·N when r = 1),
    plus the terminal value E·r^N·M.
    """
    r = (1 + growth_pct / 100) / (1 + discount_pct / 100)
    series = per_share * years if r == 1 else per_share * r * (1 - r**years) / (1 - r)
    return series + per_share * r**years * multiple


def to_cents(value: Fraction | float) -> Decimal:
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            Decimal("0.01"), ROUND_HALF_EVEN
        )
    return Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def test_hand_computed_value_for_eps_six_with_the_spec_defaults() -> None:
    # Year by year: 6·1.1^t/1.15^t = 5.7391, 5.4896, 5.2509, 5.0226, 4.8042 (sum 26.3065);
    # terminal 6·1.1^5·20/1.15^5 = 96.0850; together 122.39.
    expected = exact_dcf(Fraction(6), Fraction(10), Fraction(15), Fraction(20), 5)
    assert to_cents(expected) == Decimal("122.39")
    assert to_cents(dcf_value(6.00, DcfParams())) == Decimal("122.39")
    assert dcf_value(6.00, DcfParams()) == pytest.approx(float(expected), rel=1e-12)


def test_one_year_without_a_terminal_value_is_one_discounted_year() -> None:
    params = DcfParams(growth_pct=8, discount_pct=12, terminal_multiple=0, years=1)
    assert dcf_value(5.0, params) == pytest.approx(5.0 * 1.08 / 1.12, rel=1e-15)


def test_growth_equal_to_discount_leaves_e_per_year_plus_e_times_m() -> None:
    params = DcfParams(growth_pct=12, discount_pct=12, terminal_multiple=15, years=7)
    assert dcf_value(2.5, params) == pytest.approx(2.5 * 7 + 2.5 * 15, rel=1e-12)


per_shares = st.floats(min_value=0.01, max_value=10_000, allow_nan=False)
growths = st.floats(min_value=-50, max_value=60, allow_nan=False)
discounts = st.floats(min_value=0, max_value=60, allow_nan=False)
multiples = st.floats(min_value=0, max_value=100, allow_nan=False)
years = st.integers(min_value=1, max_value=30)


@given(per_shares, growths, discounts, multiples, years)
def test_matches_the_exact_closed_form(e: float, g: float, d: float, m: float, n: int) -> None:
    params = DcfParams(growth_pct=g, discount_pct=d, terminal_multiple=m, years=n)
    exact = exact_dcf(Fraction(e), Fraction(g), Fraction(d), Fraction(m), n)
    assert dcf_value(e, params) == pytest.approx(float(exact), rel=1e-9)


@given(per_shares, st.floats(min_value=1e-6, max_value=100), growths, discounts, multiples, years)
def test_increases_with_e(e: float, step: float, g: float, d: float, m: float, n: int) -> None:
    params = DcfParams(growth_pct=g, discount_pct=d, terminal_multiple=m, years=n)
    assert dcf_value(e * (1 + step), params) > dcf_value(e, params) > 0


@given(per_shares, growths, st.floats(min_value=0.01, max_value=30), discounts, multiples, years)
def test_increases_with_growth(e: float, g: float, step: float, d: float, m: float, n: int) -> None:
    low = DcfParams(growth_pct=g, discount_pct=d, terminal_multiple=m, years=n)
    high = DcfParams(growth_pct=g + step, discount_pct=d, terminal_multiple=m, years=n)
    assert dcf_value(e, high) > dcf_value(e, low)


@given(per_shares, growths, discounts, st.floats(min_value=0.01, max_value=30), multiples, years)
def test_decreases_with_discount(
    e: float, g: float, d: float, step: float, m: float, n: int
) -> None:
    low = DcfParams(growth_pct=g, discount_pct=d, terminal_multiple=m, years=n)
    high = DcfParams(growth_pct=g, discount_pct=d + step, terminal_multiple=m, years=n)
    assert dcf_value(e, high) < dcf_value(e, low)


@given(per_shares, st.floats(min_value=0.01, max_value=100), growths, discounts, multiples, years)
def test_scales_linearly_with_e(e: float, k: float, g: float, d: float, m: float, n: int) -> None:
    params = DcfParams(growth_pct=g, discount_pct=d, terminal_multiple=m, years=n)
    assert dcf_value(k * e, params) == pytest.approx(k * dcf_value(e, params), rel=1e-12)


def quote_block(name: str) -> dict:
    return json.loads((FUNDAMENTALS / f"{name}.quote.json").read_text())


def test_recorded_equity_quote_is_valued_from_its_eps_to_the_cent() -> None:
    quote = quote_block("ACME")
    result = intrinsic_value_for(quote)
    eps = Fraction(str(quote["epsTrailingTwelveMonths"]))
    expected = exact_dcf(eps, Fraction(10), Fraction(15), Fraction(20), 5)
    assert result.source == "dcf_eps" and result.method == "eps" and result.reason is None
    assert to_cents(result.value) == to_cents(expected)
    assert result.inputs == {
        "eps": 6.43,
        "growth_pct": 10.0,
        "discount_pct": 15.0,
        "terminal_multiple": 20.0,
        "years": 5,
    }
    # The badge follows the computed value: a strike a cent above it is high.
    cents = float(to_cents(expected))
    assert badge_for(cents - 0.01, result.value) == "good"
    assert badge_for(cents + 0.01, result.value) == "high"


def test_recorded_etf_quote_is_not_valued_and_says_why() -> None:
    quote = json.loads((FIXTURES / "qqq" / "QQQ.json").read_text())["optionChain"]["result"][0]
    result = intrinsic_value_for(quote["quote"], DcfParams(method="fcf"))
    assert result.value is None and result.source is None
    assert result.reason == "not an equity (ETF)"


def test_overrides_change_the_value_as_the_oracle_does() -> None:
    quote = quote_block("BOLT")
    params = DcfParams(growth_pct=4, discount_pct=9, terminal_multiple=12, years=10)
    expected = exact_dcf(Fraction("2.18"), Fraction(4), Fraction(9), Fraction(12), 10)
    result = intrinsic_value_for(quote, params)
    assert to_cents(result.value) == to_cents(expected)
    assert result.inputs["years"] == 10 and result.inputs["terminal_multiple"] == 12


def test_a_manual_value_wins_over_everything() -> None:
    etf = {"quoteType": "ETF"}
    for quote in (None, etf, quote_block("ACME")):
        result = intrinsic_value_for(quote, DcfParams(method="fcf"), manual=190)
        assert (result.value, result.source, result.reason) == (190.0, "manual", None)
        assert result.method == "fcf" and result.inputs == {}


@pytest.mark.parametrize("manual", [0, -5.0, math.nan, math.inf, True])
def test_a_manual_value_must_be_a_positive_number(manual: float) -> None:
    with pytest.raises(InputError, match="intrinsic value"):
        intrinsic_value_for(quote_block("ACME"), manual=manual)


EQUITY = {"quoteType": "EQUITY", "currency": "USD", "financialCurrency": "USD"}


@pytest.mark.parametrize(
    ("quote", "reason"),
    [
        (None, "no quote"),
        ({}, "no quote"),
        ({"quoteType": "INDEX", "epsTrailingTwelveMonths": 3.0}, "not an equity (INDEX)"),
        ({"epsTrailingTwelveMonths": 3.0}, "not an equity (no quoteType)"),
        (EQUITY, "no EPS in the quote"),
        ({**EQUITY, "epsTrailingTwelveMonths": None}, "no EPS in the quote"),
        ({**EQUITY, "epsTrailingTwelveMonths": "6.1"}, "no EPS in the quote"),
        ({**EQUITY, "epsTrailingTwelveMonths": math.nan}, "no EPS in the quote"),
        ({**EQUITY, "epsTrailingTwelveMonths": True}, "no EPS in the quote"),
        ({**EQUITY, "epsTrailingTwelveMonths": 0.0}, "E <= 0"),
        ({**EQUITY, "epsTrailingTwelveMonths": -1.25}, "E <= 0"),
    ],
)
def test_eps_method_is_not_available_with_a_reason(quote: dict | None, reason: str) -> None:
    result = intrinsic_value_for(quote)
    assert (result.value, result.source, result.reason) == (None, None, reason)


def test_a_loss_keeps_its_eps_among_the_inputs() -> None:
    result = intrinsic_value_for({**EQUITY, "epsTrailingTwelveMonths": -1.25})
    assert result.inputs["eps"] == -1.25


FCF = DcfParams(method="fcf")
SHARES = {**EQUITY, "sharesOutstanding": 400_000_000}


def test_fcf_method_values_free_cash_flow_per_share() -> None:
    cash_flow = TrailingCashFlow(free_cash_flow=1_000_000_000.0, as_of="2025-09-30")
    result = intrinsic_value_for(SHARES, FCF, cash_flow=cash_flow)
    expected = exact_dcf(
        Fraction(1_000_000_000, 400_000_000), Fraction(10), Fraction(15), Fraction(20), 5
    )
    assert result.source == "dcf_fcf" and to_cents(result.value) == to_cents(expected)
    assert result.inputs["fcf_per_share"] == 2.5
    assert result.inputs["cash_flow_as_of"] == "2025-09-30"


def test_free_cash_flow_is_preferred_to_operating_cash_flow_minus_capex() -> None:
    both = TrailingCashFlow(
        free_cash_flow=900.0, operating_cash_flow=1500.0, capital_expenditure=-400.0
    )
    assert fcf_per_share(both, 100) == 9.0


@pytest.mark.parametrize("capex", [-400.0, 400.0])
def test_without_free_cash_flow_capex_is_an_outflow_whatever_its_sign(capex: float) -> None:
    cash_flow = TrailingCashFlow(operating_cash_flow=1500.0, capital_expenditure=capex)
    assert fcf_per_share(cash_flow, 100) == 11.0


@pytest.mark.parametrize(
    ("quote", "cash_flow", "reason"),
    [
        (SHARES, None, "no cash-flow data"),
        (
            SHARES,
            TrailingCashFlow(operating_cash_flow=10.0),
            "no free cash flow in the cash-flow data",
        ),
        (
            SHARES,
            TrailingCashFlow(capital_expenditure=-3.0),
            "no free cash flow in the cash-flow data",
        ),
        (EQUITY, TrailingCashFlow(free_cash_flow=1e9), "no sharesOutstanding in the quote"),
        (
            {**SHARES, "sharesOutstanding": 0},
            TrailingCashFlow(free_cash_flow=1e9),
            "no sharesOutstanding in the quote",
        ),
        (
            {**SHARES, "financialCurrency": "TWD"},
            TrailingCashFlow(free_cash_flow=1e9),
            "cash flow in TWD, price in USD",
        ),
        (SHARES, TrailingCashFlow(free_cash_flow=-2e8), "E <= 0"),
        (SHARES, TrailingCashFlow(operating_cash_flow=1e8, capital_expenditure=-3e8), "E <= 0"),
        (
            {"quoteType": "MUTUALFUND", "sharesOutstanding": 1e6},
            TrailingCashFlow(free_cash_flow=1e9),
            "not an equity (MUTUALFUND)",
        ),
    ],
)
def test_fcf_method_is_not_available_with_a_reason(
    quote: dict, cash_flow: TrailingCashFlow | None, reason: str
) -> None:
    result = intrinsic_value_for(quote, FCF, cash_flow=cash_flow)
    assert (result.value, result.source, result.reason) == (None, None, reason)
    assert result.method == "fcf"


def test_the_eps_method_does_not_read_the_cash_flow() -> None:
    quote = {**SHARES, "epsTrailingTwelveMonths": 3.0}
    result = intrinsic_value_for(quote, cash_flow=TrailingCashFlow(free_cash_flow=-1e12))
    assert result.source == "dcf_eps" and "fcf_per_share" not in result.inputs


@pytest.mark.parametrize(
    ("price", "value", "text"),
    [
        (88.0, 100.0, "12 % below value"),
        (108.0, 100.0, "8 % above value"),
        (87.6, 100.0, "12 % below value"),
        (99.6, 100.0, "at value"),
        (100.0, 100.0, "at value"),
        (250.0, 100.0, "150 % above value"),
        (50.0, None, None),
    ],
)
def test_price_against_value(price: float, value: float | None, text: str | None) -> None:
    assert price_vs_value(price, value) == text


def test_pe_at_a_strike() -> None:
    assert pe_at(90.0, 6.0) == 15.0
    assert pe_at(90.0, 0.0) is None
    assert pe_at(90.0, -2.0) is None
    assert pe_at(90.0, None) is None


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("growth_pct", -100, "DCF growth must be in (-100, 100], got -100"),
        ("growth_pct", math.inf, "DCF growth must be in (-100, 100], got inf"),
        ("growth_pct", "10", "DCF growth must be a number, got '10'"),
        ("discount_pct", -1, "DCF discount rate must be in [0, 100], got -1"),
        ("discount_pct", math.nan, "DCF discount rate must be a number, got nan"),
        ("terminal_multiple", -0.5, "DCF terminal multiple must be >= 0, got -0.5"),
        ("terminal_multiple", math.inf, "DCF terminal multiple must be a finite number, got inf"),
        ("years", 0, "DCF years must be in [1, 50], got 0"),
        ("years", 2.5, "DCF years must be a whole number, got 2.5"),
        ("years", True, "DCF years must be a whole number, got True"),
        ("method", "dividends", "valuation method must be one of eps, fcf, got 'dividends'"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(
    name: str, bad: object, message: str
) -> None:
    problem = dcf_param_problem(name, bad)
    assert problem and message.endswith(f" {problem}")
    with pytest.raises(InputError) as refused:
        DcfParams(**{name: bad})
    assert str(refused.value) == message
