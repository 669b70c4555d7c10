"""The positions fold (core.positions, core.ledger): hand-computed cycles, refusals, and
properties over generated ledgers checked against a cash-flow oracle written apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheelscan.core.earnings import NextEarnings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.ledger import Event, EventError
from wheelscan.core.positions import LedgerError, fold, refusal
from wheelscan.core.short_marks import ShortQuote, mark_short, mark_shorts

D0 = date(2026, 1, 5)
KO_PUT = "KO260220P00060000"
KO_CALL = "KO260320C00062000"


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def shares(n: int, symbol: str, quantity: int, price: float) -> Event:
    return Event("shares", day(n), quantity, price, symbol)


def option(
    kind: str, n: int, contract: str, quantity: int = 1, price: float | None = None
) -> Event:
    return Event(kind, day(n), quantity, price, contract=contract)


# -- hand-computed cycles ---------------------------------------------------------------


def test_a_whole_wheel_cycle() -> None:
    events = [
        option("sell", 0, KO_PUT, 1, 1.50),  # +150
        option("assign", 46, KO_PUT),  # 100 shares at 60
        option("sell", 49, KO_CALL, 1, 1.00),  # +100
        option("called_away", 74, KO_CALL),  # 100 shares at 62: +200 on the shares
    ]
    after_put = fold(events[:1]).get("KO")
    assert (after_put.shares, after_put.basis, after_put.realized_pl) == (0, None, 0.0)
    assert [(s.contract, s.kind, s.strike, s.quantity) for s in after_put.shorts] == [
        (KO_PUT, "put", 60.0, 1)
    ]
    assert after_put.shorts[0].open_premium == pytest.approx(150.0)
    assert after_put.shorts[0].collateral == pytest.approx(6000.0)

    assigned = fold(events[:2]).get("KO")
    assert (assigned.shares, assigned.basis, assigned.shorts) == (100, 60.0, ())
    assert assigned.adjusted_basis == pytest.approx(58.50)
    assert assigned.realized_pl == pytest.approx(150.0)

    covered = fold(events[:3]).get("KO")
    assert covered.adjusted_basis == pytest.approx(57.50)
    assert (covered.covered_shares, covered.uncovered_shares) == (100, 0)

    done = fold(events)
    ko = done.get("KO")
    assert (ko.shares, ko.basis, ko.adjusted_basis, ko.shorts) == (0, None, None, ())
    assert ko.realized_pl == pytest.approx(450.0)
    assert done.realized_pl == pytest.approx(450.0)


def test_average_cost_and_a_partial_share_sale() -> None:
    events = [shares(0, "KO", 100, 50.0), shares(1, "KO", 50, 56.0), shares(2, "KO", -30, 60.0)]
    ko = fold(events).get("KO")
    assert ko.shares == 120
    assert ko.basis == pytest.approx(52.0)  # (5000 + 2800) / 150, unchanged by the sale
    assert ko.realized_pl == pytest.approx(240.0)  # 30 × (60 − 52)


def test_a_call_bought_back_counts_net_premium() -> None:
    events = [
        shares(0, "KO", 100, 60.0),
        option("sell", 1, KO_CALL, 1, 2.00),
        option("buy_to_close", 5, KO_CALL, 1, 0.50),
    ]
    ko = fold(events).get("KO")
    assert ko.realized_pl == pytest.approx(150.0)
    assert ko.cycle_premium == pytest.approx(150.0)
    assert ko.adjusted_basis == pytest.approx(58.50)
    assert ko.uncovered_shares == 100


def test_a_put_that_expired_before_holding_is_not_in_the_adjusted_basis() -> None:
    first, second = "KO260116P00055000", "KO260220P00050000"
    events = [
        option("sell", 0, first, 1, 1.00),
        option("expire", 11, first),
        option("sell", 12, second, 1, 2.00),
        option("assign", 46, second),
    ]
    ko = fold(events).get("KO")
    assert (ko.shares, ko.basis) == (100, 50.0)
    assert ko.adjusted_basis == pytest.approx(48.0)  # the assigned put only
    assert ko.realized_pl == pytest.approx(300.0)  # both premiums are realized


def test_a_put_sold_while_holding_and_assigned_counts_once() -> None:
    put = "KO260220P00045000"
    events = [shares(0, "KO", 100, 50.0), option("sell", 1, put, 1, 1.00)]
    holding = fold(events).get("KO")
    assert holding.adjusted_basis == pytest.approx(49.0)
    ko = fold([*events, option("assign", 46, put)]).get("KO")
    assert ko.shares == 200
    assert ko.basis == pytest.approx(47.5)  # (5000 + 4500) / 200
    assert ko.adjusted_basis == pytest.approx(47.0)  # 47.5 − 100 / 200


def test_shares_back_to_zero_start_a_new_cycle() -> None:
    call, put = "KO260220C00055000", "KO260320P00045000"
    events = [
        shares(0, "KO", 100, 50.0),
        option("sell", 1, call, 1, 1.00),
        option("sell", 2, put, 1, 1.00),
        option("expire", 46, call),
        shares(47, "KO", -100, 52.0),  # zero: the cycle's premium is history
    ]
    ko = fold(events).get("KO")
    assert (ko.shares, ko.cycle_premium) == (0, 0.0)
    assert ko.realized_pl == pytest.approx(100 + 200)  # the call and the shares
    rebought = fold([*events, shares(48, "KO", 100, 40.0)]).get("KO")
    assert rebought.adjusted_basis == pytest.approx(40.0)  # the open put was sold last cycle
    assigned = fold([*events, option("assign", 74, put)]).get("KO")
    assert assigned.adjusted_basis == pytest.approx(44.0)  # ... but counts once assigned


def test_lots_of_one_contract_close_first_in_first_out() -> None:
    events = [
        shares(0, "KO", 200, 60.0),
        option("sell", 1, KO_CALL, 1, 2.00),
        option("sell", 2, KO_CALL, 1, 1.00),
        option("buy_to_close", 3, KO_CALL, 1, 0.50),
    ]
    ko = fold(events).get("KO")
    assert ko.realized_pl == pytest.approx(150.0)  # the 2.00 lot closed
    (short,) = ko.shorts
    assert (short.quantity, short.open_price) == (1, pytest.approx(1.00))
    assert ko.adjusted_basis == pytest.approx(60.0 - (200 + 100 - 50) / 200)


def test_events_fold_in_date_order() -> None:
    events = [option("assign", 46, KO_PUT), option("sell", 0, KO_PUT, 1, 1.50)]
    assert fold(events).get("KO").shares == 100


def test_an_underlying_whose_root_differs() -> None:
    events = [
        Event("shares", D0, 100, 400.0, "BRK-B"),
        Event("sell", D0, 1, 3.0, "BRK-B", "BRKB260220C00420000"),
    ]
    state = fold(events)
    assert state.get("BRK-B").covered_shares == 100
    with pytest.raises(LedgerError, match="uncovered shares of BRKB"):
        fold([events[0], Event("sell", D0, 1, 3.0, contract="BRKB260220C00420000")])


def test_held_symbols_expirations_and_collateral() -> None:
    pep_put = "PEP260116P00140000"
    state = fold(
        [
            shares(0, "KO", 100, 60.0),
            option("sell", 0, KO_CALL, 1, 1.00),
            option("sell", 0, pep_put, 2, 2.50),
            option("sell", 1, KO_PUT, 1, 1.50),
        ]
    )
    assert state.held_symbols() == ["KO"]
    assert state.short_expirations() == {
        "KO": [date(2026, 2, 20), date(2026, 3, 20)],
        "PEP": [date(2026, 1, 16)],
    }
    assert state.put_collateral == pytest.approx(2 * 14000 + 6000)
    assert state.totals_json()["open_premium"] == pytest.approx(100 + 500 + 150)


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "needle"),
    [
        ([option("sell", 0, KO_CALL, 1, 1.0)], "need 100 uncovered shares of KO; 0"),
        (
            [shares(0, "KO", 150, 60.0), option("sell", 1, KO_CALL, 2, 1.0)],
            "2 covered call(s) need 200 uncovered shares of KO; 150",
        ),
        (
            [
                shares(0, "KO", 150, 60.0),
                option("sell", 1, KO_CALL, 1, 1.0),
                shares(2, "KO", -60, 61.0),
            ],
            "only 50 are held uncovered (100 cover short calls)",
        ),
        ([shares(0, "KO", -1, 60.0)], "sells 1 shares of KO but only 0"),
        ([option("buy_to_close", 0, KO_CALL, 1, 0.5)], "is not an open short option"),
        ([option("sell", 0, KO_PUT, 1, 1.5), option("expire", 46, KO_PUT, 2)], "only 1 contract"),
        ([option("called_away", 0, KO_CALL)], "is not an open short option"),
    ],
)
def test_the_state_refuses(events: list[Event], needle: str) -> None:
    with pytest.raises(LedgerError) as caught:
        fold(events)
    assert needle in str(caught.value)
    assert caught.value.index == len(events) - 1


def test_refusal_answers_without_raising() -> None:
    state = fold([shares(0, "KO", 100, 60.0)])
    assert refusal(state, option("sell", 1, KO_CALL, 1, 1.0)) is None
    assert "200 uncovered" in (refusal(state, option("sell", 1, KO_CALL, 2, 1.0)) or "")


@pytest.mark.parametrize(
    ("fields", "field_name", "needle"),
    [
        ({"kind": "buy", "contract": KO_PUT}, "kind", "unknown event kind"),
        ({"contract": "KO26P60"}, "contract", "needs an OCC contract"),
        ({"quantity": 0}, "quantity", "above 0"),
        ({"quantity": True}, "quantity", "whole number"),
        ({"quantity": 1.5}, "quantity", "whole number"),
        ({"price": -1.0}, "price", "≥ 0"),
        ({"price": float("nan")}, "price", "≥ 0"),
        ({"price": 0}, "price", "above 0"),
        ({"price": None}, "price", "needs a price"),
        ({"symbol": "PEP"}, "symbol", "not an option on PEP"),
        ({"symbol": 5}, "symbol", "symbol must be a string"),
        ({"date": date(2026, 2, 21)}, "date", "expired on 2026-02-20"),
        ({"date": datetime(2026, 1, 5, 10)}, "date", "must be a date"),
        ({"kind": "expire", "price": None}, "date", "expires on 2026-02-20, after 2026-01-05"),
        ({"kind": "assign", "contract": KO_CALL, "price": None}, None, "called_away"),
        ({"kind": "called_away", "price": None}, None, "is a put"),
        ({"kind": "assign", "price": 59.0}, "price", "happens at 60"),
        ({"kind": "shares", "symbol": "KO", "quantity": 0}, "contract", "symbol, not a contract"),
    ],
)
def test_an_event_checks_itself(
    fields: dict[str, Any], field_name: str | None, needle: str
) -> None:
    values: dict[str, Any] = {"kind": "sell", "date": D0, "quantity": 1, "price": 1.5}
    values["contract"] = KO_PUT
    values.update(fields)
    with pytest.raises(EventError) as caught:
        Event(**values)
    assert needle in str(caught.value)
    assert caught.value.field == field_name


def test_implied_prices_and_the_yahoo_form_of_a_contract() -> None:
    assert option("expire", 46, KO_PUT).price == 0.0
    assert option("assign", 46, KO_PUT).price == 60.0
    padded = Event("sell", D0, 1, 1.5, contract="ko    260220p00060000")
    assert (padded.contract, padded.symbol) == (KO_PUT, "KO")
    assert Event("shares", D0, 10, 5, " ko ").symbol == "KO"


# -- marks ------------------------------------------------------------------------------


def test_a_short_marked_to_a_quote() -> None:
    state = fold([option("sell", 0, KO_PUT, 2, 1.50)])
    as_of = datetime(2026, 2, 10, 15, 0, tzinfo=NEW_YORK)
    quote = ShortQuote(0.40, 0.60, 58.0, as_of, NextEarnings(date(2026, 2, 17), False))
    marks = mark_shorts(state, {KO_PUT: quote, "PEP260116P00140000": quote})
    assert list(marks) == [KO_PUT]
    mark = marks[KO_PUT]
    assert mark.mid == pytest.approx(0.50)
    assert mark.pl == pytest.approx(300 - 100)  # 2 contracts: 300 received, 100 to buy back
    assert mark.pl_pct_of_max == pytest.approx(200 / 300 * 100)
    assert (mark.itm, mark.dte, mark.spans_earnings) == (True, 10, True)
    (short,) = state.shorts
    one_sided = mark_short(short, ShortQuote(None, 0.6, 61.0, as_of))
    assert (one_sided.mid, one_sided.pl, one_sided.itm, one_sided.spans_earnings) == (
        None,
        None,
        False,
        False,
    )


# -- properties over generated ledgers --------------------------------------------------


@dataclass
class Contract:
    """The oracle's view of one contract: every sale in the generator gets its own."""

    symbol: str
    kind: str
    strike: float
    expiration: date
    price: float
    sold_at: int  # the event's index
    open: int

    @property
    def name(self) -> str:
        flag = "C" if self.kind == "call" else "P"
        return f"{self.symbol}{self.expiration:%y%m%d}{flag}{round(self.strike * 1000):08d}"


