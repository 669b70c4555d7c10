"""The watchlist: which symbols a watchlist scan covers, and what the user thinks they are worth.

`watchlist.toml` in the config dir holds one table per symbol:

    [tickers.AAPL]
    active = true
    notes = "core holding"
    intrinsic_value = 190.0

    [tickers.KO]
    valuation = "fcf"        # per-symbol DCF overrides, named as the config keys
    dcf_growth_pct = 6.0

Until the user changes it, the list shipped in `data/default_watchlist.toml` is
used and no file is written. The first change writes the default list plus
that change. Writing keeps comments and order (tomlkit) and is atomic.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from wheelscan.core.errors import InputError
from wheelscan.core.symbols import SymbolError, normalize_symbol
from wheelscan.core.valuation import DCF_KEYS, DcfParams, dcf_param_problem
from wheelscan.files import atomic_write_text
from wheelscan.paths import config_dir, private_dir

WATCHLIST_FILE = "watchlist.toml"
OVERRIDE_FIELDS = {key: name for name, key in DCF_KEYS.items()}
"""Watchlist key -> the DcfParams field it overrides for one symbol."""
DEFAULT_DCF = DcfParams()
ENTRY_KEYS = ("active", "notes", "intrinsic_value", *OVERRIDE_FIELDS)
HEADER = (
    "wheelscan watchlist: one [tickers.SYMBOL] table per symbol, with active, notes"
    " and an optional intrinsic_value."
)


class WatchlistError(InputError):
    """A watchlist file or a watchlist command that cannot be applied."""


@dataclass(frozen=True)
class WatchlistEntry:
    symbol: str
    active: bool = True
    notes: str = ""
    intrinsic_value: float | None = None
    dcf_overrides: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """DcfParams field -> this symbol's value for it (the rest come from the config)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "active": self.active,
            "notes": self.notes,
            "intrinsic_value": self.intrinsic_value,
            "overrides": {DCF_KEYS[name]: value for name, value in self.dcf_overrides.items()},
        }


@dataclass(frozen=True)
class Watchlist:
    entries: tuple[WatchlistEntry, ...]
    path: Path
    is_default: bool

    def active_symbols(self) -> list[str]:
        return [e.symbol for e in self.entries if e.active]

    def intrinsic_values(self) -> dict[str, float]:
        """Symbol → intrinsic value, for every symbol that has one."""
        return {e.symbol: e.intrinsic_value for e in self.entries if e.intrinsic_value is not None}

    def value_overrides(self) -> dict[str, dict[str, Any]]:
        """Symbol → its DCF overrides ({DcfParams field: value}), for every symbol with any."""
        return {e.symbol: dict(e.dcf_overrides) for e in self.entries if e.dcf_overrides}

    def get(self, symbol: str) -> WatchlistEntry | None:
        return next((e for e in self.entries if e.symbol == symbol), None)


def watchlist_path() -> Path:
    return config_dir() / WATCHLIST_FILE


def _default_text() -> str:
    return files("wheelscan").joinpath("data/default_watchlist.toml").read_text(encoding="utf-8")


def default_symbols() -> list[str]:
    """The watchlist shipped with the package, used until the user writes their own."""
    return list(tomllib.loads(_default_text())["tickers"])


