"""Plain records shared by every layer: criteria, chains, candidates, scan events.

Nothing here does I/O, and importing it loads no numpy (the chains' arrays are
annotations only), so every front end can use these records at start-up. Every
record converts to JSON-safe dicts (plain floats, ints, strings) because the
store keeps JSON only.
"""

from __future__ import annotations

import math
from dataclasses import Field, asdict, dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from wheelscan.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np

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
    """Criteria that make no sense (weeks 0, negative return, delta outside (0, 1]).

    `keys` names the criteria at fault, so a config file's error can point at their line.
    """

    def __init__(self, message: str, keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True)
class Range:
    """The range a setting must lie in: `low_open` leaves `low` itself out; `no_limit`
    accepts +inf (meaning "no limit"). Any other infinity, and NaN, is refused."""

    low: float
    high: float = math.inf
    low_open: bool = False
    no_limit: bool = False

    @property
    def text(self) -> str:
        """The range as a message says it: '>= 0', '> 0', 'in (0, 1]'."""
        if math.isinf(self.high):
            sign = ">" if self.low_open else ">="
            return f"{sign} {self.low:g}{' (inf for no limit)' if self.no_limit else ''}"
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"

    def problem(self, value: float) -> str | None:
        """None when `value` lies in the range, else what is wrong ('must be >= 0, got -1')."""
        if value != value:
            return "must be a number, got nan"
        above = value > self.low if self.low_open else value >= self.low
        if not (above and value <= self.high):
            return f"must be {self.text}, got {value}"
        if math.isinf(value) and not self.no_limit:
            return f"must be a finite number, got {value}"
        return None


def _criterion(default: float, label: str, help: str, valid: Range) -> Any:
    return field(default=default, metadata={"label": label, "help": help, "range": valid})


@dataclass(frozen=True)
class Criteria:
    """What a put must satisfy to be a candidate (SPEC 3).

    Each field's default (the spec's), meaning and range are defined here once;
    the config keys and the command-line options are read from `CRITERIA`.
    """

    min_dte: int = _criterion(1, "min DTE", "minimum days to expiry", Range(0))
    max_dte: int = _criterion(28, "max DTE", "maximum days to expiry", Range(1))
    min_return_pct: float = _criterion(30.0, "min return", "minimum annualized return, %", Range(0))
    max_delta: float = _criterion(0.20, "max delta", "maximum |delta|", Range(0, 1, low_open=True))
    min_open_interest: int = _criterion(0, "min open interest", "minimum open interest", Range(0))
    max_spread_pct: float = _criterion(
        math.inf, "max spread", "maximum spread, % of mid", Range(0, no_limit=True)
    )
    risk_free_rate_pct: float = _criterion(4.0, "rate", "risk-free rate, %", Range(-5, 50))

    def __post_init__(self) -> None:
        for name, criterion in CRITERIA.items():
            criterion.check(getattr(self, name))
        if self.min_dte > self.max_dte:
            raise CriteriaError(
                f"min DTE {self.min_dte} is above max DTE {self.max_dte}", ("min_dte", "max_dte")
            )

    @classmethod
    def from_weeks(cls, weeks: int, **overrides: Any) -> Criteria:
        WEEKS.check(weeks)
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
class Criterion:
    """One criterion as the config file and the command line see it.

    `label` names it in a sentence ("max delta"); `whole` is for counts and days.
    """

    name: str
    default: float | None
    whole: bool
    label: str
    help: str
    valid: Range

    @classmethod
    def of(cls, spec: Field[Any]) -> Criterion:
        meta = spec.metadata
        return cls(
            spec.name, spec.default, spec.type == "int", meta["label"], meta["help"], meta["range"]
        )

    def check(self, value: float) -> None:
        """Raise CriteriaError, naming this criterion, when `value` is out of range."""
        problem = self.valid.problem(value)
        if problem:
            raise CriteriaError(f"{self.label} {problem}", (self.name,))


CRITERIA: dict[str, Criterion] = {spec.name: Criterion.of(spec) for spec in fields(Criteria)}
WEEKS = Criterion(
    "weeks", None, True, "weeks", "max DTE = 7 × weeks (instead of max_dte)", Range(1)
)
"""Not a field: `weeks` sets max_dte to 7 × weeks (config key and --weeks)."""


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