@dataclass
class Model:
    """A plain simulation that only picks valid next events."""

    today: date = D0
    shares: dict[str, int] = field(default_factory=lambda: {"KO": 0, "PEP": 0})
    contracts: list[Contract] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def calls_open(self, symbol: str) -> int:
        return sum(c.open for c in self.contracts if c.symbol == symbol and c.kind == "call")

    def uncovered(self, symbol: str) -> int:
        return self.shares[symbol] - 100 * self.calls_open(symbol)

    def add(self, event: Event) -> None:
        self.events.append(event)


def some_or_all(most: int) -> st.SearchStrategy[int]:
    """1 to `most`, with `most` itself often: positions return to zero."""
    return st.one_of(st.just(most), st.integers(1, most))


def cents(draw: Any, low: int, high: int) -> float:
    return draw(st.integers(low, high)) / 100


def step(draw: Any, model: Model) -> None:
    model.today += timedelta(days=draw(st.integers(0, 3)))
    symbol = draw(st.sampled_from(["KO", "PEP"]))
    live = [c for c in model.contracts if c.open and c.symbol == symbol]
    choices = ["buy", "put"]
    if model.uncovered(symbol) > 0:
        choices.append("sell_shares")
    if model.uncovered(symbol) >= 100:
        choices.append("call")
    if any(c.expiration >= model.today for c in live):
        choices.append("close")
    if live:
        choices.append("expire")
    if any(c.kind == "put" for c in live):
        choices.append("assign")
    if any(c.kind == "call" for c in live):
        choices.append("called_away")
    action = draw(st.sampled_from(choices))
    if action == "buy":
        quantity = draw(st.integers(1, 300))
        model.add(Event("shares", model.today, quantity, cents(draw, 100, 20000), symbol))
        model.shares[symbol] += quantity
    elif action == "sell_shares":
        quantity = draw(some_or_all(model.uncovered(symbol)))
        model.add(Event("shares", model.today, -quantity, cents(draw, 100, 20000), symbol))
        model.shares[symbol] -= quantity
    elif action in ("put", "call"):
        limit = 5 if action == "put" else model.uncovered(symbol) // 100
        contract = Contract(
            symbol,
            action,
            float(10 + len(model.contracts)),
            model.today + timedelta(days=draw(st.integers(0, 40))),
            cents(draw, 1, 900),
            len(model.events),
            draw(st.integers(1, limit)),
        )
        model.contracts.append(contract)
        model.add(Event("sell", model.today, contract.open, contract.price, contract=contract.name))
    else:
        close_one(draw, model, action, live)


