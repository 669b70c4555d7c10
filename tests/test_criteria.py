"""SPEC 3 v2: every rejection reason, their order, the candidates' figures, the ranges.

Chains are written as Yahoo's raw rows and read by the product's own parser; the
expected outcome comes from tests/criteria_oracle.py, a row-by-row reading of the
rules over the same rows with the bisection oracle of tests/oracle.py.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import criteria_oracle
import oracle
from criteria_oracle import Rules
from wheelscan.core.criteria import (
    Evaluation,
    TickerChains,
    evaluate_chains,
    evaluate_tickers,
    sort_candidates,
)
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import (
    CRITERIA,
    EARNINGS_POLICIES,
    REJECTION_REASONS,
    Criteria,
    CriteriaError,
    top_rejections,
)
from wheelscan.yahoo.rows import chain_from_answer, underlying_from_quote

AS_OF = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)  # a Monday
SPOT = 100.0
EXPIRY = date(2026, 12, 4)  # DTE 11
QUOTE = {
    "regularMarketPrice": SPOT,
    "regularMarketTime": int(AS_OF.timestamp()),
    "quoteType": "EQUITY",
    "currency": "USD",
    "marketState": "REGULAR",
}
GOOD = {
    "strike": 93.0,
    "bid": 0.9,
    "ask": 0.95,
    "impliedVolatility": 0.30,
    "openInterest": 500,
    "volume": 10,
    "contractSize": "REGULAR",
    "currency": "USD",
}


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 16, tzinfo=NEW_YORK).timestamp())


def put(root: str = "X", day: date = EXPIRY, **fields: Any) -> dict[str, Any]:
    row = {**GOOD, **fields}
    strike = row["strike"] if isinstance(row["strike"], float) and row["strike"] > 0 else 1.0
    tail = f"{day:%y%m%d}P{round(strike * 1000) % 10**8:08d}"
    return {"contractSymbol": f"{root}{tail}", **row}


def call_for(row: dict[str, Any]) -> dict[str, Any]:
    symbol = row["contractSymbol"]
    return {**row, "contractSymbol": f"{symbol[:-9]}C{symbol[-8:]}"}


Answer = tuple[str, list[Any], list[Any]]


def run(
    answers: list[Answer], criteria: Criteria, quote: dict[str, Any] | None = None, value=None
) -> Evaluation:
    quote = quote or QUOTE
    underlying = underlying_from_quote("X", quote)
    chains = [chain_from_answer({"calls": c, "puts": p}, day) for day, c, p in answers]
    return evaluate_chains(chains, underlying, criteria, value)


def expected(
    answers: list[Answer], rules: Rules, quote: dict[str, Any] | None = None
) -> criteria_oracle.Outcome:
    return criteria_oracle.evaluate("X", quote or QUOTE, answers, rules)


def reasons_of(rows: list[dict[str, Any]], criteria: Criteria | None = None, **quote: Any) -> dict:
    days = {row["contractSymbol"][-15:-9] for row in rows}
    answers = [
        (
            datetime.strptime(d, "%y%m%d").date().isoformat(),
            [],
            [r for r in rows if r["contractSymbol"][-15:-9] == d],
        )
        for d in sorted(days)
    ]
    rejected = run(answers, criteria or Criteria(), {**QUOTE, **quote}).rejected
    return {reason: count for reason, count in rejected.items() if count}


def test_criteria_v2_defaults() -> None:
    """SPEC 3's numbers, written out here apart from Criteria's table."""
    defaults = Criteria()
    assert (defaults.min_dte, defaults.max_dte, defaults.min_bid) == (1, 28, 0.05)
    assert (defaults.min_return_pct, defaults.max_delta) == (30.0, 0.20)
    assert (defaults.min_open_interest, defaults.max_spread_pct) == (10, 40.0)
    assert (defaults.risk_free_rate_pct, defaults.earnings) == (4.0, "exclude")
    assert REJECTION_REASONS == criteria_oracle.REASONS


def test_a_good_put_is_a_candidate_with_every_figure_from_its_own_mid() -> None:
    rows = [put(), put(strike=100.0, bid=3.0, ask=3.1)]
    calls = [call_for(put(strike=100.0, bid=3.4, ask=3.5))]
    answers = [(EXPIRY.isoformat(), calls, rows)]
    evaluation = run(answers, Criteria())
    outcome = expected(answers, Rules())
    criteria_oracle.assert_matches(evaluation, outcome)
    (c,) = evaluation.candidates
    assert c.iv != pytest.approx(GOOD["impliedVolatility"], abs=1e-3), "σ is solved, not Yahoo's"
    assert c.iv_yahoo == 0.30
    # The forward is the parity forward of the one strike both sides quote.
    (summary,) = evaluation.expirations
    years = oracle.years_between(AS_OF.timestamp(), EXPIRY.isoformat())
    assert summary.forward_source == "parity"
    assert summary.forward == pytest.approx(100.0 + math.exp(0.04 * years) * 0.4, abs=1e-12)
    assert summary.expected_move == pytest.approx(3.45 + 3.05)
    assert (summary.dte, c.dte) == (11, 11)
    assert c.cushion_pct == pytest.approx((SPOT - (93 - 0.9)) / SPOT * 100)
    assert c.spans_earnings is False and c.badge == "n/a"


def test_without_a_quoted_pair_the_forward_is_the_carry_with_the_quote_yield() -> None:
    answers = [(EXPIRY.isoformat(), [], [put()])]
    quote = {**QUOTE, "trailingAnnualDividendYield": 0.03}
    evaluation = run(answers, Criteria(), quote)
    criteria_oracle.assert_matches(evaluation, expected(answers, Rules(), quote))
    years = oracle.years_between(AS_OF.timestamp(), EXPIRY.isoformat())
    (summary,) = evaluation.expirations
    assert summary.forward_source == "carry" and summary.atm_iv is None
    assert summary.forward == pytest.approx(SPOT * math.exp((0.04 - 0.03) * years), rel=1e-12)


PAST = AS_OF.date() - timedelta(days=3)


@pytest.mark.parametrize(
    ("row", "criteria", "reason"),
    [
        (put(day=PAST), Criteria(min_dte=0), "dte"),
        (put(day=date(2027, 1, 15)), Criteria(), "dte"),
        (put(root="X1"), Criteria(), "nonstandard"),
        (put(contractSize="MINI"), Criteria(), "nonstandard"),
        (put(currency="EUR"), Criteria(), "nonstandard"),
        (put(strike=None), Criteria(), "bad_quote"),
        (put(strike=0.0), Criteria(), "bad_quote"),
        (put(ask=0.8), Criteria(), "bad_quote"),
        (put(ask=0.0), Criteria(), "bad_quote"),
        (put(ask=None), Criteria(), "bad_quote"),
        (put(strike=100.0), Criteria(), "itm"),
        (put(strike=105.0), Criteria(), "itm"),
        (put(bid=0.0), Criteria(), "no_bid"),
        (put(bid=None), Criteria(), "no_bid"),
        (put(bid=0.04, ask=0.06), Criteria(), "low_bid"),
        (put(bid=39.9, ask=40.1), Criteria(), "no_iv"),
        (put(bid=0.5, ask=0.55), Criteria(), "return"),
        (put(strike=99.0, bid=2.0, ask=2.1), Criteria(), "delta"),
        (put(openInterest=5), Criteria(), "oi"),
        (put(openInterest=None), Criteria(), "oi"),
        (put(bid=0.9, ask=1.4), Criteria(max_delta=1), "spread"),
        (put(bid=0.9, ask=1.0), Criteria(max_spread_pct=10), "spread"),
    ],
)
def test_each_rejection_reason(row: dict[str, Any], criteria: Criteria, reason: str) -> None:
    assert reasons_of([row], criteria) == {reason: 1}


def test_a_put_whose_yahoo_iv_is_junk_gets_its_delta_from_its_mid() -> None:
    """Yahoo's 1e-5 (or 0.0625) would make delta ≈ 0; the mid's own σ does not."""
    rows = [put(strike=98.0, bid=1.9, ask=2.0, impliedVolatility=iv) for iv in (1e-5, 0.0625)]
    evaluation = run([(EXPIRY.isoformat(), [], rows[:1])], Criteria(max_delta=1))
    (c,) = evaluation.candidates
    assert c.iv_yahoo == 1e-5 and c.iv > 0.1 and c.delta < -0.2
    assert reasons_of(rows[1:]) == {"delta": 1}


def test_earnings_policy_exclude_flag_ignore() -> None:
    spans = {**QUOTE, "earningsTimestamp": _epoch(date(2026, 12, 1))}
    later = {**QUOTE, "earningsTimestamp": _epoch(date(2026, 12, 8))}
    answers = [(EXPIRY.isoformat(), [], [put()])]
    assert run(answers, Criteria(), spans).rejected["earnings"] == 1
    for policy in ("flag", "ignore"):
        (c,) = run(answers, Criteria(earnings=policy), spans).candidates
        assert c.spans_earnings is True
    (c,) = run(answers, Criteria(), later).candidates
    assert c.spans_earnings is False
    on_expiry = {**QUOTE, "earningsTimestamp": _epoch(EXPIRY)}
    assert run(answers, Criteria(), on_expiry).rejected["earnings"] == 1


def test_first_reason_wins_in_spec_order() -> None:
    # ITM, no bid and a wide spread at once, but adjusted: only `nonstandard` counts.
    broken = put(root="X1", strike=120.0, bid=0.0, ask=9.0)
    assert reasons_of([broken]) == {"nonstandard": 1}
    # No bid and ask 0: `bad_quote` comes before `itm` and `no_bid`.
    assert reasons_of([put(strike=120.0, bid=0.0, ask=0.0)]) == {"bad_quote": 1}
    # An expired contract is `dte`, never `delta` or `no_iv`.
    assert reasons_of([put(day=PAST, bid=39.9, ask=40.1)], Criteria(min_dte=0)) == {"dte": 1}


def test_a_contract_past_settlement_today_is_dte_even_with_min_dte_zero() -> None:
    evening = AS_OF.replace(hour=17)
    quote = {**QUOTE, "regularMarketTime": int(evening.timestamp())}
    assert reasons_of([put(day=AS_OF.date())], Criteria(min_dte=0), **quote) == {"dte": 1}
    assert reasons_of([put(day=AS_OF.date(), bid=0.1, ask=0.11)], Criteria(min_dte=0)) != {"dte": 1}


def test_an_index_settles_its_own_root_at_the_open_and_its_weeklies_at_the_close() -> None:
    """^SPX on a third Friday: SPX (09:30) and SPXW (16:00), each with its own forward."""
    day = date(2026, 12, 18)
    quote = {**QUOTE, "quoteType": "INDEX", "regularMarketPrice": 6000.0}
    rows, calls = [], []
    for root, shift in (("SPX", 0.0), ("SPXW", 0.4)):
        for strike, bid in ((5900.0, 20.0), (6000.0, 60.0)):
            row = put(root=root, day=day, strike=strike, bid=bid + shift, ask=bid + shift + 0.5)
            rows.append(row)
        calls.append(call_for(put(root=root, day=day, strike=6000.0, bid=71.0, ask=71.5)))
    answers = [(day.isoformat(), calls, rows)]
    criteria = Criteria(min_return_pct=0, max_delta=1, min_open_interest=0)
    underlying = underlying_from_quote("^SPX", quote)
    chain = chain_from_answer({"calls": calls, "puts": rows}, day)
    evaluation = evaluate_chains([chain], underlying, criteria)
    outcome = criteria_oracle.evaluate(
        "^SPX", quote, answers, Rules(min_return_pct=0, max_delta=1, min_open_interest=0)
    )
    criteria_oracle.assert_matches(evaluation, outcome)
    by_root = {c.contract[:-15]: c for c in evaluation.candidates}
    assert set(by_root) == {"SPX", "SPXW"}
    assert by_root["SPX"].iv != pytest.approx(by_root["SPXW"].iv, abs=1e-4)


def test_every_contract_is_counted_once_and_top_rejections_name_the_most_frequent() -> None:
    rows = [put(), put(strike=110.0), put(strike=111.0), put(bid=0.0), put(bid=39.9, ask=40.1)]
    evaluation = run([(EXPIRY.isoformat(), [], rows)], Criteria())
    assert list(evaluation.rejected) == list(REJECTION_REASONS)
    assert len(evaluation.candidates) + sum(evaluation.rejected.values()) == len(rows)
    assert top_rejections(evaluation.rejected) == [
        {"reason": "itm", "count": 2},
        {"reason": "no_bid", "count": 1},  # a tie goes to the reason tried first
    ]
    assert top_rejections(dict.fromkeys(REJECTION_REASONS, 0)) == []


def test_counts_that_are_not_numbers_are_left_out_not_crashed_on() -> None:
    rows = [put(openInterest=math.inf, volume=-math.inf), put(strike=92.0, volume=None)]
    evaluation = run([(EXPIRY.isoformat(), [], rows)], Criteria(min_open_interest=0))
    assert [(c.open_interest, c.volume) for c in evaluation.candidates] == [
        (None, None),
        (500, None),
    ]


def test_badges_follow_intrinsic_value() -> None:
    rows = [put(), put(strike=94.0, bid=1.1, ask=1.2)]
    loose = Criteria(min_return_pct=10, max_delta=0.5)
    evaluation = run([(EXPIRY.isoformat(), [], rows)], loose, value=93.0)
    assert {c.strike: c.badge for c in evaluation.candidates} == {93.0: "good", 94.0: "high"}


def test_candidates_sort_by_expiration_then_strike_descending() -> None:
    loose = Criteria(min_return_pct=10, max_delta=0.5)
    later = date(2026, 12, 11)
    rows = [put(), put(strike=96.0, bid=1.5, ask=1.6)]
    evaluation = run(
        [(EXPIRY.isoformat(), [], rows), (later.isoformat(), [], [put(day=later)])], loose
    )
    ordered = sort_candidates(reversed(evaluation.candidates))
    assert [(c.expiration, c.strike) for c in ordered] == [
        ("2026-12-04", 96.0),
        ("2026-12-04", 93.0),
        ("2026-12-11", 93.0),
    ]


# Generated chains: raw rows, mostly plausible, some broken the ways Yahoo's are.
FAULTS = st.sampled_from(
    [
        {"strike": None},
        {"strike": math.nan},
        {"strike": -5.0},
        {"bid": None},
        {"bid": 0.0},
        {"bid": -1.0},
        {"bid": 0.03},
        {"ask": None},
        {"ask": 0.0},
        {"ask": math.inf},
        {"ask": 0.01},
        {"bid": 39.9, "ask": 40.2},
        {"impliedVolatility": 1e-5},
        {"impliedVolatility": None},
        {"openInterest": None},
        {"openInterest": 5},
        {"openInterest": math.inf},
        {"root": "X1"},
        {"contractSize": "MINI"},
        {"contractSize": None},
        {"currency": "EUR"},
        {"currency": None},
    ]
)
ROWS = st.builds(
    lambda strike, bid, spread, iv, oi, faults: {
        "strike": strike,
        "bid": bid,
        "ask": round(bid + spread, 2),
        "impliedVolatility": iv,
        "openInterest": oi,
        **{k: v for fault in faults for k, v in fault.items()},
    },
    st.sampled_from([85.0, 88.0, 90.0, 92.0, 93.0, 95.0, 97.0, 98.0, 99.0, 100.0, 101.0, 103.0]),
    st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.2, 1.6, 2.0, 2.6, 3.5]),
    st.sampled_from([0.01, 0.02, 0.05, 0.1, 0.3, 0.6]),
    st.sampled_from([0.0625, 0.25, 0.3, 0.45]),
    st.sampled_from([0, 10, 120, 2500]),
    st.lists(FAULTS, max_size=2).filter(lambda f: len(f) < 2 or f[0] != f[1]),
)
WINDOW = [date(2026, 11, 27), date(2026, 12, 1), EXPIRY, date(2026, 12, 11)]
DAYS = st.sampled_from([*WINDOW * 4, PAST, AS_OF.date(), date(2026, 12, 24)])
RULES = st.builds(
    Rules,
    min_dte=st.sampled_from([0, 1, 1]),
    max_dte=st.sampled_from([7, 28, 28]),
    min_bid=st.sampled_from([0.0, 0.05]),
    min_return_pct=st.sampled_from([0.0, 10.0, 30.0]),
    max_delta=st.sampled_from([0.2, 0.3, 0.5, 1.0]),
    min_open_interest=st.sampled_from([0, 10]),
    max_spread_pct=st.sampled_from([40.0, math.inf]),
    rate_pct=st.sampled_from([0.0, 4.0]),
    earnings=st.sampled_from(EARNINGS_POLICIES),
)


def _criteria(rules: Rules) -> Criteria:
    return Criteria(
        min_dte=rules.min_dte,
        max_dte=rules.max_dte,
        min_bid=rules.min_bid,
        min_return_pct=rules.min_return_pct,
        max_delta=rules.max_delta,
        min_open_interest=int(rules.min_open_interest),
        max_spread_pct=rules.max_spread_pct,
        risk_free_rate_pct=rules.rate_pct,
        earnings=rules.earnings,
    )


@st.composite
def answers(draw: st.DrawFn, max_rows: int = 6) -> tuple[list[Answer], dict[str, Any]]:
    days = draw(st.lists(DAYS, min_size=1, max_size=3, unique=True))
    result = []
    for day in days:
        fields = draw(st.lists(ROWS, max_size=max_rows))
        puts = [put(day=day, **f) for f in fields]
        for serial, row in enumerate(puts):  # one symbol per row, whatever its strike
            row["contractSymbol"] = f"{row['contractSymbol'][:-8]}{serial:08d}"
        copied = draw(st.lists(st.sampled_from(puts), max_size=3)) if puts else []
        calls = [call_for(row) for row in copied]
        if puts and draw(st.booleans()):  # calls priced by parity around a forward near spot
            calls += [
                call_for(put(day=day, strike=k, bid=round(b, 2), ask=round(b + 0.1, 2)))
                for k, b in ((95.0, 5.6), (98.0, 2.6), (100.0, 1.5), (101.0, 1.1))
            ]
        result.append((day.isoformat(), calls, puts))
    earnings = draw(st.sampled_from([None, date(2026, 11, 20), date(2026, 11, 30)]))
    quote = dict(QUOTE)
    if earnings is not None:
        quote["earningsTimestamp"] = _epoch(earnings)
    return result, quote


@settings(max_examples=100)
@given(answers(), RULES)
def test_generated_chains_match_the_oracle_row_loop(
    drawn: tuple[list[Answer], dict[str, Any]], rules: Rules
) -> None:
    chains, quote = drawn
    evaluation = run(chains, _criteria(rules), quote)
    criteria_oracle.assert_matches(evaluation, expected(chains, rules, quote), tolerance=1e-8)
    fetched = sum(len(puts) for _, _, puts in chains)
    assert len(evaluation.candidates) + sum(evaluation.rejected.values()) == fetched


@settings(max_examples=200)
@given(DAYS, ROWS, RULES)
def test_each_rejected_contract_has_exactly_the_first_reason_that_applies(
    day: date, fields: dict[str, Any], rules: Rules
) -> None:
    row = put(day=day, **fields)
    answers = [(day.isoformat(), [], [row])]
    rejected = run(answers, _criteria(rules)).rejected
    reason = expected(answers, rules).reasons.get(row["contractSymbol"])
    assert sum(rejected.values()) == (0 if reason is None else 1)
    if reason is not None:
        assert rejected[reason] == 1


@given(st.lists(st.tuples(st.lists(ROWS, max_size=5), DAYS), max_size=4), RULES)
def test_expirations_evaluated_together_match_each_evaluated_alone(
    windows: list[tuple[list[dict[str, Any]], date]], rules: Rules
) -> None:
    """The engine prices a ticker's expirations as one array; nothing may leak across them."""
    chains = [(day.isoformat(), [], [put(day=day, **f) for f in rows]) for rows, day in windows]
    criteria = _criteria(rules)
    together = run(chains, criteria, value=96.0)
    alone = [run([chain], criteria, value=96.0) for chain in chains]
    assert together.candidates == [c for part in alone for c in part.candidates]
    assert together.expirations == [e for part in alone for e in part.expirations]
    assert together.rejected == {
        reason: sum(part.rejected[reason] for part in alone) for reason in REJECTION_REASONS
    }


