"""What the plan (SPEC 10) is built from: its rules and the quoted contracts it weighs. Pure.

`PlanRules` holds every default of the plan once, with the label, help and range
the config and the command line read from `PLAN_RULES` (as `Criteria` does for
puts). The lowest strike a covered call or a call roll may have is the call
criteria's `min_strike` (core.call_criteria), not a rule of its own. `QuotedOption`
is one contract as an answer quotes it; the plan weighs three lists of them: the
contracts a short can roll into, the covered-call candidates and the put candidates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal, Protocol

from wheelscan.core.criterion import (
    CriteriaError,
    Criterion,
    Range,
    Rulebook,
    criterion_field,
    rule_table,
)


@dataclass(frozen=True)
class PlanRules(Rulebook):
    """When an open short needs managing, what it may roll into, how new puts share the cash."""

    take_profit_pct: float = criterion_field(
        50.0,
        "take profit",
        "manage a short once its profit at the ask reaches this % of the premium received",
        Range(0, 100, low_open=True),
    )
    max_ticker_pct: float = criterion_field(
        25.0,
        "max per ticker",
        "the most of `cash` one ticker's put collateral may take, open shorts included, %",
        Range(0, 100, low_open=True),
    )
    roll_max_dte: int = criterion_field(
        45, "roll max DTE", "latest expiration a roll goes to", Range(1)
    )
    expiring_days: int = criterion_field(
        5, "expiring within", "manage a short this many days or fewer before expiry", Range(0)
    )
    max_rolls: int = criterion_field(
        3, "rolls", "how many rolls each managed short offers", Range(0)
    )

    def __post_init__(self) -> None:
        self.check_fields(PLAN_RULES)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanRules:
        unknown = sorted(set(data) - set(PLAN_RULES))
        if unknown:
            raise CriteriaError(f"unknown plan rule(s): {', '.join(unknown)}", tuple(unknown))
        return cls(**data)


PLAN_RULES: dict[str, Criterion] = rule_table(PlanRules)


class QuotedFigures(Protocol):
    """What `QuotedOption.from_candidate` reads: a put `Candidate` or a `CallCandidate`."""

    contract: str
    expiration: str
    dte: int
    strike: float
    bid: float
    ask: float
    delta: float
    annualized_return_pct: float
    spans_earnings: bool


@dataclass(frozen=True)
class QuotedOption:
    """One contract of `symbol` as the latest answer quotes it.

    `annualized_pct` is the figure new positions are ranked by: for a put SPEC 2's
    annualized_return_pct (bid on strike collateral), for a covered call the
    annualized static return (bid on spot). Rolls rank by their own net credit and
    need only the quote. `dte` is counted from the answer's as_of.
    """

    symbol: str
    contract: str
    kind: Literal["put", "call"]
    expiration: date
    strike: float
    bid: float
    ask: float | None
    dte: int
    annualized_pct: float | None = None
    delta: float | None = None
    spans_earnings: bool = False

    @property
    def collateral(self) -> float:
        """Cash one contract ties up: strike × 100 for a put, 0 for a covered call."""
        from wheelscan.core.ledger import MULTIPLIER  # config.py reads PLAN_RULES: keep it light

        return self.strike * MULTIPLIER if self.kind == "put" else 0.0

    @classmethod
    def from_candidate(
        cls, symbol: str, candidate: QuotedFigures, annualized_pct: float | None = None
    ) -> QuotedOption:
        """A scan candidate of `symbol` (its kind read from the OCC contract);
        `annualized_pct` defaults to the candidate's annualized_return_pct."""
        from wheelscan.core.occ import parse_occ

        occ = parse_occ(candidate.contract)
        if occ is None:
            raise ValueError(f"{candidate.contract!r} is not an OCC contract")
        return cls(
            symbol=symbol,
            contract=candidate.contract,
            kind=occ.kind,
            expiration=date.fromisoformat(candidate.expiration),
            strike=candidate.strike,
            bid=candidate.bid,
            ask=candidate.ask,
            dte=candidate.dte,
            annualized_pct=(
                candidate.annualized_return_pct if annualized_pct is None else annualized_pct
            ),
            delta=candidate.delta,
            spans_earnings=candidate.spans_earnings,
        )
