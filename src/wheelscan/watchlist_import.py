"""The files `wheelscan watchlist import` reads: a plain list of symbols, or a CSV.

A plain list has one symbol per line (`#` starts a comment). A CSV has a symbol
(or ticker) column and optionally a notes column; a broker's export may end
with totals and a disclaimer, which are skipped and reported, not refused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from wheelscan.core.symbols import SymbolError, normalize_symbol
from wheelscan.watchlist import WatchlistError


@dataclass(frozen=True)
class SymbolFile:
    """What an import file holds: symbol -> its notes (file order), and the lines skipped
    as a broker export's footer ("Total", "Account Total", a disclaimer)."""

    symbols: dict[str, str]
    skipped_lines: tuple[int, ...] = ()


NOTES_COLUMNS = ("notes", "note")
SYMBOL_COLUMNS = ("symbol", "ticker")
_FOOTER_WORD = re.compile(r"\btotal\b", re.IGNORECASE)


def read_symbol_file(path: Path) -> SymbolFile:
    """Symbols to import: one per line (`#` comments allowed), or a CSV with a symbol
    column and optionally a notes column.

    Every symbol is validated; a bad one or a repeated one names its line. In a CSV,
    a row whose symbol cell says "total", and the rows after the last symbol that
    hold no symbol (a broker's footer), are skipped and reported, not refused.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise WatchlistError(f"{path}: cannot read: {error}") from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    skipped: list[int] = []
    if "," in first or first.strip().lower() in SYMBOL_COLUMNS:
        rows = _csv_rows(text, path)
        skipped = _footer_lines(rows)
    else:
        rows = [
            (number, line.split("#", 1)[0].strip(), "")
            for number, line in enumerate(lines, start=1)
        ]
    symbols: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, raw, notes in rows:
        if not raw or number in skipped:
            continue
        try:
            symbol = normalize_symbol(raw)
        except SymbolError as error:
            raise WatchlistError(f"{path}:{number}: {error}") from None
        if symbol in symbols:
            raise WatchlistError(
                f"{path}:{number}: duplicate symbol {symbol} (first on line {first_line[symbol]})"
            )
        symbols[symbol] = notes
        first_line[symbol] = number
    if not symbols:
        raise WatchlistError(f"{path}: no symbols found")
    return SymbolFile(symbols, tuple(skipped))


def _is_symbol(raw: str) -> bool:
    try:
        normalize_symbol(raw)
    except SymbolError:
        return False
    return True


def _footer_lines(rows: list[tuple[int, str, str]]) -> list[int]:
    """The lines of `rows` that are a broker export's totals or footer, not symbols."""
    totals = [number for number, raw, _ in rows if _FOOTER_WORD.search(raw)]
    trailing: list[int] = []
    for number, raw, _ in reversed(rows):
        if raw and _is_symbol(raw) and number not in totals:
            break
        if raw:
            trailing.append(number)
    return sorted(set(totals) | set(trailing))


def _csv_rows(text: str, path: Path) -> list[tuple[int, str, str]]:
    """(line, symbol cell, notes cell) per CSV row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text))
    columns = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
    symbol_column = next((columns[c] for c in SYMBOL_COLUMNS if c in columns), None)
    if symbol_column is None:
        raise WatchlistError(f"{path}: CSV has no 'symbol' column (columns: {', '.join(columns)})")
    notes_column = next((columns[c] for c in NOTES_COLUMNS if c in columns), None)
    # DictReader's line_num counts the physical lines read so far.
    return [
        (
            reader.line_num,
            (row.get(symbol_column) or "").strip(),
            (row.get(notes_column) or "").strip() if notes_column else "",
        )
        for row in reader
    ]
