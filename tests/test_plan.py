"""The plan (core.plan, core.rolls): a hand-built morning, then properties over generated
books (tests/plan_books.py) checked against oracles written apart."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings

from plan_books import (
    AS_OF,
    TODAY,
    Book,
    books,
    exact,
    expected_rules,
    feasible_rolls,
    floor_of,
    occ,
    oracle_allocation,
    plan_of,
    quoted,
)
from wheelscan.core.call_criteria import CallCriteria
from wheelscan.core.calls import CallCandidate
from wheelscan.core.earnings import NextEarnings
from wheelscan.core.ledger import Event
from wheelscan.core.models import Candidate, CriteriaError
from wheelscan.core.plan import Plan, build_plan
from wheelscan.core.plan_inputs import PLAN_RULES, PlanRules, QuotedOption
from wheelscan.core.positions import Position, Positions, ShortOption, fold
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.core.short_marks import ShortQuote


def put_candidate(symbol: str, expiration: date, strike: float, bid: float) -> QuotedOption:
    """A put candidate with SPEC 2's annualized return, worked out here."""
    dte = (expiration - TODAY).days
    return quoted(symbol, "put", expiration, strike, bid, annualized=bid / strike * 365 / dte * 100)


def call_candidate(
    symbol: str, expiration: date, strike: float, bid: float, spot: float
) -> QuotedOption:
    """A covered-call candidate with its annualized static return (bid / S × 365 / DTE)."""
    dte = (expiration - TODAY).days
    return quoted(symbol, "call", expiration, strike, bid, annualized=bid / spot * 365 / dte * 100)


# -- the morning of the issue: 50 % profit, an ITM put, 200 assigned shares, cash for two --

FEB13, FEB20, FEB27, MAR06, MAR20 = (
    date(2026, 2, 13),
    date(2026, 2, 20),
    date(2026, 2, 27),
    date(2026, 3, 6),
    date(2026, 3, 20),
)
KO_PUT = occ("KO", "put", FEB20, 60)
PEP_PUT = occ("PEP", "put", FEB20, 150)
INTC_PUT = occ("INTC", "put", date(2026, 1, 16), 22)


def morning_ledger() -> Positions:
    return fold(
        [
            Event("sell", date(2026, 1, 2), 2, 0.50, contract=INTC_PUT),
            Event("sell", date(2026, 1, 5), 1, 1.50, contract=KO_PUT),
            Event("sell", date(2026, 1, 6), 1, 2.00, contract=PEP_PUT),
            Event("assign", date(2026, 1, 16), 2, contract=INTC_PUT),
        ]
    )


def morning_plan() -> dict:
    far = NextEarnings(date(2026, 4, 28), False)
    quotes = {
        KO_PUT: ShortQuote(0.70, 0.75, 63.0, AS_OF, far),  # 150 − 75 = 75: 50 % of max
        PEP_PUT: ShortQuote(6.00, 6.10, 145.0, AS_OF, far),  # spot below the 150 strike
    }
    rolls = [
        quoted("KO", "put", MAR06, 60, 0.70),  # 0.70 − 0.75: a debit
        quoted("PEP", "put", MAR06, 150, 7.00),  # net 0.90 over 44 days: 4.98 %
        quoted("PEP", "put", FEB27, 150, 6.60),  # net 0.50 over 37 days: 3.29 %
        quoted("PEP", "put", MAR06, 148, 6.20),  # net 0.10: 0.56 %
        quoted("PEP", "put", FEB27, 149, 6.15),  # net 0.05: 0.33 %, the fourth
        quoted("PEP", "put", MAR06, 155, 10.00),  # strike rolls up
        quoted("PEP", "put", MAR20, 150, 7.80),  # 58 DTE > 45
        quoted("PEP", "put", FEB13, 150, 6.50),  # earlier than the short
        quoted("PEP", "put", MAR06, 145, 4.20),  # a debit
        quoted("PEP", "call", MAR06, 150, 3.00),  # another type
    ]
    calls = [
        call_candidate("INTC", FEB20, 23, 0.40, 22.5),
        call_candidate("INTC", FEB20, 21, 1.60, 22.5),  # below the 21.50 adjusted basis
        call_candidate("INTC", FEB13, 21.5, 0.80, 22.5),  # at the adjusted basis: the best
        call_candidate("INTC", FEB13, 22, 0.45, 22.5),
    ]
    puts = [
        put_candidate("KO", FEB13, 57.5, 1.65),  # 45.5 %: KO would hold 11,750 > 7,500
        put_candidate("AAPL", FEB13, 240, 6.10),  # 40.3 %: 24,000 > 7,500
        put_candidate("F", FEB13, 12, 0.25),  # 33.1 %: taken, 1,200
        put_candidate("F", FEB13, 11, 0.22),  # 31.7 %: F has its put
        put_candidate("CSCO", FEB13, 55, 1.05),  # 30.3 %: taken, 5,500
        put_candidate("BAC", FEB13, 45, 0.80),  # 28.2 %: 4,500 > the 2,300 left
    ]
    plan = build_plan(
        morning_ledger(),
        as_of=AS_OF,
        short_quotes=quotes,
        roll_options=rolls,
        call_candidates=calls,
        put_candidates=puts,
        cash=30_000.0,
    )
    return json.loads(json.dumps(plan.to_json()))


