"""`config.toml`: the user's settings, validated key by key, and the effective settings.

Precedence: command line over config file over defaults. The file is optional
(the first run writes nothing); `wheelscan config set` creates it. Reading uses
tomllib; writing uses tomlkit so the user's comments and order survive, and goes
through an atomic replace.

This module is on the start-up path of `status` and `results`, so it imports
neither numpy (core.models) nor tomlkit at module level.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wheelscan.core.errors import InputError
from wheelscan.files import atomic_write_text
from wheelscan.paths import config_dir, private_dir

if TYPE_CHECKING:
    from wheelscan.cli.options import CriteriaOptions
    from wheelscan.core.models import Criteria
    from wheelscan.engine import EngineSettings
    from wheelscan.lifecycle import ScanSettings

CONFIG_FILE = "config.toml"
DEFAULT = "default"
CONFIG_FILE_ORIGIN = "config file"
COMMAND_LINE = "command line"
SOURCE_HELP = "yahoo, demo or snapshot:DIR"


class ConfigError(InputError):
    """A config file or a `config set` value that cannot be used."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _source_problem(value: str) -> str | None:
    if value in ("yahoo", "demo"):
        return None
    if value.startswith("snapshot:") and value[len("snapshot:") :].strip():
        return None
    return f"must be one of {SOURCE_HELP}, got {value!r}"


@dataclass(frozen=True)
class Key:
    """One config key: its TOML type, its default, and the range it must lie in."""

    name: str
    kind: str  # "whole", "number", "bool", "string"
    default: Any
    help: str
    problem: Callable[[Any], str | None] = field(default=lambda _: None)

    def check(self, value: Any) -> str | None:
        """None when `value` is acceptable, else what is wrong with it."""
        type_ok = {
            "whole": _whole,
            "number": _number,
            "bool": lambda v: isinstance(v, bool),
            "string": lambda v: isinstance(v, str),
        }[self.kind](value)
        if not type_ok:
            wanted = {
                "whole": "a whole number",
                "number": "a number",
                "bool": "true or false",
                "string": "a string",
            }[self.kind]
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
            wanted = "a whole number" if self.kind == "whole" else "a number"
            raise ConfigError(f"{self.name} must be {wanted}, got {text!r}") from None
        if self.kind == "bool":
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ConfigError(f"{self.name} must be true or false, got {text!r}")
        return raw


def _at_least(low: float, inclusive: bool = True) -> Callable[[Any], str | None]:
    def problem(value: Any) -> str | None:
        if isinstance(value, float) and math.isinf(value):
            return f"must be a finite number, got {value}"
        if value > low or (inclusive and value == low):
            return None
        return f"must be {'>=' if inclusive else '>'} {low:g}, got {value}"

    return problem


def _between(low: float, high: float, low_inclusive: bool = True) -> Callable[[Any], str | None]:
    def problem(value: Any) -> str | None:
        above = value >= low if low_inclusive else value > low
        if above and value <= high:
            return None
        opening = "[" if low_inclusive else "("
        return f"must be in {opening}{low:g}, {high:g}], got {value}"

    return problem


def _zero_or_at_least(low: float) -> Callable[[Any], str | None]:
    """0 turns the thing off; otherwise a floor, so a tiny rate cannot stall a scan for years."""

    def problem(value: Any) -> str | None:
        if value == 0 or (value >= low and math.isfinite(value)):
            return None
        return f"must be 0 (off) or a finite number >= {low:g}, got {value}"

    return problem


def _non_negative_or_inf(value: Any) -> str | None:
    return None if value >= 0 else f"must be >= 0 (inf for no limit), got {value}"


