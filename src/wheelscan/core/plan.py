"""The plan (SPEC 10): one ordered to-do list from the ledger and the latest answers. Pure.

`build_plan` lists, in this order:

1. open shorts to manage, each followed by its rolls (`core.rolls`);
2. covered calls for uncovered shares: per symbol with at least 100 uncovered
   shares, its best call candidate (highest annualized static return) at or
   above the call floor (CallCriteria.min_strike), uncovered shares // 100
   contracts; symbols best first;
3. new puts that fit the cash, one contract each, best annualized return first:
   at most one per ticker, a ticker's put collateral (its open short puts
   included) at most max_ticker_pct of `cash`, and the collateral allocated never
   above free cash (cash − collateral of open short puts). Each candidate is
   taken in rank order when it fits what is left; without `cash` there are none.

Ties in rank go to the earlier expiration, then symbol and contract, so the same
inputs always give the same plan. Nothing here requests or reads anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wheelscan.core.actions import (
    ACTION_KINDS,
    COVERED_CALL,
    NEW_PUT,
    SELL,
    Action,
    Leg,
    Reason,
    limit_ticket,
)
from wheelscan.core.call_criteria import CallCriteria, strike_floor
from wheelscan.core.cash import free_cash
from wheelscan.core.errors import InputError
from wheelscan.core.ledger import MULTIPLIER
from wheelscan.core.plan_inputs import PlanRules, QuotedOption
from wheelscan.core.positions import Position, Positions
from wheelscan.core.rolls import manage_actions
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.core.short_marks import ShortQuote

UNCOVERED_SHARES = "uncovered_shares"
FITS_FREE_CASH = "fits_free_cash"


def _money(value: float) -> float:
    return round(float(value), 2)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def best_first(option: QuotedOption) -> tuple[Any, ...]:
    """Rank of a new position: highest annualized figure first (unknown last), then the
    earlier expiration, symbol, contract."""
    annualized = option.annualized_pct
    known = annualized is not None and math.isfinite(annualized)
    return (
        -(annualized or 0.0) if known else math.inf,
        option.expiration,
        option.symbol,
        option.contract,
    )


def _sellable(option: QuotedOption) -> bool:
    return (
        math.isfinite(option.bid)
        and option.bid > 0
        and option.dte >= 1
        and math.isfinite(option.strike)
        and option.strike > 0
    )


def _sell_ticket(option: QuotedOption, quantity: int) -> str:
    leg = Leg(SELL, quantity, option.symbol, option.expiration, option.strike, option.kind)
    return limit_ticket(leg, option.bid)


def _sale_figures(option: QuotedOption, quantity: int) -> dict[str, Any]:
    return {
        "dte": option.dte,
        "bid": option.bid,
        "ask": option.ask,
        "annualized_pct": _pct(option.annualized_pct),
        "delta": option.delta,
        "spans_earnings": option.spans_earnings,
        "premium_total": _money(option.bid * MULTIPLIER * quantity),
    }


def _sale(option: QuotedOption, quantity: int, kind: str, why: Reason, **figures: Any) -> Action:
    return Action(
        kind,
        option.symbol,
        option.contract,
        option.kind,
        option.expiration,
        option.strike,
        quantity,
        (why,),
        _sell_ticket(option, quantity),
        {**_sale_figures(option, quantity), **figures},
    )


def covered_call_actions(
    positions: Positions, candidates: Iterable[QuotedOption], min_strike: str
) -> list[Action]:
    """One covered call per symbol with ≥ 100 uncovered shares, symbols best first;
    `min_strike` is the call floor's policy (CallCriteria.min_strike)."""
    by_symbol: dict[str, list[QuotedOption]] = {}
    for option in candidates:
        if option.kind == "call" and _sellable(option):
            by_symbol.setdefault(option.symbol, []).append(option)
    picks: list[tuple[QuotedOption, Position, float | None]] = []
    for position in positions:
        if position.uncovered_shares < MULTIPLIER:
            continue
        floor = strike_floor(position, min_strike)
        eligible = [
            o for o in by_symbol.get(position.symbol, ()) if floor is None or o.strike >= floor
        ]
        if eligible:
            picks.append((min(eligible, key=best_first), position, floor))
    picks.sort(key=lambda pick: best_first(pick[0]))
    actions = []
    for option, position, floor in picks:
        contracts = position.uncovered_shares // MULTIPLIER
        why = Reason(
            UNCOVERED_SHARES,
            {
                "uncovered_shares": position.uncovered_shares,
                "contracts": contracts,
                "min_strike_policy": min_strike,
                "min_strike": None if floor is None else round(floor, 4),
            },
        )
        actions.append(
            _sale(
                option,
                contracts,
                COVERED_CALL,
                why,
                basis=None if position.basis is None else round(position.basis, 4),
                adjusted_basis=(
                    None if position.adjusted_basis is None else round(position.adjusted_basis, 4)
                ),
            )
        )
    return actions