def check_intrinsic_value(value: Any) -> float:
    """A positive, finite number of dollars (an int or a float; never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WatchlistError(f"intrinsic value must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise WatchlistError(f"intrinsic value must be a positive number, got {value}")
    return float(value)


def _table_line(text: str, symbol_key: str) -> int | None:
    """The line of `[tickers.<symbol_key>]` (bare or quoted), if it can be found."""
    name = re.escape(symbol_key)
    pattern = re.compile(
        rf"^[ \t]*\[[ \t]*tickers[ \t]*\.[ \t]*(?:{name}|\"{name}\"|'{name}')[ \t]*\]",
        re.MULTILINE,
    )
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_watchlist(text: str, path: Path) -> list[WatchlistEntry]:
    """Validated entries of a watchlist file's text, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise WatchlistError(f"{path}: not valid TOML: {error}") from None

    def where(key: str) -> str:
        line = _table_line(text, key)
        return f"{path}:{line}" if line else str(path)

    extra = [k for k in data if k != "tickers"]
    if extra:
        raise WatchlistError(f"{path}: unknown key {extra[0]!r} (symbols go in [tickers.SYMBOL])")
    tickers = data.get("tickers", {})
    if not isinstance(tickers, dict):
        raise WatchlistError(f"{path}: 'tickers' must be a table of [tickers.SYMBOL] tables")
    entries: dict[str, WatchlistEntry] = {}
    for raw_symbol, table in tickers.items():
        try:
            symbol = normalize_symbol(raw_symbol)
        except SymbolError as error:
            raise WatchlistError(f"{where(raw_symbol)}: {error}") from None
        if symbol in entries:
            raise WatchlistError(f"{where(raw_symbol)}: duplicate symbol {symbol}")
        if not isinstance(table, dict):
            raise WatchlistError(
                f"{where(raw_symbol)}: {symbol} must be a [tickers.{symbol}] table"
            )
        entries[symbol] = _entry(symbol, table, where(raw_symbol))
    return list(entries.values())


def _entry(symbol: str, table: dict[str, Any], where: str) -> WatchlistEntry:
    for key in table:
        if key not in ENTRY_KEYS:
            raise WatchlistError(
                f"{where}: unknown key {key!r} for {symbol} (known: {', '.join(ENTRY_KEYS)})"
            )
    active = table.get("active", True)
    if not isinstance(active, bool):
        raise WatchlistError(f"{where}: {symbol}.active must be true or false, got {active!r}")
    notes = table.get("notes", "")
    if not isinstance(notes, str):
        raise WatchlistError(f"{where}: {symbol}.notes must be a string, got {notes!r}")
    value = table.get("intrinsic_value")
    if value is not None:
        try:
            value = check_intrinsic_value(value)
        except WatchlistError as error:
            raise WatchlistError(f"{where}: {symbol}.{error}") from None
    overrides = {}
    for key, name in OVERRIDE_FIELDS.items():
        if key in table:
            problem = dcf_param_problem(name, table[key])
            if problem:
                raise WatchlistError(f"{where}: {symbol}.{key} {problem}")
            overrides[name] = type(getattr(DEFAULT_DCF, name))(table[key])  # 8 -> 8.0
    return WatchlistEntry(symbol, active, notes, value, overrides)


def load_watchlist(path: Path | None = None) -> Watchlist:
    """The user's watchlist, or the shipped default when they have none yet."""
    path = path or watchlist_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        entries = [WatchlistEntry(symbol) for symbol in default_symbols()]
        return Watchlist(tuple(entries), path, is_default=True)
    except (OSError, UnicodeDecodeError) as error:
        raise WatchlistError(f"{path}: cannot read: {error}") from None
    return Watchlist(tuple(parse_watchlist(text, path)), path, is_default=False)