# The criteria defaults are SPEC 3's, the same as core.models.Criteria's (a test holds them equal).
KEYS: dict[str, Key] = {
    k.name: k
    for k in [
        Key("weeks", "whole", None, "max DTE = 7 × weeks (instead of max_dte)", _at_least(1)),
        Key("min_dte", "whole", 1, "minimum days to expiry", _at_least(0)),
        Key("max_dte", "whole", 28, "maximum days to expiry", _at_least(1)),
        Key("min_return_pct", "number", 30.0, "minimum annualized return, %", _at_least(0)),
        Key("max_delta", "number", 0.20, "maximum |delta|", _between(0, 1, low_inclusive=False)),
        Key("min_open_interest", "whole", 0, "minimum open interest", _at_least(0)),
        Key("max_spread_pct", "number", math.inf, "maximum spread, % of mid", _non_negative_or_inf),
        Key("risk_free_rate_pct", "number", 4.0, "risk-free rate, %", _between(-5, 50)),
        Key("source", "string", "yahoo", SOURCE_HELP, _source_problem),
        Key("concurrency", "whole", 8, "requests in flight", _between(1, 64)),
        Key(
            "rate_limit_per_s",
            "number",
            None,
            "requests per second (0 = unpaced; unset = the source's own)",
            _zero_or_at_least(0.1),
        ),
        Key(
            "results_ttl_minutes",
            "number",
            45.0,
            "how long results stay fresh",
            _at_least(0, False),
        ),
        Key(
            "lock_ttl_s",
            "number",
            60.0,
            "scan lock lifetime, renewed by heartbeats",
            _at_least(5),
        ),
        Key("allow_closed", "bool", False, "scan live while the market is closed"),
    ]
}
CRITERIA_KEYS = (
    "min_dte",
    "max_dte",
    "min_return_pct",
    "max_delta",
    "min_open_interest",
    "max_spread_pct",
    "risk_free_rate_pct",
)
# CriteriaOptions field -> the criteria key it sets.
_OPTION_KEYS = {
    "weeks": "max_dte",
    "min_dte": "min_dte",
    "max_dte": "max_dte",
    "min_return": "min_return_pct",
    "max_delta": "max_delta",
    "min_oi": "min_open_interest",
    "max_spread": "max_spread_pct",
    "rate": "risk_free_rate_pct",
}


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def _toml_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", dict: "table"}
    return names.get(type(value), "array" if isinstance(value, list) else type(value).__name__)


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def key_line(text: str, key: str) -> int | None:
    """The 1-based line where `key` is assigned or opens a table, if it can be found."""
    name = rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
    pattern = re.compile(rf"^[ \t]*(?:{name}[ \t]*=|\[\[?[ \t]*{name}[ \t]*[\].])", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _where(path: Path, text: str, key: str) -> str:
    line = key_line(text, key)
    return f"{path}:{line}" if line else str(path)


def _unknown_key_message(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(KEYS)})"
    return f"unknown key {key!r}{hint}"


