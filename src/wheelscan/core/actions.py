"""One line of the plan (SPEC 10): what to do, why, and the order ticket to copy. Pure.

Tickets read like SPEC 10's example, `SELL −1 KO 2026-12-18 60 P @ 0.85 LMT`:
side, signed quantity (U+2212 minus for a sale, + for a purchase), symbol,
expiration, strike, P or C, limit price per share. Prices are the quote's side
the order meets: a sale at the bid, a buy to close at the ask. A roll is one
combo order, both legs and a net credit limit:
`BUY +1 KO 2026-12-18 60 P / SELL −1 KO 2027-01-15 57.5 P @ 0.55 CREDIT LMT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

MANAGE = "manage"
ROLL = "roll"
COVERED_CALL = "covered_call"
NEW_PUT = "new_put"
ACTION_KINDS = (MANAGE, ROLL, COVERED_CALL, NEW_PUT)

MINUS = "\u2212"
BUY = "BUY"
SELL = "SELL"


def price_text(price: float) -> str:
    """Cents as quoted (`0.85`, `12.00`); a sub-cent price keeps its digits (`0.005`)."""
    if round(price, 2) == round(price, 6):
        return f"{price:.2f}"
    return f"{price:.4f}".rstrip("0")


def strike_text(strike: float) -> str:
    """`60`, `57.5`, `1000`, `2.125`: no trailing zeros, never an exponent."""
    return f"{strike:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Leg:
    """One side of an order: `side` BUY or SELL `quantity` contracts (a positive count)."""

    side: str
    quantity: int
    symbol: str
    expiration: date
    strike: float
    kind: Literal["put", "call"]

    @property
    def text(self) -> str:
        sign = "+" if self.side == BUY else MINUS
        flag = "P" if self.kind == "put" else "C"
        return (
            f"{self.side} {sign}{self.quantity} {self.symbol} {self.expiration.isoformat()}"
            f" {strike_text(self.strike)} {flag}"
        )


def limit_ticket(leg: Leg, price: float) -> str:
    """`SELL −1 KO 2026-12-18 60 P @ 0.85 LMT`."""
    return f"{leg.text} @ {price_text(price)} LMT"


def combo_ticket(close: Leg, open_: Leg, net_credit: float) -> str:
    """A roll as one order: `BUY +1 … P / SELL −1 … P @ 0.55 CREDIT LMT`."""
    return f"{close.text} / {open_.text} @ {price_text(net_credit)} CREDIT LMT"


Figure = float | int | str | bool | None


@dataclass(frozen=True)
class Reason:
    """The rule that put an action in the plan and the figures it fired on."""

    rule: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def to_json(self) -> dict[str, Figure]:
        return {"rule": self.rule, **self.figures}


@dataclass(frozen=True)
class Action:
    """One to-do: `kind` (ACTION_KINDS) on `contract`, `quantity` contracts of it.

    For `manage` the contract is the open short; for `roll` the contract it rolls
    into, with `replaces` naming the short it closes; for `covered_call` and
    `new_put` the contract to sell. `ticket` is None only when a managed short has
    no quote to price its order with.
    """

    kind: str
    symbol: str
    contract: str
    option_type: Literal["put", "call"]
    expiration: date
    strike: float
    quantity: int
    why: tuple[Reason, ...]
    ticket: str | None
    figures: Mapping[str, Figure] = field(default_factory=dict)
    replaces: str | None = None

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(reason.rule for reason in self.why)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "contract": self.contract,
            "type": self.option_type,
            "expiration": self.expiration.isoformat(),
            "strike": self.strike,
            "quantity": self.quantity,
            "replaces": self.replaces,
            "why": [reason.to_json() for reason in self.why],
            "ticket": self.ticket,
            "figures": dict(self.figures),
        }
