"""Open shorts to manage, and the rolls each can take for a net credit (SPEC 10). Pure.

A short is managed when any of these fires, each reported with its figures:
`take_profit` (profit at the ask ≥ take_profit_pct of the premium received),
`itm`, `spans_earnings` (the next earnings fall on or before its expiration) and
`expiring` (DTE ≤ expiring_days; a short past its date, still in the ledger,
counts too). ITM and earnings are the marks of `core.short_marks`; a short no
answer quotes can only be `expiring`, and gets no ticket and no rolls.

A roll closes the short at its ask and sells a contract of the same symbol and
type at its bid: a later expiration at most roll_max_dte days out, a put's strike
at or below the current one, a call's at or above it and at or above the call
floor (the call criteria's `min_strike`), and a net credit (new bid − current ask) above 0.
Rolls rank by annualized net credit: net / new strike × 365 / max(new DTE, 1) × 100.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from wheelscan.core.actions import (
    BUY,
    MANAGE,
    ROLL,
    SELL,
    Action,
    Leg,
    Reason,
    combo_ticket,
    limit_ticket,
)
from wheelscan.core.call_criteria import strike_floor
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.ledger import MULTIPLIER
from wheelscan.core.plan_inputs import PlanRules, QuotedOption
from wheelscan.core.positions import Positions, ShortOption
from wheelscan.core.short_marks import ShortQuote, mark_short

TAKE_PROFIT = "take_profit"
IN_THE_MONEY = "itm"
SPANS_EARNINGS = "spans_earnings"
EXPIRING = "expiring"
ROLL_FOR_CREDIT = "roll_for_credit"
MANAGE_RULES = (TAKE_PROFIT, IN_THE_MONEY, SPANS_EARNINGS, EXPIRING)
"""The order a managed short's reasons are listed in."""

# A profit computed as 49.999999999 from cents-quoted prices is 50 %.
_PCT_SLACK = 1e-9
# Quotes come in cents (at finest half-cents): a net credit is compared at 1e-6.
_PRICE_DIGITS = 6


def _pct(value: float) -> float:
    return round(value, 2)


def _money(value: float) -> float:
    return round(float(value), 2)


def _per_share(value: float) -> float:
    return round(value, 4)


def usable_ask(quote: ShortQuote) -> float | None:
    """The cost to close per share: a finite ask above 0, not below the bid; else None."""
    ask, bid = quote.ask, quote.bid
    if ask is None or not math.isfinite(ask) or ask <= 0:
        return None
    if bid is not None and bid > ask:
        return None
    return ask


@dataclass(frozen=True)
class ShortNow:
    """An open short as the plan sees it: its DTE and, when quoted, its cost to close,
    whether it is in the money and whether it spans the next earnings."""

    short: ShortOption
    dte: int
    close_ask: float | None = None
    spot: float | None = None
    itm: bool | None = None
    spans_earnings: bool | None = None
    earnings_date: date | None = None

    @property
    def profit(self) -> float | None:
        """Dollars made if closed now at the ask (open premium − cost to close)."""
        if self.close_ask is None:
            return None
        return self.short.open_premium - self.close_ask * MULTIPLIER * self.short.quantity

    @property
    def profit_pct(self) -> float | None:
        """The profit as a % of the most the short can make (its open premium)."""
        profit = self.profit
        if profit is None or self.short.open_premium <= 0:
            return None
        return profit / self.short.open_premium * 100


def short_now(short: ShortOption, quote: ShortQuote | None, as_of: datetime) -> ShortNow:
    """`short` marked by its quote; without one only its DTE (from `as_of`) is known."""
    if quote is None:
        return ShortNow(short, days_to_expiry(as_of, short.expiration))
    mark = mark_short(short, quote)
    earnings = quote.next_earnings.date if quote.next_earnings else None
    return ShortNow(
        short, mark.dte, usable_ask(quote), quote.spot, mark.itm, mark.spans_earnings, earnings
    )


def manage_reasons(now: ShortNow, rules: PlanRules) -> list[Reason]:
    """Every rule that fires on `now`, in MANAGE_RULES order (empty: leave it alone)."""
    short, reasons = now.short, []
    profit_pct = now.profit_pct
    if profit_pct is not None and profit_pct >= rules.take_profit_pct - _PCT_SLACK:
        figures = {
            "profit_pct": _pct(profit_pct),
            "threshold_pct": rules.take_profit_pct,
            "profit": _money(now.profit or 0.0),
            "close_ask": now.close_ask,
        }
        reasons.append(Reason(TAKE_PROFIT, figures))
    if now.itm:
        reasons.append(Reason(IN_THE_MONEY, {"spot": now.spot, "strike": short.strike}))
    if now.spans_earnings and now.earnings_date is not None:
        figures = {
            "earnings_date": now.earnings_date.isoformat(),
            "expiration": short.expiration.isoformat(),
        }
        reasons.append(Reason(SPANS_EARNINGS, figures))
    if now.dte <= rules.expiring_days:
        reasons.append(Reason(EXPIRING, {"dte": now.dte, "within_days": rules.expiring_days}))
    return reasons


@dataclass(frozen=True)
class RollChoice:
    """A contract a short can roll into, and what the roll brings per share."""

    option: QuotedOption
    net_credit: float
    annualized_net_credit_pct: float