def test_the_morning_plan_lists_exactly_the_expected_actions_in_order() -> None:
    document = morning_plan()
    assert document["schema"] == SCHEMA_VERSION
    summary = [(a["kind"], a["contract"], a["quantity"], a["ticket"]) for a in document["actions"]]
    assert summary == [
        ("manage", KO_PUT, 1, "BUY +1 KO 2026-02-20 60 P @ 0.75 LMT"),
        ("manage", PEP_PUT, 1, "BUY +1 PEP 2026-02-20 150 P @ 6.10 LMT"),
        (
            "roll",
            "PEP260306P00150000",
            1,
            "BUY +1 PEP 2026-02-20 150 P / SELL −1 PEP 2026-03-06 150 P @ 0.90 CREDIT LMT",
        ),
        (
            "roll",
            "PEP260227P00150000",
            1,
            "BUY +1 PEP 2026-02-20 150 P / SELL −1 PEP 2026-02-27 150 P @ 0.50 CREDIT LMT",
        ),
        (
            "roll",
            "PEP260306P00148000",
            1,
            "BUY +1 PEP 2026-02-20 150 P / SELL −1 PEP 2026-03-06 148 P @ 0.10 CREDIT LMT",
        ),
        ("covered_call", "INTC260213C00021500", 2, "SELL −2 INTC 2026-02-13 21.5 C @ 0.80 LMT"),
        ("new_put", "F260213P00012000", 1, "SELL −1 F 2026-02-13 12 P @ 0.25 LMT"),
        ("new_put", "CSCO260213P00055000", 1, "SELL −1 CSCO 2026-02-13 55 P @ 1.05 LMT"),
    ]


def test_the_morning_plan_says_why_with_its_figures() -> None:
    document = morning_plan()
    actions = document["actions"]
    assert actions[0]["why"] == [
        {
            "rule": "take_profit",
            "profit_pct": 50.0,
            "threshold_pct": 50.0,
            "profit": 75.0,
            "close_ask": 0.75,
        }
    ]
    assert actions[1]["why"] == [{"rule": "itm", "spot": 145.0, "strike": 150.0}]
    assert [a["why"][0]["rank"] for a in actions[2:5]] == [1, 2, 3]
    assert all(a["replaces"] == PEP_PUT for a in actions[2:5])
    first_roll = actions[2]["why"][0]
    assert first_roll["net_credit"] == pytest.approx(0.90)
    assert first_roll["annualized_net_credit_pct"] == pytest.approx(
        0.90 / 150 * 365 / 44 * 100, abs=0.005
    )
    call = actions[5]
    assert call["why"][0]["uncovered_shares"] == 200
    assert call["figures"]["adjusted_basis"] == pytest.approx(21.5)
    assert [a["why"][0]["free_cash_after"] for a in actions[6:]] == [7_800.0, 2_300.0]
    assert document["cash"] == {
        "cash": 30_000.0,
        "put_collateral": 21_000.0,
        "free_cash": 9_000.0,
        "allocated": 6_700.0,
        "left": 2_300.0,
        "ticker_cap": 7_500.0,
    }
    assert document["counts"] == {"manage": 2, "roll": 3, "covered_call": 1, "new_put": 2}


