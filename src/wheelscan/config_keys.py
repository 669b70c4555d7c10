"""The config keys: what kind of value each takes, its default, and what makes it bad.

Every criterion-like key is read from its rulebook's fields (`Criterion`): the
DCF model's under their `DCF_KEYS` names, the covered calls' under `CONFIG_PREFIX`;
config.py adds the plain settings of `Settings` and assembles `KEYS`. Here too: the
rulebooks a config file's keys set, and their defaults. The DCF, call and plan
rulebooks are imported when first needed, not with this module: the JSON readers
(cli/fast.py) load the config without them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wheelscan.core.criterion import Criterion
from wheelscan.core.errors import InputError
from wheelscan.core.models import CRITERIA, WEEKS, Criteria, CriteriaError

if TYPE_CHECKING:
    from wheelscan.core.call_criteria import CallCriteria
    from wheelscan.core.plan_inputs import PlanRules
    from wheelscan.core.valuation import DcfParams


class ConfigError(InputError):
    """A config file or a `config set` value that cannot be used."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# A key's kind -> (is this TOML value of that kind, how a message names the kind).
_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "whole": (_whole, "a whole number"),
    "number": (_number, "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "string": (lambda v: isinstance(v, str), "a string"),
}


def _no_problem(_: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Key:
    """One config key: its kind (a `_KINDS` name), its default, and what makes a value bad."""

    name: str
    default: Any
    kind: str
    help: str
    problem: Callable[[Any], str | None] = _no_problem

    def check(self, value: Any) -> str | None:
        """None when `value` is acceptable, else what is wrong with it."""
        is_kind, wanted = _KINDS[self.kind]
        if not is_kind(value):
            return f"must be {wanted}, got {_toml_repr(value)} ({_toml_type(value)})"
        if self.kind == "number" and math.isnan(value):
            return "must be a number, got nan"
        return self.problem(value)

    def parse(self, text: str) -> Any:
        """A `config set` value typed on the command line, converted to this key's type."""
        raw = text.strip()
        try:
            if self.kind == "whole":
                return int(raw)
            if self.kind == "number":
                return float(raw)
        except ValueError:
            raise ConfigError(f"{self.name} must be {_KINDS[self.kind][1]}, got {text!r}") from None
        if self.kind == "bool":
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ConfigError(f"{self.name} must be true or false, got {text!r}")
        return raw


def zero_or_at_least(low: float) -> Callable[[Any], str | None]:
    """0 turns the thing off; otherwise a floor, so a tiny rate cannot stall a scan for years."""

    def problem(value: Any) -> str | None:
        if value == 0 or (value >= low and math.isfinite(value)):
            return None
        return f"must be 0 (off) or a finite number >= {low:g}, got {value}"

    return problem


def setting_field(
    default: Any, kind: str, help: str, problem: Callable[[Any], str | None] = _no_problem
) -> Any:
    """A Settings field that is also a config key."""
    return field(default=default, metadata={"key": (kind, help, problem)})


def criterion_key(criterion: Criterion) -> Key:
    return Key(criterion.name, criterion.default, criterion.kind, criterion.help, criterion.problem)


@functools.cache
def dcf_fields() -> dict[str, str]:
    """Config key -> DcfParams field."""
    from wheelscan.core.valuation import DCF_KEYS, DcfParams

    return {DCF_KEYS[spec.name]: spec.name for spec in fields(DcfParams)}


def dcf_keys() -> list[Key]:
    from wheelscan.core.valuation import DCF_KEYS, DcfParams

    return [
        replace(criterion_key(Criterion.of(spec)), name=DCF_KEYS[spec.name])
        for spec in fields(DcfParams)
    ]


@functools.cache
def call_fields() -> dict[str, str]:
    """Config key (call_max_delta, ...) -> CallCriteria field."""
    from wheelscan.core.call_criteria import CALL_CRITERIA, CONFIG_PREFIX

    return {CONFIG_PREFIX + name: name for name in CALL_CRITERIA}


def call_keys() -> list[Key]:
    from wheelscan.core.call_criteria import CALL_CRITERIA, CONFIG_PREFIX

    return [replace(criterion_key(c), name=CONFIG_PREFIX + c.name) for c in CALL_CRITERIA.values()]


def _toml_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", dict: "table"}
    return names.get(type(value), "array" if isinstance(value, list) else type(value).__name__)


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


# -- the rulebooks the keys set, and their defaults (imported when first needed) --


def plan_from(data: Mapping[str, Any]) -> PlanRules:
    """The plan rules a config file's keys set (SPEC 10); raises CriteriaError."""
    from wheelscan.core.plan_inputs import PLAN_RULES, PlanRules

    return PlanRules(**{key: data[key] for key in PLAN_RULES if key in data})


def plan_keys() -> tuple[str, ...]:
    from wheelscan.core.plan_inputs import PLAN_RULES

    return tuple(PLAN_RULES)


def criteria_from(data: Mapping[str, Any]) -> Criteria:
    """The criteria a config file's keys set (defaults for the rest); raises CriteriaError.

    An error about max_dte names `weeks` too, when weeks is what set it.
    """
    values = {key: data[key] for key in CRITERIA if key in data}
    if data.get("weeks") is not None:
        values["max_dte"] = 7 * data["weeks"]
    try:
        return Criteria(**values)
    except CriteriaError as error:
        if "max_dte" in error.keys and "weeks" in data:
            raise CriteriaError(str(error), (*error.keys, "weeks")) from None
        raise


def calls_from(data: Mapping[str, Any]) -> CallCriteria:
    """The covered-call criteria a config file's `call_` keys set; raises CriteriaError
    naming those keys."""
    from wheelscan.core.call_criteria import CONFIG_PREFIX, CallCriteria

    chosen = {field: data[key] for key, field in call_fields().items() if key in data}
    try:
        return CallCriteria(**chosen)
    except CriteriaError as error:
        raise CriteriaError(str(error), tuple(CONFIG_PREFIX + k for k in error.keys)) from None


def default_dcf() -> DcfParams:
    from wheelscan.core.valuation import DcfParams

    return DcfParams()


def default_calls() -> CallCriteria:
    from wheelscan.core.call_criteria import CallCriteria

    return CallCriteria()


def default_plan() -> PlanRules:
    from wheelscan.core.plan_inputs import PlanRules

    return PlanRules()


def absolute_or_empty(text: str) -> str | None:
    if not text or Path(text).expanduser().is_absolute():
        return None
    return f"must be an absolute path (or empty for the default), got {text!r}"


def criteria_keys() -> list[Key]:
    return [criterion_key(WEEKS), *(criterion_key(c) for c in CRITERIA.values())]
