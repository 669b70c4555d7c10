"""Plain records shared by every layer: criteria, chains, candidates, scan events.

Nothing here does I/O. Every record converts to JSON-safe dicts (plain floats,
ints, strings) because the store keeps JSON only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np

from wheelscan.core.errors import InputError

REJECTION_REASONS: tuple[str, ...] = (
    "dte",
    "itm",
    "no_bid",
    "bad_quote",
    "no_iv",
    "return",
    "delta",
    "oi",
    "spread",
)


class CriteriaError(InputError):
    """Criteria that make no sense (weeks 0, negative return, delta outside (0, 1])."""


@dataclass(frozen=True)
class Criteria:
    """What a put must satisfy to be a candidate (SPEC 3). Defaults are the spec's."""

    min_dte: int = 1
    max_dte: int = 28
    min_return_pct: float = 30.0
    max_delta: float = 0.20
    min_open_interest: int = 0
    max_spread_pct: float = math.inf
    risk_free_rate_pct: float = 4.0

    def __post_init__(self) -> None:
        checks = [
            (self.min_dte >= 0, f"min DTE must be 0 or more, got {self.min_dte}"),
            (self.max_dte >= 1, f"max DTE must be at least 1, got {self.max_dte}"),
            (
                self.min_dte <= self.max_dte,
                f"min DTE {self.min_dte} is above max DTE {self.max_dte}",
            ),
            (
                math.isfinite(self.min_return_pct) and self.min_return_pct >= 0,
                f"min return must be a non-negative number, got {self.min_return_pct}",
            ),
            (
                0 < self.max_delta <= 1,
                f"max delta must be in (0, 1], got {self.max_delta}",
            ),
            (
                self.min_open_interest >= 0,
                f"min open interest must be 0 or more, got {self.min_open_interest}",
            ),
            (
                self.max_spread_pct >= 0,
                f"max spread must be 0 or more, got {self.max_spread_pct}",
            ),
            (
                math.isfinite(self.risk_free_rate_pct) and -5 <= self.risk_free_rate_pct <= 50,
                f"rate must be a percentage between -5 and 50, got {self.risk_free_rate_pct}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise CriteriaError(message)

    @classmethod
    def from_weeks(cls, weeks: int, **overrides: Any) -> Criteria:
        if weeks < 1:
            raise CriteriaError(f"weeks must be 1 or more, got {weeks}")
        return cls(max_dte=7 * weeks, **overrides)

    def with_overrides(self, **overrides: Any) -> Criteria:
        """A copy with the given fields replaced; `None` values are ignored."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

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


@dataclass(frozen=True)
class PutChain:
    """One expiration's puts as parallel arrays (NaN where Yahoo left a field out)."""

    expiration: date
    contract: list[str]
    strike: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    last: np.ndarray
    iv: np.ndarray
    open_interest: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.contract)


@dataclass(frozen=True)
class Underlying:
    """The quote a chain is priced against."""

    symbol: str
    price: float
    as_of: datetime
    dividend_yield: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """A put that met the criteria, with every figure of SPEC 2."""

    contract: str
    expiration: str
    dte: int
    strike: float
    bid: float
    ask: float
    mid: float
    last: float | None
    iv: float
    delta: float
    prob_otm: float
    annualized_return_pct: float
    otm_pct: float
    spread_pct: float
    open_interest: int | None
    volume: int | None
    collateral: float
    breakeven: float
    badge: str = "n/a"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        return cls(**data)


@dataclass
class TickerResult:
    """One ticker's outcome: the `results[TICKER]` object of the JSON document."""

    symbol: str
    underlying_price: float
    as_of: datetime
    rejected: dict[str, int]
    candidates: list[Candidate]
    intrinsic_value: float | None = None
    requests: int = 0
    expiration_errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "underlying_price": self.underlying_price,
            "as_of": self.as_of.isoformat(),
            "intrinsic_value": self.intrinsic_value,
            "rejected": dict(self.rejected),
            "candidates": [c.to_json() for c in self.candidates],
        }


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