class WatchlistFile:
    """An editable watchlist document: load, change, `save()` atomically."""

    def __init__(self, path: Path | None = None) -> None:
        import tomlkit

        self.path = path or watchlist_path()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = None
        except (OSError, UnicodeDecodeError) as error:
            raise WatchlistError(f"{self.path}: cannot read: {error}") from None
        if text is None:
            self.document = tomlkit.document()
            self.document.add(tomlkit.comment(HEADER))
            self.document.add("tickers", tomlkit.table(is_super_table=True))
            for symbol in default_symbols():
                self._tickers()[symbol] = self._new_table(WatchlistEntry(symbol))
        else:
            parse_watchlist(text, self.path)
            self.document = tomlkit.parse(text)
            if "tickers" not in self.document:
                self.document.add("tickers", tomlkit.table(is_super_table=True))

    def _tickers(self) -> Any:
        return self.document["tickers"]

    def _key_of(self, symbol: str) -> str | None:
        """The key as written in the file (it may be lower case) for a normalized symbol."""
        return next((k for k in self._tickers() if normalize_symbol(k) == symbol), None)

    @staticmethod
    def _new_table(entry: WatchlistEntry) -> Any:
        import tomlkit

        table = tomlkit.table()
        table["active"] = entry.active
        table["notes"] = entry.notes
        if entry.intrinsic_value is not None:
            table["intrinsic_value"] = entry.intrinsic_value
        return table

    def symbols(self) -> list[str]:
        return [normalize_symbol(k) for k in self._tickers()]

    def add(
        self, symbols: Iterable[str] | dict[str, str], notes: str = "", value: float | None = None
    ) -> list[str]:
        """Add new symbols (a dict gives each its own notes); one already listed (or given
        twice) is refused and none is added. An intrinsic value is one stock's: it is
        refused for several symbols at once."""
        noted = symbols if isinstance(symbols, dict) else dict.fromkeys(symbols, notes)
        raw = list(symbols)
        wanted = [normalize_symbol(s) for s in raw]
        present = set(self.symbols())
        repeated = sorted({s for s in wanted if s in present or wanted.count(s) > 1})
        if repeated:
            raise WatchlistError(
                f"already on the watchlist: {', '.join(repeated)} (nothing was added)"
                if any(s in present for s in repeated)
                else f"duplicate symbol {repeated[0]} (nothing was added)"
            )
        if value is not None:
            if len(wanted) > 1:
                raise WatchlistError(
                    f"--value is one stock's intrinsic value, and {len(wanted)} symbols were "
                    "given: add them, then `wheelscan watchlist set-value SYMBOL VALUE` each"
                )
            value = check_intrinsic_value(value)
        for original, symbol in zip(raw, wanted, strict=True):
            entry = WatchlistEntry(symbol, True, noted[original], value)
            self._tickers()[symbol] = self._new_table(entry)
        return wanted

    def _existing(self, raw: str) -> tuple[str, Any]:
        symbol = normalize_symbol(raw)
        key = self._key_of(symbol)
        if key is None:
            raise WatchlistError(f"{symbol} is not on the watchlist")
        return key, self._tickers()[key]

    def remove(self, symbols: Iterable[str]) -> list[str]:
        """Remove symbols; one that is not listed is refused and none is removed."""
        wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        missing = [s for s in wanted if self._key_of(s) is None]
        if missing:
            raise WatchlistError(
                f"not on the watchlist: {', '.join(missing)} (nothing was removed)"
            )
        for symbol in wanted:
            del self._tickers()[self._key_of(symbol)]
        return wanted

    def clear(self) -> list[str]:
        """Remove every symbol; returns them."""
        removed = self.symbols()
        for key in list(self._tickers()):
            del self._tickers()[key]
        return removed

    def replace(self, symbols: dict[str, str]) -> tuple[list[str], list[str]]:
        """Make the list exactly `symbols` (symbol -> notes): entries already listed keep
        their state and value (and their notes unless the new notes say something).
        Returns (added, removed)."""
        wanted = {normalize_symbol(s): notes for s, notes in symbols.items()}
        removed = [s for s in self.symbols() if s not in wanted]
        for symbol in removed:
            del self._tickers()[self._key_of(symbol)]
        added = []
        for symbol, notes in wanted.items():
            key = self._key_of(symbol)
            if key is None:
                self._tickers()[symbol] = self._new_table(WatchlistEntry(symbol, notes=notes))
                added.append(symbol)
            elif notes:
                self._tickers()[key]["notes"] = notes
        return added, removed

    def update(self, raw: str, change: Callable[[Any], None]) -> str:
        key, table = self._existing(raw)
        change(table)
        return normalize_symbol(key)

    def set_active(self, raw: str, active: bool) -> str:
        return self.update(raw, lambda table: table.__setitem__("active", active))

    def set_value(self, raw: str, value: float | None) -> str:
        def change(table: Any) -> None:
            if value is None:
                if "intrinsic_value" in table:
                    del table["intrinsic_value"]
            else:
                table["intrinsic_value"] = check_intrinsic_value(value)

        return self.update(raw, change)

    def set_notes(self, raw: str, notes: str) -> str:
        return self.update(raw, lambda table: table.__setitem__("notes", notes))

    def save(self) -> None:
        import tomlkit

        text = tomlkit.dumps(self.document)
        parse_watchlist(text, self.path)
        private_dir(self.path.parent)
        atomic_write_text(self.path, text)
