"""positions.toml: the append-only ledger of what the trader did (SPEC 9).

One `[[events]]` table per event, in the config dir beside watchlist.toml:

    [[events]]
    date = 2026-01-05
    kind = "sell"                   # shares, sell, buy_to_close, expire, assign, called_away
    contract = "KO260220P00060000"  # an option event's OCC contract; `symbol` for shares
    quantity = 1                    # contracts; shares are signed (+ bought, − sold)
    price = 1.50                    # per share (premium, or the share price)
    note = "first put"              # optional

Reading validates every table and folds the state (core.positions), so a file
no command could use is refused at its line. Writing appends tables to the end
of the text as it is (comments and all), checks the whole new text the same way
and replaces the file atomically (0600): a bad event, or one the state refuses,
writes nothing. The state is never stored, only folded.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wheelscan.config import key_line
from wheelscan.core.errors import InputError
from wheelscan.core.ledger import SHARES, Event, EventError
from wheelscan.core.occ import parse_occ
from wheelscan.core.positions import LedgerError, Positions, fold
from wheelscan.core.scan_record import SCHEMA_VERSION
from wheelscan.core.symbols import normalize_symbol
from wheelscan.files import atomic_write_text
from wheelscan.paths import config_dir, private_dir

if TYPE_CHECKING:
    from wheelscan.core.short_marks import ShortMark

POSITIONS_FILE = "positions.toml"
EVENT_KEYS = ("date", "kind", "symbol", "contract", "quantity", "price", "note")
HEADER = (
    "# wheelscan positions ledger: one [[events]] table per event (append only).\n"
    "# `wheelscan positions list` shows the state folded from it.\n"
)
_EVENTS_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:events|\"events\"|'events')[ \t]*\]\]", re.M)


class PositionsError(InputError):
    """A positions file, a positions command or an import that cannot be applied."""


@dataclass(frozen=True)
class Ledger:
    """The events of a positions file, the line of each, and the state they fold to."""

    path: Path
    events: tuple[Event, ...] = ()
    lines: tuple[int | None, ...] = ()
    state: Positions = field(default_factory=Positions)

    def where(self, index: int) -> str:
        line = self.lines[index] if index < len(self.lines) else None
        return f"{self.path}:{line}" if line else str(self.path)


def positions_path() -> Path:
    return config_dir() / POSITIONS_FILE


def _table_lines(text: str) -> list[int]:
    """The 1-based line of every `[[events]]` header, in order."""
    return [text.count("\n", 0, m.start()) + 1 for m in _EVENTS_HEADER.finditer(text)]


def _field_line(text: str, tables: list[int], index: int, key: str | None) -> int | None:
    """The line of `key` inside the index-th table (the table's header line without one)."""
    if index >= len(tables):
        return key_line(text, "events")
    start = tables[index]
    if key is None:
        return start
    lines = text.splitlines()
    end = tables[index + 1] - 1 if index + 1 < len(tables) else len(lines)
    found = key_line("\n".join(lines[start:end]), key)
    return start + found if found else start


def _event(table: Any, where: str) -> Event:
    if not isinstance(table, dict):
        raise PositionsError(f"{where}: each event must be a table ([[events]])")
    for key in table:
        if key not in EVENT_KEYS:
            raise EventError(f"unknown key {key!r} (known: {', '.join(EVENT_KEYS)})", key)
    for key in ("date", "kind", "quantity"):
        if key not in table:
            raise EventError(f"an event needs {key}", None)
    when = table["date"]
    if isinstance(when, str):
        try:
            when = date.fromisoformat(when)
        except ValueError:
            raise EventError(f"date must be YYYY-MM-DD, got {when!r}", "date") from None
    return Event(
        kind=table["kind"],
        date=when,
        quantity=table["quantity"],
        price=table.get("price"),
        symbol=table.get("symbol", ""),
        contract=table.get("contract"),
        note=table.get("note", ""),
    )


def parse_ledger(text: str, path: Path) -> Ledger:
    """The validated events of a positions file's text and their state.

    Every error names the file and, when it can be found, the line: `path:line: message`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PositionsError(f"{path}: not valid TOML: {error}") from None
    for key in data:
        if key != "events":
            line = key_line(text, key)
            raise PositionsError(
                f"{path}:{line or '?'}: unknown key {key!r} (events go in [[events]] tables)"
            )
    tables = data.get("events", [])
    if not isinstance(tables, list):
        raise PositionsError(f"{path}:{key_line(text, 'events')}: events must be [[events]] tables")
    headers = _table_lines(text)
    if len(headers) != len(tables):
        headers = []  # an inline array: the line of `events` is the best there is
    events, lines = [], []
    for index, table in enumerate(tables):
        line = _field_line(text, headers, index, None)
        try:
            events.append(_event(table, f"{path}:{line}"))
        except EventError as error:
            at = _field_line(text, headers, index, error.field)
            raise PositionsError(f"{path}:{at}: event {index + 1}: {error}") from None
        lines.append(line)
    ledger = Ledger(path, tuple(events), tuple(lines))
    try:
        state = fold(events)
    except LedgerError as error:
        raise PositionsError(f"{ledger.where(error.index)}: {error}") from None
    return Ledger(path, tuple(events), tuple(lines), state)


def load_ledger(path: Path | None = None) -> Ledger:
    """The user's ledger; an empty one when there is no file yet (nothing is written)."""
    path = path or positions_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger(path)
    except (OSError, UnicodeDecodeError) as error:
        raise PositionsError(f"{path}: cannot read: {error}") from None
    return parse_ledger(text, path)


def _events_text(events: Sequence[Event]) -> str:
    """`[[events]]` tables for `events`, as TOML text (tomlkit writes the values)."""
    import tomlkit

    document = tomlkit.document()
    tables = tomlkit.aot()
    for event in events:
        table = tomlkit.table()
        table["date"] = event.date
        table["kind"] = event.kind
        if event.contract is None:
            table["symbol"] = event.symbol
        else:
            table["contract"] = event.contract
            if event.symbol != event.occ().root:
                table["symbol"] = event.symbol
        table["quantity"] = event.quantity
        table["price"] = event.price
        if event.note:
            table["note"] = event.note
        tables.append(table)
    document["events"] = tables
    return tomlkit.dumps(document)


def _refused(error: LedgerError, before: Ledger) -> PositionsError:
    """The message for an appended event the state refuses, or one it makes a later one fail."""
    if error.index >= len(before.events):
        return PositionsError(f"{error} (nothing was written)")
    return PositionsError(
        f"{before.where(error.index)}: {error.event.describe()} would then be refused:"
        f" {error.reason} (nothing was written)"
    )


def append_events(events: Sequence[Event], path: Path | None = None) -> Ledger:
    """Append `events` to the ledger and return the new one; all or nothing."""
    path = path or positions_path()
    before = load_ledger(path)
    try:
        fold([*before.events, *events])
    except LedgerError as error:
        raise _refused(error, before) from None
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = HEADER
    if len(_table_lines(old)) != len(before.events):
        raise PositionsError(
            f"{path}: events are not all [[events]] tables; rewrite them as such to append"
        )
    text = f"{old.rstrip()}\n\n{_events_text(events)}"
    after = parse_ledger(text, path)
    private_dir(path.parent)
    atomic_write_text(path, text)
    return after


def positions_document(
    ledger: Ledger, marks: Mapping[str, ShortMark] | None = None
) -> dict[str, Any]:
    """The `positions --json` document. `marks` (contract → its mark from the latest
    answers) fills each open short's `mark`; without one it is null."""
    marks = marks or {}
    positions = []
    for position in ledger.state:
        entry = position.to_json()
        for short in entry["short_options"]:
            mark = marks.get(short["contract"])
            short["mark"] = mark.to_json() if mark is not None else None
        positions.append(entry)
    return {
        "schema": SCHEMA_VERSION,
        "path": str(ledger.path),
        "events": len(ledger.events),
        "positions": positions,
        "totals": ledger.state.totals_json(),
    }


_SYMBOL_COLUMNS = ("symbol", "ticker", "instrument", "security")
_QUANTITY_COLUMNS = ("quantity", "qty", "shares", "position", "units")
_PER_SHARE_COST_COLUMNS = (
    "cost",
    "cost per share",
    "cost/share",
    "average cost",
    "avg cost",
    "average cost basis",
    "avg cost basis",
    "average price",
    "avg price",
    "unit cost",
    "cost price",
    "price paid",
    "purchase price",
)
_TOTAL_COST_COLUMNS = ("cost basis", "cost basis total", "total cost", "total cost basis")
_SHOWN_PROBLEMS = 5


def _column_name(header: str) -> str:
    """`Avg. Cost ($)` → `avg cost`: lower case, words only (and `/`)."""
    return re.sub(r"[^a-z/]+", " ", header.lower()).strip()


def _broker_number(text: str, what: str) -> float:
    """A number as brokers write it: `$1,234.50`, `(12.00)` for −12."""
    cleaned = re.sub(r"[\s$,]", "", text)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    try:
        value = float(cleaned.strip("()"))
    except ValueError:
        raise PositionsError(f"{what} must be a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise PositionsError(f"{what} must be a finite number, got {text.strip()!r}")
    return -value if negative else value


@dataclass(frozen=True)
class _Columns:
    symbol: int
    quantity: int
    cost: int
    cost_is_total: bool

    @classmethod
    def find(cls, header: list[str], where: str) -> _Columns:
        names = [_column_name(cell) for cell in header]

        def first(aliases: tuple[str, ...]) -> int | None:
            return next((names.index(a) for a in aliases if a in names), None)

        symbol, quantity = first(_SYMBOL_COLUMNS), first(_QUANTITY_COLUMNS)
        per_share, total = first(_PER_SHARE_COST_COLUMNS), first(_TOTAL_COST_COLUMNS)
        cost = per_share if per_share is not None else total
        missing = [
            what
            for what, index in (("symbol", symbol), ("quantity", quantity), ("cost", cost))
            if index is None
        ]
        if symbol is None or quantity is None or cost is None:
            found = ", ".join(cell.strip() for cell in header if cell.strip())
            raise PositionsError(
                f"{where}: the CSV header has no {' or '.join(missing)} column (found: {found})"
            )
        return cls(symbol, quantity, cost, per_share is None)

    def event(self, row: list[str], on: date, note: str) -> Event:
        cells = row + [""] * (max(self.symbol, self.quantity, self.cost) + 1 - len(row))
        symbol = cells[self.symbol].strip()
        if parse_occ(symbol) is not None:
            raise PositionsError(
                f"{symbol} is an option contract: import shares only"
                " (record options with `wheelscan positions sell`)"
            )
        symbol = normalize_symbol(symbol)
        quantity = _broker_number(cells[self.quantity], "quantity")
        if quantity <= 0 or quantity != int(quantity):
            raise PositionsError(
                f"quantity must be a whole number of shares above 0, got {cells[self.quantity]!r}"
            )
        cost = _broker_number(cells[self.cost], "cost")
        if cost < 0:
            raise PositionsError(f"cost must not be negative, got {cells[self.cost]!r}")
        price = cost / quantity if self.cost_is_total else cost
        return Event(SHARES, on, int(quantity), price, symbol, note=note)


def read_broker_csv(path: Path, on: date) -> list[Event]:
    """One `shares` event dated `on` per line of a broker's positions CSV.

    The header (the first non-blank line) needs a symbol, a quantity and a cost
    column, named case-insensitively with the usual aliases (`Ticker`, `Qty`,
    `Average Cost`, ...); `cost` is per share, a total column (`Cost Basis`,
    `Total Cost`) is divided by the quantity. Every bad line is named with its
    number, and one bad line imports nothing.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PositionsError(f"{path}: cannot read: {error}") from None
    reader = csv.reader(io.StringIO(text))
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise PositionsError(f"{path}: no header line (symbol, quantity, cost)")
    columns = _Columns.find(header, f"{path}:{reader.line_num}")
    note = f"imported from {path.name}"
    events: list[Event] = []
    problems: list[str] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            events.append(columns.event(row, on, note))
        except InputError as error:
            problems.append(f"{path}:{reader.line_num}: {error}")
    if problems:
        more = len(problems) - _SHOWN_PROBLEMS
        shown = "; ".join(problems[:_SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        count = f"{len(problems)} bad line{'s' if len(problems) > 1 else ''}"
        raise PositionsError(f"{shown} ({count}, nothing was imported)")
    if not events:
        raise PositionsError(f"{path}: no positions below the header")
    return events
