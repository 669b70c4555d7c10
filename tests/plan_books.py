"""Generated books for the plan's property tests, and the oracles they are checked
against: manage rules and rolls worked out in exact fractions, the put allocation by
trying every subset. Written apart from core.plan and core.rolls."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction

from hypothesis import strategies as st

from wheelscan.core.call_criteria import CallCriteria
from wheelscan.core.earnings import NextEarnings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.plan import Plan, build_plan
from wheelscan.core.plan_inputs import PlanRules, QuotedOption
from wheelscan.core.positions import Position, Positions, ShortOption
from wheelscan.core.short_marks import ShortQuote

TODAY = date(2026, 1, 21)
AS_OF = datetime(2026, 1, 21, 15, 0, tzinfo=NEW_YORK)


def occ(symbol: str, kind: str, expiration: date, strike: float) -> str:
    flag = "P" if kind == "put" else "C"
    return f"{symbol}{expiration:%y%m%d}{flag}{round(strike * 1000):08d}"


def quoted(
    symbol: str,
    kind: str,
    expiration: date,
    strike: float,
    bid: float,
    ask: float | None = None,
    annualized: float | None = None,
) -> QuotedOption:
    return QuotedOption(
        symbol=symbol,
        contract=occ(symbol, kind, expiration, strike),
        kind=kind,  # type: ignore[arg-type]
        expiration=expiration,
        strike=strike,
        bid=bid,
        ask=bid + 0.10 if ask is None else ask,
        dte=(expiration - TODAY).days,
        annualized_pct=annualized,
    )


SYMBOLS = ("AA", "BB", "CC")
STRIKES = st.integers(20, 80).map(lambda half: half / 2)  # 10.0 … 40.0 by 0.5
PRICES = st.integers(1, 400).map(lambda cents: cents / 100)
SPREADS = st.integers(0, 50).map(lambda cents: cents / 100)
KINDS = st.sampled_from(("put", "call"))


@dataclass(frozen=True)
class Book:
    positions: Positions
    quotes: dict[str, ShortQuote]
    rolls: list[QuotedOption]
    calls: list[QuotedOption]
    puts: list[QuotedOption]
    cash: float | None
    rules: PlanRules
    call_min_strike: str


@st.composite
def quoted_options(draw: st.DrawFn, kind: st.SearchStrategy[str], most: int) -> list[QuotedOption]:
    options: dict[str, QuotedOption] = {}
    for _ in range(draw(st.integers(0, most))):
        symbol, which = draw(st.sampled_from(SYMBOLS)), draw(kind)
        expiration = TODAY + timedelta(days=draw(st.integers(1, 70)))
        bid = draw(PRICES)
        ask = draw(st.one_of(st.none(), SPREADS.map(lambda s, b=bid: round(b + s, 2))))
        annualized = float(draw(st.integers(5, 60)))
        option = quoted(symbol, which, expiration, draw(STRIKES), bid, ask, annualized)
        if ask is None:
            option = replace(option, ask=None)  # an answer without an ask
        options.setdefault(option.contract, option)
    return list(options.values())


@st.composite
def positions_and_quotes(
    draw: st.DrawFn, take_profit_pct: float
) -> tuple[Positions, dict[str, ShortQuote]]:
    by_symbol, quotes = {}, {}
    for symbol in SYMBOLS:
        shares = draw(st.sampled_from((0, 0, 100, 200, 300)))
        basis = draw(STRIKES) if shares else None
        premium = float(draw(st.integers(0, 20))) * 50 if shares else 0.0
        calls_left, shorts = shares // 100, {}
        for _ in range(draw(st.integers(0, 3))):
            kind, quantity = draw(KINDS), draw(st.integers(1, 2))
            if kind == "call":
                if calls_left < quantity:
                    continue
                calls_left -= quantity
            expiration = TODAY + timedelta(days=draw(st.integers(-2, 30)))
            strike = draw(STRIKES)
            contract = occ(symbol, kind, expiration, strike)
            if contract in shorts:
                continue
            open_price = draw(PRICES)
            shorts[contract] = ShortOption(
                contract, symbol, kind, strike, expiration, quantity, open_price * 100 * quantity
            )
            if draw(st.integers(0, 3)) == 0:
                continue  # no answer quotes it
            # Now and then an ask right at the take-profit line.
            at_line = round(open_price * (1 - take_profit_pct / 100), 2)
            ask = draw(st.one_of(PRICES, st.just(at_line).filter(lambda a: a > 0)))
            earnings = draw(st.one_of(st.none(), st.integers(0, 40)))
            quotes[contract] = ShortQuote(
                max(round(ask - draw(SPREADS), 2), 0.0),
                ask,
                draw(STRIKES),
                AS_OF,
                None if earnings is None else NextEarnings(TODAY + timedelta(days=earnings), False),
            )
        ordered = tuple(sorted(shorts.values(), key=lambda s: (s.expiration, s.contract)))
        by_symbol[symbol] = Position(symbol, shares, basis, premium, 0.0, ordered)
    return Positions(by_symbol), quotes


@st.composite
def rolls_near(
    draw: st.DrawFn, positions: Positions, quotes: dict[str, ShortQuote]
) -> list[QuotedOption]:
    """Contracts close to each quoted short: its symbol, mostly its type, expirations around
    its own, strikes a few steps either side, bids a few cents either side of its ask."""
    options: dict[str, QuotedOption] = {}
    for short in positions.shorts:
        quote = quotes.get(short.contract)
        if quote is None:
            continue
        for _ in range(draw(st.integers(0, 12))):
            kind = short.kind if draw(st.integers(0, 5)) else draw(KINDS)
            later = draw(st.sampled_from((-1, 0, 1, 7, 7, 14, 21, None)))
            if later is None:
                later = draw(st.integers(-3, 40))
            expiration = short.expiration + timedelta(days=later)
            # Mostly the way the rules allow (a put down, a call up), now and then the other.
            steps = draw(st.integers(0, 6)) * (1 if draw(st.integers(0, 4)) else -1)
            strike = short.strike + (steps if short.kind == "call" else -steps) / 2
            credit = draw(st.one_of(st.sampled_from((0, 0, 1)), st.integers(-10, 60)))
            bid = round(quote.ask + credit / 100, 2)
            if (expiration - TODAY).days < 1 or strike <= 0 or bid <= 0:
                continue
            option = quoted(short.symbol, kind, expiration, strike, bid)
            options.setdefault(option.contract, option)
    return list(options.values())


@st.composite
def books(draw: st.DrawFn) -> Book:
    rules = PlanRules(
        take_profit_pct=float(draw(st.sampled_from((25, 50, 75, 100)))),
        max_ticker_pct=float(draw(st.integers(1, 100))),
        roll_max_dte=draw(st.one_of(st.just(45), st.integers(10, 60))),
        expiring_days=draw(st.integers(0, 7)),
        max_rolls=draw(st.integers(0, 4)),
    )
    positions, quotes = draw(positions_and_quotes(rules.take_profit_pct))
    rolls = {o.contract: o for o in draw(quoted_options(KINDS, 6))}
    for option in draw(rolls_near(positions, quotes)):
        rolls.setdefault(option.contract, option)
    puts = draw(quoted_options(st.just("put"), 8))
    # Cash at random, or just around what some of the puts need beside the open ones.
    some = draw(st.lists(st.sampled_from(puts), unique=True)) if puts else []
    tight = positions.put_collateral + sum(o.strike * 100 for o in some)
    cash = draw(
        st.one_of(
            st.none(),
            st.integers(0, 1000).map(lambda h: h * 100.0),
            st.integers(-1, 1).map(lambda step, t=tight: max(0.0, t + step * 50)),
        )
    )
    return Book(
        positions,
        quotes,
        list(rolls.values()),
        draw(quoted_options(st.just("call"), 6)),
        puts,
        cash,
        rules,
        draw(st.sampled_from(("adjusted", "basis", "none"))),
    )


def plan_of(book: Book) -> Plan:
    return build_plan(
        book.positions,
        as_of=AS_OF,
        short_quotes=book.quotes,
        roll_options=book.rolls,
        call_candidates=book.calls,
        put_candidates=book.puts,
        cash=book.cash,
        rules=book.rules,
        call_criteria=CallCriteria(min_strike=book.call_min_strike),
    )


def exact(value: float) -> Fraction:
    return Fraction(value).limit_denominator(10_000)


def floor_of(position: Position, policy: str) -> Fraction | None:
    """The call floor worked out exactly: basis − cycle premium / shares."""
    if policy == "none" or position.basis is None:
        return None
    basis = exact(position.basis)
    if policy == "basis":
        return basis
    return basis - exact(position.cycle_premium) / position.shares


def closing_ask(quote: ShortQuote | None) -> Fraction | None:
    if quote is None or quote.ask is None or quote.ask <= 0 or quote.bid > quote.ask:
        return None
    return exact(quote.ask)


def expected_rules(short: ShortOption, quote: ShortQuote | None, rules: PlanRules) -> list[str]:
    """Which manage rules fire, worked out in exact fractions."""
    fired = []
    ask = closing_ask(quote)
    if ask is not None:
        premium = exact(short.open_premium)
        if (premium - ask * 100 * short.quantity) * 100 >= exact(rules.take_profit_pct) * premium:
            fired.append("take_profit")
    if quote is not None:
        spot, strike = quote.spot, short.strike
        if (spot < strike) if short.kind == "put" else (spot > strike):
            fired.append("itm")
        earnings = quote.next_earnings
        if earnings is not None and earnings.date <= short.expiration:
            fired.append("spans_earnings")
    if (short.expiration - TODAY).days <= rules.expiring_days:
        fired.append("expiring")
    return fired


def feasible_rolls(book: Book, short: ShortOption) -> dict[str, Fraction]:
    """Every contract `short` may roll into, with its annualized net credit (exact)."""
    ask = closing_ask(book.quotes.get(short.contract))
    floor = floor_of(book.positions.get(short.symbol), book.call_min_strike)
    found = {}
    for o in book.rolls:
        if (o.symbol, o.kind) != (short.symbol, short.kind) or ask is None:
            continue
        if not (o.expiration > short.expiration and 1 <= o.dte <= book.rules.roll_max_dte):
            continue
        if o.ask is not None and o.ask < o.bid:
            continue
        strike = exact(o.strike)
        if short.kind == "put" and strike > exact(short.strike):
            continue
        if short.kind == "call" and (
            strike < exact(short.strike) or (floor is not None and strike < floor)
        ):
            continue
        net = exact(o.bid) - ask
        if net > 0:
            found[o.contract] = net / strike * 365 / o.dte * 100
    return found


def ranked(options: list[QuotedOption]) -> list[QuotedOption]:
    return sorted(options, key=lambda o: (-o.annualized_pct, o.expiration, o.symbol, o.contract))


def oracle_allocation(book: Book) -> list[str]:
    """The rank-wise first feasible set of new puts, by trying every subset.

    The feasible sets are closed under taking subsets, so the set the plan's rule
    builds (each put, in rank order, taken when it still fits) is the one whose
    membership vector in rank order is lexicographically greatest.
    """
    if book.cash is None:
        return []
    cash = Fraction(book.cash)
    free = cash - sum(exact(s.collateral) for s in book.positions.shorts)
    cap = cash * exact(book.rules.max_ticker_pct) / 100
    held: dict[str, Fraction] = {}
    for short in book.positions.shorts:
        held[short.symbol] = held.get(short.symbol, Fraction(0)) + exact(short.collateral)
    order = ranked(book.puts)

    def feasible(members: tuple[int, ...]) -> bool:
        picked = [order[i] for i in members]
        symbols = [o.symbol for o in picked]
        if len(set(symbols)) < len(symbols):
            return False
        if picked and sum(exact(o.strike) * 100 for o in picked) > free:
            return False
        return all(held.get(o.symbol, 0) + exact(o.strike) * 100 <= cap for o in picked)

    subsets = (
        members
        for size in range(len(order) + 1)
        for members in itertools.combinations(range(len(order)), size)
        if feasible(members)
    )
    best = max(subsets, key=lambda members: [i in members for i in range(len(order))])
    return [order[i].contract for i in best]
