"""`config.toml`: the user's settings, validated key by key, and the effective settings.

Precedence: command line over config file over defaults. The file is optional
(the first run writes nothing); `wheelscan config set` creates it. Reading uses
tomllib; writing uses tomlkit so the user's comments and order survive, and goes
through an atomic replace; tomlkit is imported only by the commands that write.
Each key is defined once: the criteria's in `Criteria`, the DCF model's in `DcfParams`
(named by `DCF_KEYS`), the plan's in `PlanRules`, the others' in `Settings`; the
kinds and checks of the key table are config_keys.py.

The DCF, call and plan rulebooks are imported only when they are needed: to build
a `Settings`, to list every key (`KEYS`), or to check a file that sets one of
their keys. `reader_settings` gives the plain settings (source, TTL, cash) without
them, so the JSON readers that scripts call in a loop (cli/fast.py) start quickly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wheelscan.config_keys import (
    ConfigError,
    Key,
    absolute_or_empty,
    call_fields,
    call_keys,
    calls_from,
    criteria_from,
    criteria_keys,
    criterion_key,
    dcf_fields,
    dcf_keys,
    default_calls,
    default_dcf,
    default_plan,
    plan_from,
    plan_keys,
    setting_field,
    zero_or_at_least,
)
from wheelscan.core.models import CRITERIA, Criteria, CriteriaError, Range
from wheelscan.core.sources import SOURCE_FORMS, parse_source, source_problem
from wheelscan.files import atomic_write_text
from wheelscan.paths import config_dir, private_dir

if TYPE_CHECKING:
    from wheelscan.cli.options import CriteriaOptions
    from wheelscan.core.call_criteria import CallCriteria
    from wheelscan.core.plan_inputs import PlanRules
    from wheelscan.core.valuation import DcfParams

CONFIG_FILE = "config.toml"
DEFAULT = "default"
CONFIG_FILE_ORIGIN = "config file"
COMMAND_LINE = "command line"


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def key_line(text: str, key: str) -> int | None:
    """The 1-based line where `key` is assigned or opens a table, if it can be found."""
    name = rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
    pattern = re.compile(rf"^[ \t]*(?:{name}[ \t]*=|\[\[?[ \t]*{name}[ \t]*[\].])", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _unknown_key_message(key: str) -> str:
    import difflib

    keys = all_keys()
    close = difflib.get_close_matches(key, keys, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(keys)})"
    return f"unknown key {key!r}{hint}"


def _where(path: Path, text: str, *keys: str) -> str:
    """`path:line` of the first of `keys` the file sets (just `path` when none is found)."""
    lines = [line for key in keys if (line := key_line(text, key))]
    return f"{path}:{min(lines)}" if lines else str(path)


def _checked_keys(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # not at the top: without a config file nothing needs it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    for key, value in data.items():
        spec = key_spec(key)
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


def _check_rules(data: Mapping[str, Any]) -> None:
    """Raise CriteriaError when the rulebooks refuse what the keys set together (a rulebook
    none of whose keys is set holds its defaults, which it accepts)."""
    criteria_from(data)
    if not data.keys() <= _plain_keys().keys():
        calls_from(data)
        plan_from(data)


def parse_config(text: str, path: Path) -> dict[str, Any]:
    """The validated key/value pairs of a config file's text (only the keys it sets).

    Every error names the file and, when it can be found, the line: `path:line: message`.
    """
    data = _checked_keys(text, path)
    try:
        _check_rules(data)
    except CriteriaError as error:
        raise ConfigError(f"{_where(path, text, *error.keys)}: {error}") from None
    return data


def read_config(path: Path) -> dict[str, Any]:
    """The keys the file at `path` sets (none when there is no file), validated, each
    value as Settings holds it (a number key's value a float)."""
    try:
        stored = parse_config(path.read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    numbers = {key for key in stored if (spec := key_spec(key)) and spec.kind == "number"}
    return {key: float(value) if key in numbers else value for key, value in stored.items()}


@dataclass(frozen=True)
class Settings:
    """Everything a scan runs with besides its symbols, and where each value came from.

    `Settings()` holds the defaults (each defined here once, or in `Criteria`);
    `load_settings` puts the config file on top, `with_command_line` the command
    line. `origins` (key -> DEFAULT, CONFIG_FILE_ORIGIN or COMMAND_LINE) and
    `path` are what `config show` prints. `heartbeat_s` is not a config key.
    """

    source: str = setting_field("yahoo", "string", SOURCE_FORMS, source_problem)
    criteria: Criteria = field(default_factory=Criteria)
    dcf: DcfParams = field(default_factory=default_dcf)
    concurrency: int = setting_field(8, "whole", "requests in flight", Range(1, 64).problem)
    rate_limit_per_s: float | None = setting_field(
        None,
        "number",
        "requests per second (0 = unpaced; unset = the source's own)",
        zero_or_at_least(0.1),
    )
    results_ttl_minutes: float = setting_field(
        45.0, "number", "how long results stay fresh", Range(0, low_open=True).problem
    )
    chain_cache_minutes: float = setting_field(
        10.0, "number", "how long options answers are re-used (0 = never)", Range(0).problem
    )
    lock_ttl_s: float = setting_field(
        60.0, "number", "scan lock lifetime, renewed by heartbeats", Range(5).problem
    )
    heartbeat_s: float = 15.0
    calls: CallCriteria = field(default_factory=default_calls)
    plan: PlanRules = field(default_factory=default_plan)
    cash: float | None = setting_field(
        None,
        "number",
        "dollars for the wheel: free cash = cash − collateral of open short puts",
        Range(0).problem,
    )
    allow_closed: bool = setting_field(False, "bool", "scan live while the market is closed")
    export_dir: str = setting_field(
        "",
        "string",
        "where `e` in the app writes (empty: Downloads if there is one, else the state dir's "
        "exports/)",
        absolute_or_empty,
    )
    origins: Mapping[str, str] = field(
        default_factory=lambda: dict.fromkeys(all_keys(), DEFAULT), repr=False, compare=False
    )
    path: Path = field(default_factory=config_path, repr=False, compare=False)

    def __post_init__(self) -> None:
        parse_source(self.source)

    def value(self, key: str) -> Any:
        if key in CRITERIA:
            return getattr(self.criteria, key)
        if key in call_fields():
            return getattr(self.calls, call_fields()[key])
        if key in dcf_fields():
            return getattr(self.dcf, dcf_fields()[key])
        if key in plan_keys():
            return getattr(self.plan, key)
        return getattr(self, key)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(key, effective value, origin) for every key, in the documented order."""
        return [
            (key, self.value(key), self.origins.get(key, DEFAULT))
            for key in all_keys()
            if key != "weeks"
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


def _setting_keys() -> list[Key]:
    return [Key(f.name, f.default, *f.metadata["key"]) for f in fields(Settings) if f.metadata]


@functools.cache
def _plain_keys() -> dict[str, Key]:
    """The keys whose checks need no rulebook import: the put criteria's and the plain
    settings'."""
    return {key.name: key for key in [*criteria_keys(), *_setting_keys()]}


@functools.cache
def all_keys() -> dict[str, Key]:
    """Every config key, in the documented order (what `KEYS` is)."""
    from wheelscan.core.plan_inputs import PLAN_RULES

    plans = [criterion_key(rule) for rule in PLAN_RULES.values()]
    ordered = [*criteria_keys(), *call_keys(), *dcf_keys(), *plans, *_setting_keys()]
    return {key.name: key for key in ordered}


def key_spec(key: str) -> Key | None:
    """The key named `key`, None if there is none (a rulebook is imported only when `key`
    is not a plain one)."""
    return _plain_keys().get(key) or all_keys().get(key)


def __getattr__(name: str) -> Any:
    """`KEYS`, the table of every config key, built (importing every rulebook) when asked."""
    if name == "KEYS":
        return all_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_settings(path: Path | None = None) -> Settings:
    """Defaults with the config file on top (no command line)."""
    from wheelscan.core.valuation import DcfParams

    path = path or config_path()
    values = read_config(path)
    origins = dict.fromkeys(all_keys(), DEFAULT)
    origins.update(dict.fromkeys(values, CONFIG_FILE_ORIGIN))
    if "weeks" in values:
        origins["max_dte"] = f"{CONFIG_FILE_ORIGIN} (weeks = {values['weeks']})"
    dcf_names = dcf_fields()
    own = {*CRITERIA, *dcf_names, *call_fields(), *plan_keys(), "weeks"}
    settings = {key: values[key] for key in values if key not in own}
    settings["calls"] = calls_from(values)
    settings["plan"] = plan_from(values)
    dcf = DcfParams(**{dcf_names[key]: values[key] for key in values if key in dcf_names})
    return Settings(criteria=criteria_from(values), dcf=dcf, origins=origins, path=path, **settings)


def reader_settings(source: str | None = None, path: Path | None = None) -> dict[str, Any]:
    """The plain settings (every `Settings` field that is a config key, by name) in force
    with `source` from the command line: what `load_settings` and `with_command_line`
    would give, the file checked as they check it, without building the rulebooks."""
    values = read_config(path or config_path())
    plain = {key.name: values.get(key.name, key.default) for key in _setting_keys()}
    if source is not None:
        plain["source"] = source
    parse_source(plain["source"])
    return plain


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
    spec = key_spec(key)
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
    if key_spec(key) is None:
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
        _check_rules(_checked_keys(text, path))
    except CriteriaError as error:
        raise ConfigError(f"{path.name} not changed: {error}") from None
    private_dir(path.parent)
    atomic_write_text(path, text)