def close_one(draw: Any, model: Model, action: str, live: list[Contract]) -> None:
    pool = {
        "close": [c for c in live if c.expiration >= model.today],
        "expire": live,
        "assign": [c for c in live if c.kind == "put"],
        "called_away": [c for c in live if c.kind == "call"],
    }[action]
    contract = draw(st.sampled_from(pool))
    quantity = draw(some_or_all(contract.open))
    if action == "close":
        kind, price = "buy_to_close", cents(draw, 0, 1200)
    else:
        kind, price = action, None
        if action == "expire":
            model.today = max(model.today, contract.expiration)
    model.add(Event(kind, model.today, quantity, price, contract=contract.name))
    contract.open -= quantity
    held = 100 * quantity
    if action == "assign":
        model.shares[contract.symbol] += held
    elif action == "called_away":
        model.shares[contract.symbol] -= held


@st.composite
def ledgers(draw: Any) -> Model:
    model = Model()
    for _ in range(draw(st.integers(1, 30))):
        step(draw, model)
    return model


# Which way an option event's dollars go: + in to the trader, − out.
OPTION_CASH = {"sell": 1, "buy_to_close": -1, "expire": 0, "assign": -1, "called_away": 1}


def cash_flow(events: list[Event]) -> float:
    """Dollars in minus dollars out, event by event: no basis, no lots."""
    total = 0.0
    for event in events:
        price = event.price or 0.0
        if event.kind == "shares":
            total -= event.quantity * price
        else:
            total += OPTION_CASH[event.kind] * price * 100 * event.quantity
    return total