def test_a_short_no_answer_quotes_is_managed_only_when_expiring_and_has_no_ticket() -> None:
    soon, later = TODAY + timedelta(days=3), TODAY + timedelta(days=20)
    shorts = (
        ShortOption(occ("KO", "put", soon, 60), "KO", "put", 60.0, soon, 1, 100.0),
        ShortOption(occ("KO", "put", later, 58), "KO", "put", 58.0, later, 1, 100.0),
    )
    positions = Positions({"KO": Position("KO", shorts=shorts)})
    rolls = [quoted("KO", "put", TODAY + timedelta(days=30), 60, 5.0)]
    plan = build_plan(positions, as_of=AS_OF, roll_options=rolls)
    assert [(a.kind, a.contract, a.rules, a.ticket) for a in plan.actions] == [
        ("manage", shorts[0].contract, ("expiring",), None)
    ]
    assert plan.actions[0].why[0].figures == {"dte": 3, "within_days": 5}


def test_a_call_below_the_adjusted_basis_is_proposed_only_when_configured() -> None:
    position = Position("KO", shares=100, basis=60.0, cycle_premium=500.0)  # adjusted 55
    positions = Positions({"KO": position})
    below = call_candidate("KO", FEB20, 54, 2.50, 56.0)  # the best return, below 55
    above = call_candidate("KO", FEB20, 57, 1.00, 56.0)  # above 55, below the 60 basis

    def picked(policy: str) -> list[str]:
        plan = build_plan(
            positions,
            as_of=AS_OF,
            call_candidates=[below, above],
            call_criteria=CallCriteria(min_strike=policy),
        )
        return [a.contract for a in plan.actions]

    assert picked("adjusted") == [above.contract]
    assert picked("basis") == []
    assert picked("none") == [below.contract]


def test_plan_rules_are_checked_and_described_once() -> None:
    with pytest.raises(CriteriaError, match="take profit") as caught:
        PlanRules(take_profit_pct=0)
    assert caught.value.keys == ("take_profit_pct",)
    with pytest.raises(CriteriaError, match="unknown plan rule"):
        PlanRules.from_json({"take_profit": 50})
    rules = PlanRules(max_ticker_pct=10, max_rolls=1)
    assert PlanRules.from_json(json.loads(json.dumps(rules.to_json()))) == rules
    assert {name: rule.default for name, rule in PLAN_RULES.items()} == PlanRules().to_json()
    assert PLAN_RULES["roll_max_dte"].kind == "whole"


def test_new_puts_may_take_the_ticker_cap_and_the_free_cash_exactly() -> None:
    ko = ShortOption(occ("KO", "put", FEB20, 50), "KO", "put", 50.0, FEB20, 1, 100.0)
    zz = ShortOption(occ("ZZ", "put", FEB20, 55), "ZZ", "put", 55.0, FEB20, 1, 100.0)
    positions = Positions(
        {"KO": Position("KO", shorts=(ko,)), "ZZ": Position("ZZ", shorts=(zz,))}
    )  # 10,500 held
    puts = [
        put_candidate("AA", FEB13, 50.5, 2.00),  # 5,050 > the 5,000 cap
        put_candidate("BB", FEB13, 50, 1.50),  # 5,000: the cap exactly
        put_candidate("CC", FEB13, 45.5, 1.20),  # 4,550 > the 4,500 left
        put_candidate("DD", FEB13, 45, 1.00),  # 4,500: what is left exactly
        put_candidate("EE", FEB13, 10, 0.10),  # nothing left
    ]
    rules = PlanRules(max_ticker_pct=25)
    plan = build_plan(positions, as_of=AS_OF, put_candidates=puts, cash=20_000.0, rules=rules)
    assert [a.symbol for a in plan.actions] == ["BB", "DD"]  # cap 5,000, free 9,500
    assert plan.budget.left == 0.0
    plan = build_plan(positions, as_of=AS_OF, put_candidates=puts, cash=14_500.0, rules=rules)
    assert [a.symbol for a in plan.actions] == ["EE"]  # cap 3,625, free 4,000