def parse_config(text: str, path: Path) -> dict[str, Any]:
    """The validated key/value pairs of a config file's text (only the keys it sets)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    for key, value in data.items():
        spec = KEYS.get(key)
        if spec is None:
            raise ConfigError(f"{_where(path, text, key)}: {_unknown_key_message(key)}")
        problem = spec.check(value)
        if problem:
            raise ConfigError(f"{_where(path, text, key)}: {key} {problem}")
    if "weeks" in data and "max_dte" in data:
        raise ConfigError(
            f"{_where(path, text, 'max_dte')}: set weeks or max_dte, not both "
            "(weeks sets max_dte to 7 × weeks)"
        )
    return data


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The validated contents of the config file; empty when there is none."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    return parse_config(text, path)


@dataclass(frozen=True)
class Settings:
    """The effective settings and, for `config show`, where each value came from."""

    source: str
    concurrency: int
    rate_limit_per_s: float | None
    results_ttl_minutes: float
    lock_ttl_s: float
    allow_closed: bool
    criteria_values: Mapping[str, Any]
    origins: Mapping[str, str]
    path: Path

    @cached_property
    def criteria(self) -> Criteria:
        """The criteria in force (built on first use: core.models imports numpy)."""
        from wheelscan.core.models import Criteria, CriteriaError

        try:
            return Criteria(**self.criteria_values)
        except CriteriaError as error:
            raise ConfigError(f"{self.path}: {error}") from None

    @property
    def results_ttl_s(self) -> float:
        return self.results_ttl_minutes * 60.0

    def engine_settings(self) -> EngineSettings:
        from wheelscan.engine import EngineSettings

        return EngineSettings(concurrency=self.concurrency, rate_limit_per_s=self.rate_limit_per_s)

    def scan_settings(self, intrinsic_values: Mapping[str, float] | None = None) -> ScanSettings:
        """What the scan lifecycle runs with: every setting here, plus the watchlist's values."""
        from wheelscan.lifecycle import ScanSettings

        return ScanSettings(
            source=self.source,
            criteria=self.criteria,
            results_ttl_minutes=self.results_ttl_minutes,
            lock_ttl_s=self.lock_ttl_s,
            allow_closed=self.allow_closed,
            concurrency=self.concurrency,
            rate_limit_per_s=self.rate_limit_per_s,
            intrinsic_values=dict(intrinsic_values or {}),
        )

    def value(self, key: str) -> Any:
        if key in CRITERIA_KEYS:
            return self.criteria_values[key]
        return getattr(self, key)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(key, effective value, origin) for every key, in the documented order."""
        return [(key, self.value(key), self.origins[key]) for key in KEYS if key != "weeks"]

    def with_command_line(
        self,
        criteria_options: CriteriaOptions | None = None,
        *,
        source: str | None = None,
        allow_closed: bool | None = None,
    ) -> Settings:
        """These settings with what was typed on the command line on top.

        `None` (or `False` for `--force`) means "not given". The criteria go
        through `CriteriaOptions.apply`, so `--max-dte` wins over `--weeks` as it
        does everywhere.
        """
        origins = dict(self.origins)
        changes: dict[str, Any] = {}
        if criteria_options is not None:
            criteria = criteria_options.apply(self.criteria)
            changes["criteria_values"] = asdict(criteria)
            for option, key in _OPTION_KEYS.items():
                if getattr(criteria_options, option) is not None:
                    origins[key] = COMMAND_LINE
        if source is not None:
            if _source_problem(source):
                raise ConfigError(f"unknown source {source!r}: use one of {SOURCE_HELP}")
            changes["source"] = source
            origins["source"] = COMMAND_LINE
        if allow_closed:
            changes["allow_closed"] = True
            origins["allow_closed"] = COMMAND_LINE
        return replace(self, origins=origins, **changes)


def load_settings(path: Path | None = None) -> Settings:
    """Defaults with the config file on top (no command line)."""
    path = path or config_path()
    stored = read_config(path)
    values = {key: spec.default for key, spec in KEYS.items()}
    origins = dict.fromkeys(KEYS, DEFAULT)
    for key, value in stored.items():
        values[key] = float(value) if KEYS[key].kind == "number" else value
        origins[key] = CONFIG_FILE_ORIGIN
    if stored.get("weeks") is not None:
        values["max_dte"] = 7 * stored["weeks"]
        origins["max_dte"] = f"{CONFIG_FILE_ORIGIN} (weeks = {stored['weeks']})"
    return Settings(
        source=values["source"],
        concurrency=values["concurrency"],
        rate_limit_per_s=values["rate_limit_per_s"],
        results_ttl_minutes=values["results_ttl_minutes"],
        lock_ttl_s=values["lock_ttl_s"],
        allow_closed=values["allow_closed"],
        criteria_values={key: values[key] for key in CRITERIA_KEYS},
        origins=origins,
        path=path,
    )


def effective_settings(
    criteria_options: CriteriaOptions | None = None,
    *,
    source: str | None = None,
    allow_closed: bool | None = None,
    path: Path | None = None,
) -> Settings:
    """Command line over config file over defaults: what a command should run with."""
    return load_settings(path).with_command_line(
        criteria_options, source=source, allow_closed=allow_closed
    )


def _load_document(path: Path) -> Any:
    import tomlkit

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        document = tomlkit.document()
        document.add(
            tomlkit.comment("wheelscan settings: `wheelscan config show` lists every key.")
        )
        return document
    parse_config(text, path)
    return tomlkit.parse(text)


def set_value(key: str, raw_value: str, path: Path | None = None) -> tuple[Any, list[str]]:
    """Validate and store `key = value`, keeping the file's comments and order.

    Returns the stored value and the keys removed because the new one replaces
    them (weeks and max_dte set the same thing).
    """
    path = path or config_path()
    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(_unknown_key_message(key))
    value = spec.parse(raw_value)
    problem = spec.check(value)
    if problem:
        raise ConfigError(f"{key} {problem}")
    document = _load_document(path)
    removed = []
    rival = {"weeks": "max_dte", "max_dte": "weeks"}.get(key)
    if rival and rival in document:
        del document[rival]
        removed.append(rival)
    document[key] = value
    _write_document(document, path)
    return value, removed


def unset_value(key: str, path: Path | None = None) -> bool:
    """Remove `key` from the file (back to its default); False when it was not set."""
    path = path or config_path()
    if key not in KEYS:
        raise ConfigError(_unknown_key_message(key))
    if not path.exists():
        return False
    document = _load_document(path)
    if key not in document:
        return False
    del document[key]
    _write_document(document, path)
    return True


def _write_document(document: Any, path: Path) -> None:
    import tomlkit

    text = tomlkit.dumps(document)
    parse_config(text, path)
    private_dir(path.parent)
    atomic_write_text(path, text)