def cycle_premium(model: Model, events: list[Event], symbol: str) -> float:
    """SPEC 9 read directly: find where the shares last left zero, then add up the premium
    of options sold after that point, less their buy-backs, plus puts assigned since then."""
    held, start = 0, None
    for index, event in enumerate(events):
        if event.symbol != symbol:
            continue
        before = held
        if event.kind == "shares":
            held += event.quantity
        elif event.kind == "assign":
            held += 100 * event.quantity
        elif event.kind == "called_away":
            held -= 100 * event.quantity
        if before == 0 and held > 0:
            start = index
        if held == 0:
            start = None
    if start is None:
        return 0.0
    by_name = {c.name: c for c in model.contracts}
    total = 0.0
    for index, event in enumerate(events):
        if event.symbol != symbol or event.kind == "shares":
            continue
        contract = by_name[event.contract or ""]
        sold_after = contract.sold_at > start
        if event.kind == "sell" and sold_after:
            total += contract.price * 100 * event.quantity
        elif event.kind == "buy_to_close" and sold_after:
            total -= (event.price or 0.0) * 100 * event.quantity
        elif event.kind == "assign" and not sold_after and index >= start:
            total += contract.price * 100 * event.quantity
    return total


@settings(max_examples=100)
@given(ledgers())
def test_every_prefix_folds_to_a_sane_state(model: Model) -> None:
    events = model.events
    for end in range(1, len(events) + 1):
        state = fold(events[:end])
        for position in state:
            assert position.shares >= 0
            assert position.uncovered_shares >= 0
            assert (position.basis is None) == (position.shares == 0)
        held_cost = sum(p.shares * (p.basis or 0.0) for p in state)
        open_premium = sum(s.open_premium for s in state.shorts)
        assert state.realized_pl + open_premium - held_cost == pytest.approx(
            cash_flow(events[:end]), abs=1e-6
        )


