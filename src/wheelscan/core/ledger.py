"""Ledger events: what the trader did, one record per line of positions.toml (SPEC 9). Pure.

Sign conventions (defined here once):

- `quantity` counts contracts or shares and is positive, except on a `shares`
  event, where it is signed: + shares bought (or received), − shares sold.
- `price` is per share as quoted, never negative: what a share cost or fetched;
  an option's premium per share (`sell`: received, `buy_to_close`: paid). An
  option event moves price × MULTIPLIER × contracts dollars. `expire` has price
  0; `assign` and `called_away` trade the shares at the strike (their price).

A call's assignment is `called_away`, a put's is `assign`. The checks here need
nothing but the event; what the state before it allows is `positions.refusal`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from wheelscan.core.errors import InputError
from wheelscan.core.occ import OccSymbol, parse_occ, underlying_root
from wheelscan.core.symbols import SymbolError, normalize_symbol

MULTIPLIER = 100
SHARES = "shares"
SELL = "sell"
BUY_TO_CLOSE = "buy_to_close"
EXPIRE = "expire"
ASSIGN = "assign"
CALLED_AWAY = "called_away"
EVENT_KINDS = (SHARES, SELL, BUY_TO_CLOSE, EXPIRE, ASSIGN, CALLED_AWAY)


class EventError(InputError):
    """An event that cannot be one, whatever the ledger holds; `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Event:
    """One ledger line. Validated on construction (EventError): `symbol` defaults to
    the contract's root; `price` defaults to 0 for `expire` and the strike for
    `assign` / `called_away`, and must equal it when given."""

    kind: str
    date: date
    quantity: int
    price: float | None = None
    symbol: str = ""
    contract: str | None = None
    note: str = ""
    option: OccSymbol | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise EventError(
                f"unknown event kind {self.kind!r} (known: {', '.join(EVENT_KINDS)})", "kind"
            )
        if isinstance(self.date, datetime) or not isinstance(self.date, date):
            raise EventError(f"date must be a date (YYYY-MM-DD), got {self.date!r}", "date")
        if not isinstance(self.note, str):
            raise EventError(f"note must be a string, got {self.note!r}", "note")
        if self.kind == SHARES:
            self._check_shares()
        else:
            self._check_option()

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _check_symbol(self) -> None:
        if not isinstance(self.symbol, str):
            raise EventError(f"symbol must be a string, got {self.symbol!r}", "symbol")
        try:
            self._set("symbol", normalize_symbol(self.symbol))
        except SymbolError as error:
            raise EventError(str(error), "symbol") from None

    def _check_shares(self) -> None:
        if self.contract is not None:
            raise EventError("a shares event takes a symbol, not a contract", "contract")
        self._check_symbol()
        if not _is_whole(self.quantity) or self.quantity == 0:
            raise EventError(
                "quantity must be a whole number of shares other than 0"
                f" (+ bought, − sold), got {self.quantity!r}",
                "quantity",
            )
        self._check_price(positive=False)

    def _check_price(self, *, positive: bool) -> None:
        price = self.price
        if price is None:
            raise EventError(f"{self.kind} needs a price (dollars per share)", "price")
        if not _is_number(price) or not math.isfinite(price) or price < 0:
            raise EventError(f"price must be a number of dollars ≥ 0, got {price!r}", "price")
        if positive and price == 0:
            raise EventError("a sale's price (premium per share) must be above 0", "price")
        self._set("price", float(price))

    def _check_option(self) -> None:
        option = parse_occ(self.contract) if isinstance(self.contract, str) else None
        if option is None:
            raise EventError(
                f"{self.kind} needs an OCC contract like KO261218P00060000, got {self.contract!r}",
                "contract",
            )
        self._set("option", option)
        # The Yahoo form: OCC's space-padded root written without its padding.
        self._set("contract", "".join(self.contract.split()).upper())
        if not self.symbol:
            self._set("symbol", option.root)
        self._check_symbol()
        if underlying_root(self.symbol) != option.root:
            raise EventError(
                f"{self.contract} is not an option on {self.symbol} (its root is {option.root})",
                "symbol",
            )
        if not _is_whole(self.quantity) or self.quantity <= 0:
            raise EventError(
                f"quantity must be a whole number of contracts above 0, got {self.quantity!r}",
                "quantity",
            )
        self._check_kind_against(option)

    def _check_kind_against(self, option: OccSymbol) -> None:
        if self.kind == ASSIGN and option.kind != "put":
            raise EventError(f"{self.contract} is a call: a call's assignment is called_away")
        if self.kind == CALLED_AWAY and option.kind != "call":
            raise EventError(f"{self.contract} is a put: a put's assignment is assign")
        if self.kind in (SELL, BUY_TO_CLOSE) and self.date > option.expiration:
            raise EventError(
                f"{self.contract} expired on {option.expiration}, before {self.date}", "date"
            )
        if self.kind == EXPIRE and self.date < option.expiration:
            raise EventError(
                f"{self.contract} expires on {option.expiration}, after {self.date}", "date"
            )
        implied = {EXPIRE: 0.0, ASSIGN: option.strike, CALLED_AWAY: option.strike}.get(self.kind)
        if implied is None:
            self._check_price(positive=self.kind == SELL)
        elif self.price is None:
            self._set("price", implied)
        elif not _is_number(self.price) or not math.isclose(self.price, implied, abs_tol=1e-9):
            raise EventError(f"{self.kind} happens at {implied:g}, not {self.price!r}", "price")
        else:
            self._set("price", implied)

    def occ(self) -> OccSymbol:
        """The contract's parts (every event but `shares` has a contract)."""
        if self.option is None:
            raise EventError(f"a {self.kind} event has no contract", "contract")
        return self.option

    @property
    def amount(self) -> float:
        """The price, known once the event is built (defaults filled in)."""
        return self.price or 0.0

    def describe(self) -> str:
        """`sell 2 KO261218P00060000 on 2026-01-05`, `shares -50 KO on 2026-03-02`:
        what a message calls this event."""
        if self.kind == SHARES:
            return f"shares {self.quantity:+d} {self.symbol} on {self.date.isoformat()}"
        return f"{self.kind} {self.quantity} {self.contract} on {self.date.isoformat()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "date": self.date.isoformat(),
            "symbol": self.symbol,
            "contract": self.contract,
            "quantity": self.quantity,
            "price": self.price,
            "note": self.note,
        }