@dataclass(frozen=True)
class CashBudget:
    """The cash new puts may use (core.cash: free = cash − open put collateral), what was
    `allocated` to them, and `ticker_cap`, the most one ticker's put collateral may be.
    Without `cash` all but the open collateral are None."""

    cash: float | None
    put_collateral: float
    free_cash: float | None = None
    allocated: float = 0.0
    ticker_cap: float | None = None

    @property
    def left(self) -> float | None:
        free = self.free_cash
        return None if free is None else _money(free - self.allocated)

    def to_json(self) -> dict[str, Any]:
        return {
            "cash": self.cash,
            "put_collateral": _money(self.put_collateral),
            "free_cash": self.free_cash,
            "allocated": _money(self.allocated),
            "left": self.left,
            "ticker_cap": self.ticker_cap,
        }


def ticker_cap(cash: float, rules: PlanRules) -> float:
    """The most one ticker's put collateral may be: max_ticker_pct of `cash`."""
    return _money(cash * rules.max_ticker_pct / 100)


def allocate_puts(
    candidates: Iterable[QuotedOption],
    free: float,
    cap: float,
    ticker_collateral: Mapping[str, float],
) -> list[tuple[QuotedOption, dict[str, Any]]]:
    """The new puts, best first, each with the cash figures it was taken on.

    `free` is the free cash; `ticker_collateral` the collateral each ticker's open short
    puts already hold; `cap` the most a ticker's collateral may be. Amounts are compared
    in cents.
    """
    ranked = sorted((o for o in candidates if o.kind == "put" and _sellable(o)), key=best_first)
    taken: list[tuple[QuotedOption, dict[str, Any]]] = []
    tickers: set[str] = set()
    allocated = 0.0
    for option in ranked:
        collateral = _money(option.collateral)
        exposure = _money(ticker_collateral.get(option.symbol, 0.0) + collateral)
        after = _money(allocated + collateral)
        if option.symbol in tickers or exposure > cap or after > free:
            continue
        tickers.add(option.symbol)
        figures = {
            "collateral": collateral,
            "free_cash_before": _money(free - allocated),
            "free_cash_after": _money(free - after),
            "ticker_collateral": exposure,
            "ticker_cap": cap,
        }
        taken.append((option, figures))
        allocated = after
    return taken


def new_put_actions(
    positions: Positions,
    candidates: Iterable[QuotedOption],
    cash: float | None,
    rules: PlanRules,
) -> tuple[list[Action], CashBudget]:
    """The new puts that fit `cash`, and the budget they were allocated from."""
    free = free_cash(cash, positions)
    if cash is None or free is None:
        return [], CashBudget(cash, positions.put_collateral)
    held: dict[str, float] = {}
    for short in positions.shorts:
        held[short.symbol] = held.get(short.symbol, 0.0) + short.collateral
    cap = ticker_cap(cash, rules)
    taken = allocate_puts(candidates, free, cap, held)
    actions = [
        _sale(option, 1, NEW_PUT, Reason(FITS_FREE_CASH, figures), collateral=figures["collateral"])
        for option, figures in taken
    ]
    allocated = _money(sum(figures["collateral"] for _, figures in taken))
    return actions, CashBudget(cash, positions.put_collateral, free, allocated, cap)


@dataclass(frozen=True)
class Plan:
    """The to-do list and what it was built on (`plan --json`)."""

    as_of: datetime
    rules: PlanRules
    call_min_strike: str
    budget: CashBudget
    actions: tuple[Action, ...]

    def of_kind(self, kind: str) -> list[Action]:
        return [action for action in self.actions if action.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "rules": self.rules.to_json(),
            "call_min_strike": self.call_min_strike,
            "cash": self.budget.to_json(),
            "counts": {kind: len(self.of_kind(kind)) for kind in ACTION_KINDS},
            "actions": [action.to_json() for action in self.actions],
        }


def build_plan(
    positions: Positions,
    *,
    as_of: datetime,
    short_quotes: Mapping[str, ShortQuote] | None = None,
    roll_options: Iterable[QuotedOption] = (),
    call_candidates: Iterable[QuotedOption] = (),
    put_candidates: Iterable[QuotedOption] = (),
    cash: float | None = None,
    rules: PlanRules | None = None,
    call_criteria: CallCriteria | None = None,
) -> Plan:
    """The plan for `positions` as of `as_of` (the latest answers' time).

    `short_quotes`: contract → quote of each open short (core.short_marks);
    `roll_options`: every quoted contract of the shorts' symbols the rolls may use;
    `call_candidates` / `put_candidates`: the covered-call and put candidates of the
    latest results; `cash`: config `cash` (None: no new puts); `call_criteria`: its
    `min_strike` is the floor of covered calls and call rolls. InputError when `cash`
    is negative or not a number.
    """
    if cash is not None and not (math.isfinite(cash) and cash >= 0):
        raise InputError(f"cash must be a number of dollars ≥ 0, got {cash!r}")
    rules = rules or PlanRules()
    min_strike = (call_criteria or CallCriteria()).min_strike
    manage = manage_actions(positions, short_quotes or {}, roll_options, rules, as_of, min_strike)
    calls = covered_call_actions(positions, call_candidates, min_strike)
    puts, budget = new_put_actions(positions, put_candidates, cash, rules)
    return Plan(as_of, rules, min_strike, budget, (*manage, *calls, *puts))