def test_quoted_options_come_from_the_scan_candidates_as_they_are() -> None:
    shared = {
        "expiration": "2026-02-13",
        "dte": 23,
        "bid": 0.80,
        "ask": 0.90,
        "mid": 0.85,
        "last": None,
        "iv": 0.3,
        "iv_yahoo": None,
        "prob_otm": 0.8,
        "pop": 0.85,
        "spread_pct": 11.8,
        "open_interest": 100,
        "volume": 5,
        "spans_earnings": True,
    }
    put = Candidate.from_json(
        {
            **shared,
            "contract": "KO260213P00057500",
            "strike": 57.5,
            "delta": -0.2,
            "annualized_return_pct": 22.1,
            "otm_pct": 5.0,
            "cushion_pct": 6.0,
            "collateral": 5750.0,
            "breakeven": 56.7,
        }
    )
    call = CallCandidate.from_json(
        {
            **shared,
            "contract": "KO260213C00065000",
            "strike": 65.0,
            "delta": 0.25,
            "annualized_return_pct": 20.5,
            "if_called_return_pct": 9.0,
            "otm_pct": 4.0,
            "extrinsic": 0.85,
            "ex_dividend_before_expiry": False,
            "early_assignment_risk": False,
        }
    )
    assert QuotedOption.from_candidate("KO", put) == QuotedOption(
        "KO", put.contract, "put", FEB13, 57.5, 0.80, 0.90, 23, 22.1, -0.2, True
    )
    as_call = QuotedOption.from_candidate("KO", call)
    assert (as_call.kind, as_call.strike, as_call.annualized_pct, as_call.collateral) == (
        "call",
        65.0,
        20.5,
        0.0,
    )
    with pytest.raises(ValueError, match="not an OCC contract"):
        QuotedOption.from_candidate("KO", Candidate.from_json({**put.to_json(), "contract": "KO"}))


def test_a_negative_cash_is_refused() -> None:
    with pytest.raises(ValueError, match="cash"):
        build_plan(Positions(), as_of=AS_OF, cash=-1.0)


# -- generated books -----------------------------------------------------------------------


def check_managed_shorts_are_those_a_rule_fires_on(book: Book, plan: Plan) -> None:
    managed = {a.contract: list(a.rules) for a in plan.of_kind("manage")}
    expected = {}
    for short in book.positions.shorts:
        fired = expected_rules(short, book.quotes.get(short.contract), book.rules)
        if fired:
            expected[short.contract] = fired
    assert managed == expected
    days = [a.figures["dte"] for a in plan.of_kind("manage")]
    assert days == sorted(days)


def check_rolls_are_credits_never_roll_a_put_up_and_are_the_best_feasible(
    book: Book, plan: Plan
) -> None:
    shorts = {s.contract: s for s in book.positions.shorts}
    options = {o.contract: o for o in book.rolls}
    chosen: dict[str, list[str]] = {}
    for action in plan.of_kind("roll"):
        short, new = shorts[action.replaces], options[action.contract]
        ask = book.quotes[short.contract].ask
        assert new.bid - ask > 0, "a roll for a debit"
        assert action.quantity == short.quantity
        if short.kind == "put":
            assert new.strike <= short.strike, "a put strike rolled up"
        else:
            floor = floor_of(book.positions.get(short.symbol), book.call_min_strike)
            assert new.strike >= short.strike
            assert floor is None or exact(new.strike) >= floor, "a call below the floor"
        chosen.setdefault(short.contract, []).append(action.contract)
    managed = {a.contract for a in plan.of_kind("manage") if a.ticket is not None}
    for contract in managed:
        feasible = feasible_rolls(book, shorts[contract])
        picked = chosen.get(contract, [])
        assert len(picked) == min(book.rules.max_rolls, len(feasible))
        values = [feasible[c] for c in picked]
        assert values == sorted(values, reverse=True)
        left = [v for c, v in feasible.items() if c not in picked]
        assert not values or not left or min(values) >= max(left)
    assert set(chosen) <= managed