def _quoted_bid(option: QuotedOption) -> bool:
    """A strike and a bid above 0 and, when an ask is given, not below the bid."""
    bid, ask = option.bid, option.ask
    if not (math.isfinite(option.strike) and option.strike > 0):
        return False
    if not math.isfinite(bid) or bid <= 0:
        return False
    return ask is None or (math.isfinite(ask) and ask >= bid)


def roll_choices(
    short: ShortOption,
    close_ask: float,
    call_floor: float | None,
    options: Iterable[QuotedOption],
    rules: PlanRules,
) -> list[RollChoice]:
    """The best `rules.max_rolls` rolls of `short` among `options`, best first (ties:
    larger net credit, earlier expiration, contract)."""
    choices: dict[str, RollChoice] = {}
    for option in options:
        if option.contract in choices or option.symbol != short.symbol:
            continue
        if option.kind != short.kind or option.expiration <= short.expiration:
            continue
        if not 1 <= option.dte <= rules.roll_max_dte or not _quoted_bid(option):
            continue
        if short.kind == "put" and option.strike > short.strike:
            continue
        if short.kind == "call" and (
            option.strike < short.strike or (call_floor is not None and option.strike < call_floor)
        ):
            continue
        net = round(option.bid - close_ask, _PRICE_DIGITS)
        if net <= 0:
            continue
        annualized = net / option.strike * 365 / max(option.dte, 1) * 100
        choices[option.contract] = RollChoice(option, net, annualized)
    ranked = sorted(
        choices.values(),
        key=lambda c: (
            -c.annualized_net_credit_pct,
            -c.net_credit,
            c.option.expiration,
            c.option.contract,
        ),
    )
    return ranked[: rules.max_rolls]


def _leg(side: str, option: ShortOption | QuotedOption, quantity: int) -> Leg:
    return Leg(side, quantity, option.symbol, option.expiration, option.strike, option.kind)


def _manage_action(now: ShortNow, reasons: Sequence[Reason]) -> Action:
    short = now.short
    ticket = None
    if now.close_ask is not None:
        ticket = limit_ticket(_leg(BUY, short, short.quantity), now.close_ask)
    profit, profit_pct = now.profit, now.profit_pct
    figures = {
        "dte": now.dte,
        "open_price": _per_share(short.open_price),
        "open_premium": _money(short.open_premium),
        "close_ask": now.close_ask,
        "profit": None if profit is None else _money(profit),
        "profit_pct": None if profit_pct is None else _pct(profit_pct),
        "spot": now.spot,
        "itm": now.itm,
        "spans_earnings": now.spans_earnings,
        "collateral": _money(short.collateral),
    }
    return Action(
        MANAGE,
        short.symbol,
        short.contract,
        short.kind,
        short.expiration,
        short.strike,
        short.quantity,
        tuple(reasons),
        ticket,
        figures,
    )


def _roll_action(short: ShortOption, close_ask: float, rank: int, choice: RollChoice) -> Action:
    new, quantity = choice.option, short.quantity
    ticket = combo_ticket(_leg(BUY, short, quantity), _leg(SELL, new, quantity), choice.net_credit)
    why = Reason(
        ROLL_FOR_CREDIT,
        {
            "rank": rank,
            "net_credit": _per_share(choice.net_credit),
            "annualized_net_credit_pct": _pct(choice.annualized_net_credit_pct),
        },
    )
    figures = {
        "dte": new.dte,
        "close_ask": close_ask,
        "bid": new.bid,
        "ask": new.ask,
        "net_credit": _per_share(choice.net_credit),
        "net_credit_total": _money(choice.net_credit * MULTIPLIER * quantity),
        "annualized_net_credit_pct": _pct(choice.annualized_net_credit_pct),
        "delta": new.delta,
        "spans_earnings": new.spans_earnings,
        "collateral_change": _money((new.collateral - short.collateral / quantity) * quantity),
    }
    return Action(
        ROLL,
        short.symbol,
        new.contract,
        new.kind,
        new.expiration,
        new.strike,
        quantity,
        (why,),
        ticket,
        figures,
        replaces=short.contract,
    )


def manage_actions(
    positions: Positions,
    short_quotes: Mapping[str, ShortQuote],
    roll_options: Iterable[QuotedOption],
    rules: PlanRules,
    as_of: datetime,
    call_min_strike: str,
) -> list[Action]:
    """Each open short a rule fires on, soonest expiry first (then symbol, contract),
    each followed by its rolls, best first; `call_min_strike` is the call floor's policy."""
    by_symbol: dict[str, list[QuotedOption]] = {}
    for option in roll_options:
        by_symbol.setdefault(option.symbol, []).append(option)
    managed = []
    for short in positions.shorts:
        now = short_now(short, short_quotes.get(short.contract), as_of)
        reasons = manage_reasons(now, rules)
        if reasons:
            managed.append((now, reasons))
    managed.sort(key=lambda item: (item[0].dte, item[0].short.symbol, item[0].short.contract))
    actions: list[Action] = []
    for now, reasons in managed:
        actions.append(_manage_action(now, reasons))
        if now.close_ask is None:
            continue
        short = now.short
        floor = strike_floor(positions.get(short.symbol), call_min_strike)
        choices = roll_choices(short, now.close_ask, floor, by_symbol.get(short.symbol, ()), rules)
        actions.extend(
            _roll_action(short, now.close_ask, rank, choice)
            for rank, choice in enumerate(choices, start=1)
        )
    return actions
