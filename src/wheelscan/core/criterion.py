"""One criterion field, the way every rulebook of wheelscan defines its settings.

`Criteria` (puts), `CallCriteria` (covered calls) and `PlanRules` (the plan) are
frozen dataclasses whose fields are made with `criterion_field` / `choice_field`:
each default, label, help text and range is written once, on the field, and the
config table and the command-line options read the `Criterion` of each field
(`rule_table`). `Rulebook` gives the three the same checks and overrides.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any, Self

from wheelscan.core.errors import InputError


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


def criterion_field(default: float, label: str, help: str, valid: Range) -> Any:
    return field(default=default, metadata={"label": label, "help": help, "range": valid})


def choice_field(default: str, label: str, help: str, choices: tuple[str, ...]) -> Any:
    return field(default=default, metadata={"label": label, "help": help, "choices": choices})


@dataclass(frozen=True)
class Criterion:
    """One criterion as the config file and the command line see it.

    `label` names it in a sentence ("max delta"); `whole` is for counts and days. A
    numeric criterion has a `valid` range; a word (the earnings policy) has `choices`.
    """

    name: str
    default: float | str | None
    whole: bool
    label: str
    help: str
    valid: Range | None
    choices: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: Field[Any]) -> Criterion:
        meta = spec.metadata
        return cls(
            spec.name,
            spec.default,
            spec.type == "int",
            meta["label"],
            meta["help"],
            meta.get("range"),
            meta.get("choices", ()),
        )

    @property
    def kind(self) -> str:
        """How a config file writes it: `whole`, `number` or `string`."""
        if self.choices:
            return "string"
        return "whole" if self.whole else "number"

    def problem(self, value: Any) -> str | None:
        """None when `value` is acceptable, else what is wrong ('must be >= 0, got -1')."""
        if self.choices:
            if value in self.choices:
                return None
            return f"must be one of {', '.join(self.choices)}, got {value!r}"
        return self.valid.problem(value) if self.valid else None

    def check(self, value: Any) -> None:
        """Raise CriteriaError, naming this criterion, when `value` is not acceptable."""
        problem = self.problem(value)
        if problem:
            raise CriteriaError(f"{self.label} {problem}", (self.name,))


def rule_table(rulebook: type) -> dict[str, Criterion]:
    """The `Criterion` of each field of a rulebook dataclass, by field name."""
    return {spec.name: Criterion.of(spec) for spec in fields(rulebook)}


class Rulebook:
    """What `Criteria`, `CallCriteria` and `PlanRules` share (mixed into frozen dataclasses)."""

    def check_fields(self, table: dict[str, Criterion]) -> None:
        """Raise CriteriaError for the first field whose value `table` does not accept."""
        for name, criterion in table.items():
            criterion.check(getattr(self, name))

    def with_overrides(self, **overrides: Any) -> Self:
        """A copy with the given fields replaced; `None` values are ignored."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **changes)  # type: ignore[type-var]
