"""Plain records shared by every layer: criteria, candidates, results, scan events.

Nothing here does I/O, and importing it loads no numpy (the chains live in
core/chains.py), so every front end can use these records at start-up. Every
record converts to JSON-safe dicts (plain floats, ints, strings) because the
store keeps JSON only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from wheelscan.core.criterion import (
    CriteriaError,
    Criterion,
    Range,
    Rulebook,
    choice_field,
    criterion_field,
    rule_table,
)
from wheelscan.core.earnings import NextEarnings

REJECTION_REASONS: tuple[str, ...] = (
    "dte",
    "nonstandard",
    "bad_quote",
    "itm",
    "no_bid",
    "low_bid",
    "no_iv",
    "earnings",
    "return",
    "delta",
    "oi",
    "spread",
)
"""SPEC 3's reasons, in the order they are tried: a contract gets the first that applies."""

TOP_REJECTIONS = 2
EARNINGS_EXCLUDE = "exclude"
EARNINGS_FLAG = "flag"
EARNINGS_IGNORE = "ignore"
EARNINGS_POLICIES = (EARNINGS_EXCLUDE, EARNINGS_FLAG, EARNINGS_IGNORE)


@dataclass(frozen=True)
class Criteria(Rulebook):
    """What a put must satisfy to be a candidate (SPEC 3).

    Each field's default (the spec's), meaning and range are defined here once;
    the config keys and the command-line options are read from `CRITERIA`.
    """

    min_dte: int = criterion_field(1, "min DTE", "minimum days to expiry", Range(0))
    max_dte: int = criterion_field(28, "max DTE", "maximum days to expiry", Range(1))
    min_bid: float = criterion_field(
        0.05, "min bid", "minimum bid, $ per share (the premium you collect)", Range(0)
    )
    min_return_pct: float = criterion_field(
        30.0, "min return", "minimum annualized return: bid / strike × 365 / DTE, %", Range(0)
    )
    max_delta: float = criterion_field(
        0.20,
        "max delta",
        "maximum |delta|, from the volatility implied by the bid/ask mid",
        Range(0, 1, low_open=True),
    )
    min_open_interest: int = criterion_field(
        10, "min open interest", "minimum open interest", Range(0)
    )
    max_spread_pct: float = criterion_field(
        40.0, "max spread", "maximum bid/ask spread, % of mid", Range(0, no_limit=True)
    )
    risk_free_rate_pct: float = criterion_field(4.0, "rate", "risk-free rate, %", Range(-5, 50))
    earnings: str = choice_field(
        EARNINGS_EXCLUDE,
        "earnings",
        "puts whose expiration spans the next earnings date: exclude them, flag them "
        "(kept, marked), or ignore earnings",
        EARNINGS_POLICIES,
    )

    def __post_init__(self) -> None:
        self.check_fields(CRITERIA)
        if self.min_dte > self.max_dte:
            raise CriteriaError(
                f"min DTE {self.min_dte} is above max DTE {self.max_dte}", ("min_dte", "max_dte")
            )

    @classmethod
    def from_weeks(cls, weeks: int, **overrides: Any) -> Criteria:
        WEEKS.check(weeks)
        return cls(max_dte=7 * weeks, **overrides)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if math.isinf(self.max_spread_pct):
            data["max_spread_pct"] = None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Criteria:
        data = dict(data)
        if data.get("max_spread_pct") is None:
            data["max_spread_pct"] = math.inf
        return cls(**data)


CRITERIA: dict[str, Criterion] = rule_table(Criteria)
WEEKS = Criterion(
    "weeks", None, True, "weeks", "max DTE = 7 × weeks (instead of max_dte)", Range(1)
)
"""Not a field: `weeks` sets max_dte to 7 × weeks (config key and --weeks)."""


@dataclass(frozen=True)
class OptionFigures:
    """The figures every candidate contract has, put or covered call (SPEC 2).

    `iv` is the σ solved from the mid (Black-76 on the expiration's forward) that
    delta, prob_otm and pop use; `iv_yahoo` is Yahoo's own figure, shown, never used.
    """

    contract: str
    expiration: str
    dte: int
    strike: float
    bid: float
    ask: float
    mid: float
    last: float | None
    iv: float
    iv_yahoo: float | None
    delta: float
    prob_otm: float
    pop: float
    annualized_return_pct: float