def check_covered_calls_cover_uncovered_shares_above_the_floor(book: Book, plan: Plan) -> None:
    calls = {a.symbol: a for a in plan.of_kind("covered_call")}
    for position in book.positions:
        floor = floor_of(position, book.call_min_strike)
        eligible = [
            o
            for o in book.calls
            if o.symbol == position.symbol and (floor is None or exact(o.strike) >= floor)
        ]
        if position.uncovered_shares < 100 or not eligible:
            assert position.symbol not in calls
            continue
        action = calls[position.symbol]
        assert action.quantity == position.uncovered_shares // 100
        assert floor is None or exact(action.strike) >= floor, "a call below the floor"
        best = max(o.annualized_pct for o in eligible)
        assert action.figures["annualized_pct"] == best


def check_new_puts_fit_the_cash_and_match_a_brute_force_oracle(book: Book, plan: Plan) -> None:
    puts = plan.of_kind("new_put")
    assert [a.contract for a in puts] == oracle_allocation(book)
    if book.cash is None:
        assert puts == []
        return
    free = book.cash - book.positions.put_collateral
    assert not puts or sum(a.strike * 100 for a in puts) <= free + 1e-6
    symbols = [a.symbol for a in puts]
    assert len(symbols) == len(set(symbols)), "two new puts on one ticker"
    for action in puts:
        held = sum(s.collateral for s in book.positions.get(action.symbol).shorts)
        assert held + action.strike * 100 <= book.cash * book.rules.max_ticker_pct / 100 + 1e-6
    assert plan.budget.allocated == pytest.approx(sum(a.strike * 100 for a in puts))


TICKET = re.compile(
    r"(BUY \+|SELL −)(\d+) ([A-Z]+) (\d{4}-\d{2}-\d{2}) ([\d.]+) ([PC]) @ (\d+\.\d{2}) LMT"
)


def check_every_ticket_reads_back_as_its_action(book: Book, plan: Plan) -> None:
    json.dumps(plan.to_json())
    for action in plan.actions:
        if action.ticket is None:
            assert action.kind == "manage" and book.quotes.get(action.contract) is None
            continue
        legs = action.ticket.split(" / ")
        opened = legs[-1] if action.kind == "roll" else action.ticket
        if action.kind == "roll":
            opened = opened.replace(" CREDIT LMT", " LMT")
        match = TICKET.fullmatch(opened)
        assert match, action.ticket
        side, quantity, symbol, expiration, strike, flag, price = match.groups()
        assert side == ("BUY +" if action.kind == "manage" else "SELL −")
        assert (int(quantity), symbol) == (action.quantity, action.symbol)
        assert (date.fromisoformat(expiration), float(strike)) == (
            action.expiration,
            action.strike,
        )
        assert flag == ("P" if action.option_type == "put" else "C")
        if action.kind == "roll":
            assert float(price) == pytest.approx(action.figures["net_credit"], abs=0.005)
            assert legs[0].startswith(f"BUY +{action.quantity} {action.symbol} ")


@settings(max_examples=200, deadline=None)
@given(books())
def test_generated_books_are_managed_and_rolled_by_the_rules(book: Book) -> None:
    plan = plan_of(book)
    check_managed_shorts_are_those_a_rule_fires_on(book, plan)
    check_rolls_are_credits_never_roll_a_put_up_and_are_the_best_feasible(book, plan)
    check_every_ticket_reads_back_as_its_action(book, plan)


@settings(max_examples=200, deadline=None)
@given(books())
def test_generated_books_sell_calls_and_puts_by_the_rules(book: Book) -> None:
    plan = plan_of(book)
    check_covered_calls_cover_uncovered_shares_above_the_floor(book, plan)
    check_new_puts_fit_the_cash_and_match_a_brute_force_oracle(book, plan)
