"""`config.toml`: the user's settings, validated key by key, and the effective settings.

Precedence: command line over config file over defaults. The file is optional
(the first run writes nothing); `wheelscan config set` creates it. Reading uses
tomllib; writing uses tomlkit so the user's comments and order survive, and goes
through an atomic replace; tomlkit is imported only by the commands that write.
Each key is defined once: the criteria's in `Criteria`, the DCF model's in `DcfParams`
(named by `DCF_KEYS`), the plan's in `PlanRules`, the others' in `Settings`.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wheelscan.core.call_criteria import CALL_CRITERIA, CONFIG_PREFIX, CallCriteria
from wheelscan.core.errors import InputError
from wheelscan.core.models import CRITERIA, WEEKS, Criteria, CriteriaError, Criterion, Range
from wheelscan.core.plan_inputs import PLAN_RULES, PlanRules
from wheelscan.core.sources import SOURCE_FORMS, parse_source, source_problem
from wheelscan.core.valuation import DCF_KEYS, DcfParams
from wheelscan.files import atomic_write_text
from wheelscan.paths import config_dir, private_dir

if TYPE_CHECKING:
    from wheelscan.cli.options import CriteriaOptions

CONFIG_FILE = "config.toml"
DEFAULT = "default"
CONFIG_FILE_ORIGIN = "config file"
COMMAND_LINE = "command line"


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


def _zero_or_at_least(low: float) -> Callable[[Any], str | None]:
    """0 turns the thing off; otherwise a floor, so a tiny rate cannot stall a scan for years."""

    def problem(value: Any) -> str | None:
        if value == 0 or (value >= low and math.isfinite(value)):
            return None
        return f"must be 0 (off) or a finite number >= {low:g}, got {value}"

    return problem


def _setting(
    default: Any, kind: str, help: str, problem: Callable[[Any], str | None] = _no_problem
) -> Any:
    """A Settings field that is also a config key."""
    return field(default=default, metadata={"key": (kind, help, problem)})


def _criterion_key(criterion: Criterion) -> Key:
    return Key(criterion.name, criterion.default, criterion.kind, criterion.help, criterion.problem)


DCF_FIELDS = {DCF_KEYS[spec.name]: spec.name for spec in fields(DcfParams)}
"""Config key -> DcfParams field."""


def _dcf_keys() -> list[Key]:
    return [
        replace(_criterion_key(Criterion.of(spec)), name=DCF_KEYS[spec.name])
        for spec in fields(DcfParams)
    ]


CALL_FIELDS = {CONFIG_PREFIX + name: name for name in CALL_CRITERIA}
"""Config key (call_max_delta, ...) -> CallCriteria field."""


def _call_keys() -> list[Key]:
    return [replace(_criterion_key(c), name=CONFIG_PREFIX + c.name) for c in CALL_CRITERIA.values()]


def _plan_from(data: Mapping[str, Any]) -> PlanRules:
    """The plan rules a config file's keys set (SPEC 10); raises CriteriaError."""
    return PlanRules(**{key: data[key] for key in PLAN_RULES if key in data})


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


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(KEYS)})"
    return f"unknown key {key!r}{hint}"


def _where(path: Path, text: str, *keys: str) -> str:
    """`path:line` of the first of `keys` the file sets (just `path` when none is found)."""
    lines = [line for key in keys if (line := key_line(text, key))]
    return f"{path}:{min(lines)}" if lines else str(path)


def _checked_keys(text: str, path: Path) -> dict[str, Any]:
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


def _criteria_from(data: Mapping[str, Any]) -> Criteria:
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


def _calls_from(data: Mapping[str, Any]) -> CallCriteria:
    """The covered-call criteria a config file's `call_` keys set; raises CriteriaError
    naming those keys."""
    try:
        return CallCriteria(**{CALL_FIELDS[key]: data[key] for key in CALL_FIELDS if key in data})
    except CriteriaError as error:
        raise CriteriaError(str(error), tuple(CONFIG_PREFIX + k for k in error.keys)) from None


def parse_config(text: str, path: Path) -> dict[str, Any]:
    """The validated key/value pairs of a config file's text (only the keys it sets).

    Every error names the file and, when it can be found, the line: `path:line: message`.
    """
    data = _checked_keys(text, path)
    try:
        _criteria_from(data)
        _calls_from(data)
        _plan_from(data)
    except CriteriaError as error:
        raise ConfigError(f"{_where(path, text, *error.keys)}: {error}") from None
    return data