@dataclass(frozen=True)
class Candidate(OptionFigures):
    """A put that met the criteria, with every figure of SPEC 2."""

    otm_pct: float
    cushion_pct: float
    spread_pct: float
    open_interest: int | None
    volume: int | None
    collateral: float
    breakeven: float
    spans_earnings: bool = False
    badge: str = "n/a"
    pe_at_strike: float | None = None  # strike / trailing EPS (equities with EPS > 0)
    fits: bool | None = None  # collateral within free cash (core.cash); None: unknown

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        return cls(**data)


@dataclass(frozen=True)
class ExpirationSummary:
    """One expiration of a ticker (SPEC 2): its forward and how it was found, the
    at-the-money σ and the expected move (the ATM straddle), None where unknown."""

    expiration: str
    dte: int
    forward: float
    forward_source: str
    atm_iv: float | None
    expected_move: float | None
    expected_move_pct: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def top_rejections(rejected: dict[str, int]) -> list[dict[str, Any]]:
    """The most frequent reasons (at most TOP_REJECTIONS), most first; a tie goes to the
    reason tried first."""
    order = {reason: i for i, reason in enumerate(REJECTION_REASONS)}
    counted = [(reason, count) for reason, count in rejected.items() if count > 0]
    counted.sort(key=lambda item: (-item[1], order.get(item[0], len(order))))
    return [{"reason": reason, "count": count} for reason, count in counted[:TOP_REJECTIONS]]


@dataclass
class TickerResult:
    """One ticker's outcome: the `results[TICKER]` object of the JSON document."""

    symbol: str
    underlying_price: float
    as_of: datetime
    rejected: dict[str, int]
    candidates: list[Candidate]
    intrinsic_value: float | None = None
    intrinsic_value_source: str | None = None
    valuation: dict[str, Any] | None = None  # core.valuation.valuation_record
    market_state: str | None = None
    next_earnings: NextEarnings | None = None
    expirations: list[ExpirationSummary] = field(default_factory=list)
    requests: int = 0
    expiration_errors: dict[str, str] = field(default_factory=dict)
    held: dict[str, Any] = field(default_factory=dict)  # core.held_results.held_json

    def to_json(self) -> dict[str, Any]:
        return {
            "underlying_price": self.underlying_price,
            "as_of": self.as_of.isoformat(),
            "market_state": self.market_state,
            "next_earnings": self.next_earnings.to_json() if self.next_earnings else None,
            "intrinsic_value": self.intrinsic_value,
            "intrinsic_value_source": self.intrinsic_value_source,
            "valuation": self.valuation,
            "expirations": [e.to_json() for e in self.expirations],
            "rejected": dict(self.rejected),
            "top_rejections": top_rejections(self.rejected),
            "candidates": [c.to_json() for c in self.candidates],
            **self.held,
        }


class ScanKind(StrEnum):
    """A watchlist scan publishes its results when it succeeds; an ad-hoc scan never does."""

    WATCHLIST = "watchlist"
    ADHOC = "adhoc"


class ScanState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"

    @property
    def finished(self) -> bool:
        return self not in (ScanState.PENDING, ScanState.RUNNING)


@dataclass(frozen=True)
class ScanStarted:
    total: int
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class TickerStarted:
    symbol: str
    done: int
    total: int


@dataclass(frozen=True)
class TickerFinished:
    symbol: str
    result: TickerResult
    done: int
    total: int


@dataclass(frozen=True)
class TickerFailed:
    symbol: str
    reason: str
    done: int
    total: int


ScanEvent = ScanStarted | TickerStarted | TickerFinished | TickerFailed


@dataclass
class ScanReport:
    """What the engine hands back: per-ticker results, errors and the request count."""

    state: ScanState
    started_at: datetime
    finished_at: datetime
    criteria: Criteria
    source: str
    symbols: list[str]
    results: dict[str, TickerResult]
    errors: dict[str, str]
    requests: int
    message: str = ""
    cached_answers: int = 0

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def candidate_count(self) -> int:
        return sum(len(r.candidates) for r in self.results.values())

    @property
    def as_of(self) -> datetime | None:
        stamps = [r.as_of for r in self.results.values()]
        return max(stamps) if stamps else None