QUOTES = st.sampled_from(
    [
        QUOTE,
        {**QUOTE, "regularMarketPrice": 97.5, "trailingAnnualDividendYield": 0.04},
        {**QUOTE, "quoteType": "INDEX"},
        {**QUOTE, "earningsTimestamp": _epoch(date(2026, 11, 30))},
    ]
)


@given(st.lists(st.tuples(answers(max_rows=4), QUOTES, st.sampled_from([None, 95.0])), max_size=4))
@settings(max_examples=100)
def test_tickers_evaluated_together_match_each_evaluated_alone(
    tickers: list[tuple[tuple[list[Answer], dict[str, Any]], dict[str, Any], float | None]],
) -> None:
    """A scan may judge many tickers' answers in one call; each keeps its own quote."""
    criteria = Criteria(min_return_pct=10, max_delta=0.5, min_open_interest=0)
    batch = [
        TickerChains(
            [chain_from_answer({"calls": c, "puts": p}, day) for day, c, p in answers],
            underlying_from_quote("X", quote),
            value,
        )
        for (answers, _), quote, value in tickers
    ]
    together = evaluate_tickers(batch, criteria)
    alone = [evaluate_tickers([ticker], criteria)[0] for ticker in batch]
    assert together == alone


# The SPEC 3 ranges, written out apart from Criteria's table: (field, accepted, refused).
RANGES = [
    ("min_dte", [0, 1, 28], [-1]),
    ("max_dte", [1, 10**6], [0, -3]),
    ("min_bid", [0.0, 0.05, 100.0], [-0.01, math.inf, math.nan]),
    ("min_return_pct", [0.0, 30.0, 1e6], [-0.01, math.inf, math.nan]),
    ("max_delta", [1e-9, 0.2, 1.0], [0.0, -0.1, 1.0000001, math.inf, math.nan]),
    ("min_open_interest", [0, 10**30], [-1]),
    ("max_spread_pct", [0.0, 40.0, math.inf], [-0.1, -math.inf, math.nan]),
    ("risk_free_rate_pct", [-5.0, 0.0, 50.0], [-5.01, 50.01, math.inf, math.nan]),
    ("earnings", ["exclude", "flag", "ignore"], ["Exclude", "", "skip"]),
]