@dataclass(frozen=True)
class Settings:
    """Everything a scan runs with besides its symbols, and where each value came from.

    `Settings()` holds the defaults (each defined here once, or in `Criteria`);
    `load_settings` puts the config file on top, `with_command_line` the command
    line. `origins` (key -> DEFAULT, CONFIG_FILE_ORIGIN or COMMAND_LINE) and
    `path` are what `config show` prints. `heartbeat_s` is not a config key.
    """

    source: str = _setting("yahoo", "string", SOURCE_FORMS, source_problem)
    criteria: Criteria = field(default_factory=Criteria)
    dcf: DcfParams = field(default_factory=DcfParams)
    concurrency: int = _setting(8, "whole", "requests in flight", Range(1, 64).problem)
    rate_limit_per_s: float | None = _setting(
        None,
        "number",
        "requests per second (0 = unpaced; unset = the source's own)",
        _zero_or_at_least(0.1),
    )
    results_ttl_minutes: float = _setting(
        45.0, "number", "how long results stay fresh", Range(0, low_open=True).problem
    )
    chain_cache_minutes: float = _setting(
        10.0, "number", "how long options answers are re-used (0 = never)", Range(0).problem
    )
    lock_ttl_s: float = _setting(
        60.0, "number", "scan lock lifetime, renewed by heartbeats", Range(5).problem
    )
    heartbeat_s: float = 15.0
    calls: CallCriteria = field(default_factory=CallCriteria)
    plan: PlanRules = field(default_factory=PlanRules)
    cash: float | None = _setting(
        None,
        "number",
        "dollars for the wheel: free cash = cash − collateral of open short puts",
        Range(0).problem,
    )
    allow_closed: bool = _setting(False, "bool", "scan live while the market is closed")
    origins: Mapping[str, str] = field(
        default_factory=lambda: dict.fromkeys(KEYS, DEFAULT), repr=False, compare=False
    )
    path: Path = field(default_factory=config_path, repr=False, compare=False)

    def __post_init__(self) -> None:
        parse_source(self.source)

    def value(self, key: str) -> Any:
        if key in CRITERIA:
            return getattr(self.criteria, key)
        if key in CALL_FIELDS:
            return getattr(self.calls, CALL_FIELDS[key])
        if key in DCF_FIELDS:
            return getattr(self.dcf, DCF_FIELDS[key])
        if key in PLAN_RULES:
            return getattr(self.plan, key)
        return getattr(self, key)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(key, effective value, origin) for every key, in the documented order."""
        return [
            (key, self.value(key), self.origins.get(key, DEFAULT)) for key in KEYS if key != "weeks"
        ]

    def with_command_line(
        self,
        criteria_options: CriteriaOptions | None = None,
        *,
        source: str | None = None,
        allow_closed: bool | None = None,
    ) -> Settings:
        """These settings with the command line on top: `None` (`False` for --force) is
        "not given"; `CriteriaOptions.overrides` lets --max-dte win over --weeks."""
        origins = dict(self.origins)
        changes: dict[str, Any] = {}
        if criteria_options is not None:
            overrides = criteria_options.overrides()
            changes["criteria"] = self.criteria.with_overrides(**overrides)
            origins.update(dict.fromkeys(overrides, COMMAND_LINE))
        if source is not None:
            changes["source"] = source
            origins["source"] = COMMAND_LINE
        if allow_closed:
            changes["allow_closed"] = True
            origins["allow_closed"] = COMMAND_LINE
        return replace(self, origins=origins, **changes)


KEYS: dict[str, Key] = {
    key.name: key
    for key in [
        _criterion_key(WEEKS),
        *(_criterion_key(criterion) for criterion in CRITERIA.values()),
        *_call_keys(),
        *_dcf_keys(),
        *(_criterion_key(rule) for rule in PLAN_RULES.values()),
        *(Key(f.name, f.default, *f.metadata["key"]) for f in fields(Settings) if f.metadata),
    ]
}


def load_settings(path: Path | None = None) -> Settings:
    """Defaults with the config file on top (no command line)."""
    path = path or config_path()
    try:
        stored = parse_config(path.read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        stored = {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    origins = dict.fromkeys(KEYS, DEFAULT)
    values: dict[str, Any] = {}
    for key, value in stored.items():
        values[key] = float(value) if KEYS[key].kind == "number" else value
        origins[key] = CONFIG_FILE_ORIGIN
    if "weeks" in stored:
        origins["max_dte"] = f"{CONFIG_FILE_ORIGIN} (weeks = {stored['weeks']})"
    own = {*CRITERIA, *DCF_FIELDS, *CALL_FIELDS, *PLAN_RULES, "weeks"}
    settings = {key: values[key] for key in values if key not in own}
    settings["calls"] = _calls_from(values)
    settings["plan"] = _plan_from(values)
    dcf = DcfParams(**{DCF_FIELDS[key]: values[key] for key in values if key in DCF_FIELDS})
    return Settings(
        criteria=_criteria_from(values), dcf=dcf, origins=origins, path=path, **settings
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
    """Write the file only if every command could then read it."""
    import tomlkit

    text = tomlkit.dumps(document)
    try:
        checked = _checked_keys(text, path)
        _criteria_from(checked)
        _calls_from(checked)
        _plan_from(checked)
    except CriteriaError as error:
        raise ConfigError(f"{path.name} not changed: {error}") from None
    private_dir(path.parent)
    atomic_write_text(path, text)