@settings(max_examples=100)
@given(ledgers())
def test_adjusted_basis_is_basis_less_the_cycle_premium_per_share(model: Model) -> None:
    state = fold(model.events)
    for symbol in ("KO", "PEP"):
        position = state.get(symbol)
        expected = cycle_premium(model, model.events, symbol)
        assert position.cycle_premium == pytest.approx(expected, abs=1e-6)
        if position.shares:
            assert position.adjusted_basis == pytest.approx(
                (position.basis or 0) - expected / position.shares, abs=1e-9
            )


@settings(max_examples=100)
@given(ledgers(), st.data())
def test_assigning_a_put_adds_100_shares_per_contract_at_the_strike(
    model: Model, data: st.DataObject
) -> None:
    puts = [c for c in model.contracts if c.kind == "put" and c.open]
    if not puts:
        return
    put = data.draw(st.sampled_from(puts))
    quantity = data.draw(st.integers(1, put.open))
    before = fold(model.events).get(put.symbol)
    assign = Event("assign", model.today, quantity, contract=put.name)
    after = fold([*model.events, assign]).get(put.symbol)
    assert after.shares == before.shares + 100 * quantity
    cost_before = before.shares * (before.basis or 0.0)
    assert after.shares * (after.basis or 0.0) == pytest.approx(
        cost_before + put.strike * 100 * quantity
    )
    assert after.realized_pl == pytest.approx(before.realized_pl + put.price * 100 * quantity)


@settings(max_examples=100)
@given(ledgers())
def test_a_ledger_closed_out_realizes_its_cash_flow(model: Model) -> None:
    """Close everything the generated ledger left open (expire the shorts, sell the shares):
    realized P/L is then exactly the money that came in less the money that went out."""
    later = max(e.date for e in model.events) + timedelta(days=60)
    closing = [Event("expire", later, c.open, contract=c.name) for c in model.contracts if c.open]
    closing += [
        Event("shares", later, -held, 1.0, symbol) for symbol, held in model.shares.items() if held
    ]
    events = [*model.events, *closing]
    state = fold(events)
    assert all(p.shares == 0 and not p.shorts for p in state)
    assert state.realized_pl == pytest.approx(cash_flow(events), abs=1e-6)
