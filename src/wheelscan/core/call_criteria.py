"""What a covered call must satisfy (SPEC 9), and the dividend that may get it assigned early.

Numpy-free, like core/models.py, so config.py and the front ends can read the
defaults at start-up; the evaluation itself is core/calls.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.criterion import (
    CriteriaError,
    Criterion,
    Range,
    Rulebook,
    choice_field,
    criterion_field,
    rule_table,
)
from wheelscan.core.expiry import new_york_date
from wheelscan.core.models import EARNINGS_EXCLUDE, EARNINGS_POLICIES

if TYPE_CHECKING:
    from wheelscan.core.positions import Position

MIN_STRIKE_ADJUSTED = "adjusted"
MIN_STRIKE_BASIS = "basis"
MIN_STRIKE_NONE = "none"
MIN_STRIKE_POLICIES = (MIN_STRIKE_ADJUSTED, MIN_STRIKE_BASIS, MIN_STRIKE_NONE)

CALL_REJECTION_REASONS: tuple[str, ...] = (
    "dte",
    "nonstandard",
    "bad_quote",
    "itm",
    "below_basis",
    "no_bid",
    "no_iv",
    "earnings",
    "return",
    "delta",
)
"""A covered call's reasons, in the order they are tried; `itm` is K ≤ S, `below_basis` a
strike under the floor `min_strike` sets."""

CONFIG_PREFIX = "call_"
"""Each CallCriteria field is the config key `call_<field>` (call_max_delta, ...)."""


@dataclass(frozen=True)
class CallCriteria(Rulebook):
    """What a covered call must satisfy. Each default, meaning and range is defined here
    once; the config keys (`CONFIG_PREFIX` + name) and options read `CALL_CRITERIA`.

    The risk-free rate is the puts' (`Criteria.risk_free_rate_pct`): one rate for both.
    """

    min_dte: int = criterion_field(
        1, "call min DTE", "minimum days to expiry of a covered call", Range(0)
    )
    max_dte: int = criterion_field(
        28, "call max DTE", "maximum days to expiry of a covered call", Range(1)
    )
    max_delta: float = criterion_field(
        0.30,
        "call max delta",
        "maximum call delta, from the volatility implied by the bid/ask mid",
        Range(0, 1, low_open=True),
    )
    min_return_pct: float = criterion_field(
        12.0,
        "call min return",
        "minimum annualized static return of a covered call: bid / spot × 365 / DTE, %",
        Range(0),
    )
    min_strike: str = choice_field(
        MIN_STRIKE_ADJUSTED,
        "call min strike",
        "lowest covered-call strike: the adjusted basis (basis less the premium collected), "
        "the basis, or none",
        MIN_STRIKE_POLICIES,
    )
    earnings: str = choice_field(
        EARNINGS_EXCLUDE,
        "call earnings",
        "covered calls whose expiration spans the next earnings date: exclude them, flag "
        "them (kept, marked), or ignore earnings",
        EARNINGS_POLICIES,
    )

    def __post_init__(self) -> None:
        self.check_fields(CALL_CRITERIA)
        if self.min_dte > self.max_dte:
            raise CriteriaError(
                f"call min DTE {self.min_dte} is above call max DTE {self.max_dte}",
                ("min_dte", "max_dte"),
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


CALL_CRITERIA: dict[str, Criterion] = rule_table(CallCriteria)


def strike_floor(position: Position, policy: str) -> float | None:
    """The lowest strike a call on `position` may have under `policy` (None: no floor)."""
    if policy == MIN_STRIKE_ADJUSTED:
        return position.adjusted_basis
    if policy == MIN_STRIKE_BASIS:
        return position.basis
    return None


@dataclass(frozen=True)
class ExDividend:
    """The ex-dividend date Yahoo lists, and the dividend per share (None: unknown)."""

    date: date
    amount: float | None

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "amount": self.amount}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExDividend:
        """Raises KeyError, TypeError or ValueError for another shape."""
        amount = data["amount"]
        return cls(date.fromisoformat(data["date"]), None if amount is None else float(amount))


def dividend_before_expiry(dividend: ExDividend | None, as_of: datetime, expiration: date) -> bool:
    """Whether the call's owner could still exercise for the dividend: the ex-date is after
    as_of's date (the day before it, the last to exercise, is still to come) and on or
    before the expiration date."""
    return dividend is not None and new_york_date(as_of) < dividend.date <= expiration