@pytest.mark.parametrize(("name", "accepted", "refused"), RANGES)
def test_each_criterion_accepts_its_range_and_refuses_naming_itself(
    name: str, accepted: list[Any], refused: list[Any]
) -> None:
    wide_dte = {"min_dte": 0} if name == "max_dte" else {"max_dte": 10**6}
    for value in accepted:
        assert getattr(Criteria(**{**wide_dte, name: value}), name) == value
    for value in refused:
        with pytest.raises(CriteriaError) as refusal:
            Criteria(**{**wide_dte, name: value})
        assert refusal.value.keys == (name,)
        assert "must be" in str(refusal.value) and "got" in str(refusal.value)
    assert {row[0] for row in RANGES} == set(CRITERIA)


def test_criteria_round_trip_through_json() -> None:
    criteria = Criteria(max_spread_pct=math.inf, earnings="flag", min_bid=0.1)
    data = criteria.to_json()
    assert data["max_spread_pct"] is None and data["earnings"] == "flag"
    assert Criteria.from_json(data) == criteria


def test_a_min_dte_above_the_max_names_both() -> None:
    with pytest.raises(CriteriaError, match="min DTE 10 is above max DTE 5") as refusal:
        Criteria(min_dte=10, max_dte=5)
    assert set(refusal.value.keys) == {"min_dte", "max_dte"}


def test_weeks_set_max_dte() -> None:
    assert Criteria.from_weeks(2).max_dte == 14
    with pytest.raises(CriteriaError, match="weeks must be >= 1, got 0"):
        Criteria.from_weeks(0)
