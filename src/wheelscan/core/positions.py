"""The state folded from the positions ledger (SPEC 9). Pure: no I/O.

`fold` turns a list of `ledger.Event`s into `Positions`: per symbol the shares
held, their basis and adjusted basis, the open short options and the realized
P/L. Nothing else is stored: the state is always folded again. Quantities and
prices follow the conventions in `core.ledger`; here:

- Dollar figures (premium, open premium, realized P/L) are positive in the
  trader's favour: a sale's premium adds, a buy-back's cost subtracts.
- basis: average cost per held share (bought shares at their price, assigned
  puts at the strike); a sale leaves it unchanged; None while no share is held.
- cycle premium: the net premium of the options that count toward the adjusted
  basis since the shares were last zero: every option sold while shares are
  held (less what buying it back cost), and every put assigned into the holding,
  whenever it was sold. adjusted basis = basis − cycle premium / shares.
- realized P/L: an option's premium is realized when it leaves the book
  (`expire`: all of it; `buy_to_close`: premium − cost; `assign`,
  `called_away`: all of it, the shares then carrying the strike as cost);
  shares' when sold or called away: (price − basis) per share.
- covered shares: 100 per open short call; a call may be sold only on 100
  uncovered shares, and covered shares cannot be sold.

Events are folded in date order; events of one date keep the ledger's order.
Lots of one contract close first in, first out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from wheelscan.core.errors import InputError
from wheelscan.core.ledger import (
    ASSIGN,
    BUY_TO_CLOSE,
    CALLED_AWAY,
    MULTIPLIER,
    SELL,
    SHARES,
    Event,
)
from wheelscan.core.occ import OccSymbol


class LedgerError(InputError):
    """An event the state before it refuses; `index` is its place in the folded sequence."""

    def __init__(self, index: int, event: Event, reason: str) -> None:
        super().__init__(f"{event.describe()}: {reason}")
        self.index = index
        self.event = event
        self.reason = reason


def _dollars(value: float) -> float:
    return round(value, 2)


def _per_share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class ShortOption:
    """Open short contracts of one OCC symbol. `open_premium`: dollars received for them."""

    contract: str
    symbol: str
    kind: Literal["put", "call"]
    strike: float
    expiration: date
    quantity: int
    open_premium: float

    @property
    def open_price(self) -> float:
        """Average premium per share received for the open contracts."""
        return self.open_premium / (MULTIPLIER * self.quantity)

    @property
    def collateral(self) -> float:
        """Cash securing a short put (strike × 100 × contracts); 0 for a covered call."""
        return self.strike * MULTIPLIER * self.quantity if self.kind == "put" else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "symbol": self.symbol,
            "type": self.kind,
            "strike": self.strike,
            "expiration": self.expiration.isoformat(),
            "quantity": self.quantity,
            "open_price": _per_share(self.open_price),
            "open_premium": _dollars(self.open_premium),
            "collateral": _dollars(self.collateral),
        }


@dataclass(frozen=True)
class Position:
    """One symbol's state. Shares under a short call are covered; 100 uncovered shares
    is what one more call needs."""

    symbol: str
    shares: int = 0
    basis: float | None = None
    cycle_premium: float = 0.0
    realized_pl: float = 0.0
    shorts: tuple[ShortOption, ...] = ()

    @property
    def adjusted_basis(self) -> float | None:
        if self.basis is None:
            return None
        return self.basis - self.cycle_premium / self.shares

    @property
    def covered_shares(self) -> int:
        return MULTIPLIER * sum(s.quantity for s in self.shorts if s.kind == "call")

    @property
    def uncovered_shares(self) -> int:
        return self.shares - self.covered_shares

    def short(self, contract: str) -> ShortOption | None:
        return next((s for s in self.shorts if s.contract == contract), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "shares": self.shares,
            "basis": _per_share(self.basis),
            "adjusted_basis": _per_share(self.adjusted_basis),
            "cycle_premium": _dollars(self.cycle_premium),
            "covered_shares": self.covered_shares,
            "uncovered_shares": self.uncovered_shares,
            "realized_pl": _dollars(self.realized_pl),
            "short_options": [s.to_json() for s in self.shorts],
        }


@dataclass(frozen=True)
class Positions:
    """Every symbol the ledger names, in symbol order."""

    by_symbol: Mapping[str, Position] = field(default_factory=dict)

    def get(self, symbol: str) -> Position:
        return self.by_symbol.get(symbol) or Position(symbol)

    def __iter__(self) -> Iterator[Position]:
        return iter(self.by_symbol.values())

    @property
    def shorts(self) -> list[ShortOption]:
        return [s for position in self for s in position.shorts]

    @property
    def realized_pl(self) -> float:
        return sum(p.realized_pl for p in self)

    @property
    def put_collateral(self) -> float:
        return sum(s.collateral for s in self.shorts)

    def held_symbols(self) -> list[str]:
        """Symbols with shares held (the scan looks at their calls)."""
        return [p.symbol for p in self if p.shares > 0]

    def short_expirations(self) -> dict[str, list[date]]:
        """Symbol → the expirations of its open shorts (the scan requests them)."""
        expirations: dict[str, set[date]] = {}
        for short in self.shorts:
            expirations.setdefault(short.symbol, set()).add(short.expiration)
        return {symbol: sorted(days) for symbol, days in expirations.items()}

    def totals_json(self) -> dict[str, Any]:
        return {
            "realized_pl": _dollars(self.realized_pl),
            "open_premium": _dollars(sum(s.open_premium for s in self.shorts)),
            "put_collateral": _dollars(self.put_collateral),
        }


def refusal(positions: Positions, event: Event) -> str | None:
    """Why the state `positions` refuses `event` (None when it may happen)."""
    position = positions.get(event.symbol)
    if event.kind == SHARES:
        sold = -event.quantity
        if sold <= position.uncovered_shares:
            return None
        covered = f" ({position.covered_shares} cover short calls)" if position.shorts else ""
        return (
            f"sells {sold} shares of {event.symbol} but only {position.uncovered_shares}"
            f" are held uncovered{covered}"
        )
    if event.kind == SELL:
        option = event.occ()
        needed = MULTIPLIER * event.quantity
        if option.kind == "call" and needed > position.uncovered_shares:
            return (
                f"{event.quantity} covered call(s) need {needed} uncovered shares of"
                f" {event.symbol}; {position.uncovered_shares} are held uncovered"
            )
        return None
    short = position.short(event.contract or "")
    if short is None:
        return f"{event.contract} is not an open short option"
    if event.quantity > short.quantity:
        return f"only {short.quantity} contract(s) of {event.contract} are open"
    return None


@dataclass
class _Lot:
    quantity: int
    price: float
    counted: bool  # is its premium in the current cycle premium?


@dataclass
class _Book:
    """One symbol while the ledger folds (mutable; `Position` is its snapshot)."""

    symbol: str
    shares: int = 0
    cost: float = 0.0  # dollars paid for the held shares: basis × shares
    cycle_premium: float = 0.0
    realized_pl: float = 0.0
    lots: dict[str, list[_Lot]] = field(default_factory=dict)
    options: dict[str, OccSymbol] = field(default_factory=dict)

    def snapshot(self) -> Position:
        shorts = tuple(
            ShortOption(
                contract,
                self.symbol,
                self.options[contract].kind,
                self.options[contract].strike,
                self.options[contract].expiration,
                sum(lot.quantity for lot in lots),
                sum(lot.price * lot.quantity for lot in lots) * MULTIPLIER,
            )
            for contract, lots in sorted(self.lots.items(), key=self._expiration_order)
        )
        basis = self.cost / self.shares if self.shares else None
        return Position(
            self.symbol, self.shares, basis, self.cycle_premium, self.realized_pl, shorts
        )

    def _expiration_order(self, item: tuple[str, list[_Lot]]) -> tuple[Any, ...]:
        option = self.options[item[0]]
        return (option.expiration, option.kind, option.strike, item[0])

    def buy_shares(self, quantity: int, price: float) -> None:
        self.shares += quantity
        self.cost += quantity * price

    def sell_shares(self, quantity: int, price: float) -> None:
        basis = self.cost / self.shares
        self.realized_pl += (price - basis) * quantity
        self.shares -= quantity
        self.cost = basis * self.shares
        if self.shares == 0:
            # The cycle ends: its premium is history, and an open put's premium
            # counts again only if the put is assigned into a new holding.
            self.cost = 0.0
            self.cycle_premium = 0.0
            for lots in self.lots.values():
                for lot in lots:
                    lot.counted = False

    def open(self, event: Event) -> None:
        counted = self.shares > 0
        contract = event.contract or ""
        self.options[contract] = event.occ()
        self.lots.setdefault(contract, []).append(_Lot(event.quantity, event.amount, counted))
        if counted:
            self.cycle_premium += event.amount * MULTIPLIER * event.quantity

    def take(self, contract: str, quantity: int) -> list[_Lot]:
        """Remove `quantity` contracts, first in first out: the lots (or parts) taken."""
        lots, taken = self.lots[contract], []
        while quantity:
            lot = lots[0]
            part = min(quantity, lot.quantity)
            taken.append(_Lot(part, lot.price, lot.counted))
            lot.quantity -= part
            quantity -= part
            if lot.quantity == 0:
                lots.pop(0)
        if not lots:
            del self.lots[contract]
        return taken

    def close(self, event: Event) -> None:
        price = event.amount
        for lot in self.take(event.contract or "", event.quantity):
            dollars = lot.price * MULTIPLIER * lot.quantity
            paid = price * MULTIPLIER * lot.quantity if event.kind == BUY_TO_CLOSE else 0.0
            self.realized_pl += dollars - paid
            if lot.counted:
                self.cycle_premium -= paid
            elif event.kind == ASSIGN:
                self.cycle_premium += dollars
        shares = MULTIPLIER * event.quantity
        if event.kind == ASSIGN:
            self.buy_shares(shares, price)
        elif event.kind == CALLED_AWAY:
            self.sell_shares(shares, price)


def date_order(events: Sequence[Event]) -> list[int]:
    """Indexes of `events` in the order they are folded: by date, ties in ledger order."""
    return sorted(range(len(events)), key=lambda index: events[index].date)


def fold(events: Sequence[Event]) -> Positions:
    """The state after `events`; LedgerError (with the event's index) for the first refused."""
    books: dict[str, _Book] = {}
    for index in date_order(events):
        event = events[index]
        book = books.setdefault(event.symbol, _Book(event.symbol))
        reason = refusal(Positions({event.symbol: book.snapshot()}), event)
        if reason is not None:
            raise LedgerError(index, event, reason)
        if event.kind == SHARES:
            if event.quantity > 0:
                book.buy_shares(event.quantity, event.amount)
            else:
                book.sell_shares(-event.quantity, event.amount)
            continue
        if event.kind == SELL:
            book.open(event)
        else:
            book.close(event)
    return Positions({symbol: books[symbol].snapshot() for symbol in sorted(books)})
