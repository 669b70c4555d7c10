"""Every column the app shows, defined once: title, width, priority, help, value and cell.

The puts tree, the all-candidates table, the filter (`ann>40`), the sort (`o`)
and the help screen (`?`) all read `COLUMNS`. A column's `value` is what the
filter compares and the sort orders, in the units the cell shows (IV and P(OTM)
in %, |delta| for delta); its `cell` is the text. `priority` decides which
columns stay when the screen is narrow (1 stays longest); `ORDER` is the order
they are drawn in. Pure: no Textual.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from wheelscan.tui.model import CandidateData, TickerRow

Value = float | str | None
Kind = Literal["number", "text"]


def _number(value: Any, spec: str, missing: str = "—") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


def _field(name: str, scale: float = 1.0, absolute: bool = False) -> Callable[..., Value]:
    def value(row: TickerRow, candidate: CandidateData | None) -> Value:
        if candidate is None:
            return None
        raw = candidate.get(name)
        if not isinstance(raw, int | float) or isinstance(raw, bool) or math.isnan(raw):
            return raw if isinstance(raw, str) else None
        return abs(raw) * scale if absolute else raw * scale

    return value


def _shown(name: str, spec: str, scale: float = 1.0) -> Callable[..., str]:
    def cell(row: TickerRow, candidate: CandidateData | None) -> str:
        raw = candidate.get(name) if candidate else None
        scaled = scale != 1.0 and isinstance(raw, int | float) and not isinstance(raw, bool)
        return _number(raw * scale if scaled else raw, spec)

    return cell


def _badge(row: TickerRow, candidate: CandidateData | None) -> Value:
    return (candidate.get("badge") or "n/a") if candidate else None


def _earnings(row: TickerRow, candidate: CandidateData | None) -> Value:
    if candidate is None:
        return None
    return "yes" if candidate.get("spans_earnings") else "no"


def _text(value: Callable[..., Value]) -> Callable[..., str]:
    def cell(row: TickerRow, candidate: CandidateData | None) -> str:
        shown = value(row, candidate)
        return "" if shown is None else str(shown)

    return cell


@dataclass(frozen=True)
class Column:
    """One column: `key` (also its first filter name), `title`, `width` in cells."""

    key: str
    title: str
    width: int
    priority: int
    help: str
    value: Callable[[TickerRow, CandidateData | None], Value]
    cell: Callable[[TickerRow, CandidateData | None], str]
    kind: Kind = "number"
    names: tuple[str, ...] = ()
    ticker_level: bool = False
    descending_first: bool = True
    style: str = ""

    @property
    def filter_names(self) -> tuple[str, ...]:
        return (self.key, *self.names)

    @property
    def right_aligned(self) -> bool:
        return self.kind == "number"

    def fitted(self, text: str) -> str:
        """`text` padded (or cut with an ellipsis) to the column's width."""
        if len(text) > self.width:
            return text[: self.width - 1] + "…"
        return text.rjust(self.width) if self.right_aligned else text.ljust(self.width)


def _ticker(row: TickerRow, candidate: CandidateData | None) -> Value:
    return row.symbol


def _price(row: TickerRow, candidate: CandidateData | None) -> Value:
    return row.price


def _price_cell(row: TickerRow, candidate: CandidateData | None) -> str:
    return "—" if row.price is None else f"{row.price:,.2f}"


def _delta_cell(row: TickerRow, candidate: CandidateData | None) -> str:
    return _number(candidate.get("delta") if candidate else None, ".3f")


ALL_COLUMNS: tuple[Column, ...] = (
    Column("ticker", "ticker", 6, 0, "the underlying's symbol", _ticker, _text(_ticker),
           "text", ("sym", "symbol"), ticker_level=True, descending_first=False, style="bold"),
    Column("price", "price", 9, 19, "the underlying's last price", _price, _price_cell,
           names=("spot",), ticker_level=True),
    Column("expiry", "expiry", 10, 6, "expiration date (New York)", _field("expiration"),
           _text(_field("expiration")), "text", ("exp", "expiration"), descending_first=False),
    Column("dte", "DTE", 3, 2, "calendar days to expiration", _field("dte"),
           _shown("dte", "d"), descending_first=False),
    Column("strike", "strike", 8, 1, "strike price", _field("strike"), _shown("strike", ",.2f"),
           names=("k",)),
    Column("bid", "bid", 6, 3, "best bid: the premium the put is sold for", _field("bid"),
           _shown("bid", ".2f")),
    Column("ask", "ask", 6, 13, "best ask", _field("ask"), _shown("ask", ".2f")),
    Column("mid", "mid", 6, 12, "(bid + ask) / 2", _field("mid"), _shown("mid", ".2f")),
    Column("delta", "delta", 6, 5, "put delta; the filter and sort use |delta|",
           _field("delta", absolute=True), _delta_cell, names=("Δ",), descending_first=False),
    Column("iv", "IV%", 5, 8, "implied volatility, solved from the mid, in %",
           _field("iv", 100), _shown("iv", ".1f", 100)),
    Column("potm", "P(OTM)", 6, 7, "probability the put expires out of the money, in %",
           _field("prob_otm", 100), _shown("prob_otm", ".1f", 100), names=("pop", "prob")),
    Column("ann", "ann.%", 6, 4, "annualized return: bid / strike × 365 / DTE, in %",
           _field("annualized_return_pct"), _shown("annualized_return_pct", ".1f"),
           names=("return", "annualized"), style="bold"),
    Column("otm", "OTM%", 5, 9, "how far the strike is below the price, in %",
           _field("otm_pct"), _shown("otm_pct", ".1f")),
    Column("spread", "sprd%", 5, 14, "bid-ask spread as % of the mid", _field("spread_pct"),
           _shown("spread_pct", ".0f"), names=("sprd",), descending_first=False),
    Column("oi", "OI", 6, 11, "open interest (contracts)", _field("open_interest"),
           _shown("open_interest", ",d"), names=("open_interest",)),
    Column("vol", "vol", 6, 17, "today's volume (contracts)", _field("volume"),
           _shown("volume", ",d"), names=("volume",)),
    Column("be", "b/e", 8, 15, "breakeven: strike − bid", _field("breakeven"),
           _shown("breakeven", ",.2f"), names=("breakeven",), descending_first=False),
    Column("collateral", "collat.", 8, 16, "cash secured: strike × 100", _field("collateral"),
           _shown("collateral", ",.0f"), names=("coll",), descending_first=False),
    Column("badge", "badge", 5, 10, "good: strike at or below the intrinsic value; high: above",
           _badge, _text(_badge), "text", descending_first=False),
    Column("earn", "earn", 4, 18, "yes when earnings fall before the expiration", _earnings,
           _text(_earnings), "text", ("earnings",), descending_first=False),
)  # fmt: skip

COLUMNS: dict[str, Column] = {column.key: column for column in ALL_COLUMNS}
CONTRACT_COLUMNS: tuple[Column, ...] = tuple(c for c in ALL_COLUMNS if not c.ticker_level)
BY_NAME: dict[str, Column] = {
    name.lower(): c for c in ALL_COLUMNS for name in (*c.filter_names, c.title)
}
SORT_KEYS: tuple[str, ...] = ("ticker", "ann", "dte", "strike", "bid", "delta", "potm", "iv",
                              "otm", "oi", "spread", "expiry", "badge")  # fmt: skip


def fit_columns(columns: Sequence[Column], width: int) -> list[Column]:
    """The columns that fit in `width` cells (one space between two), the highest
    priority first, drawn in their given order."""
    chosen: set[str] = set()
    used = -1
    for column in sorted(columns, key=lambda c: c.priority):
        if used + 1 + column.width > width:
            break
        chosen.add(column.key)
        used += 1 + column.width
    return [column for column in columns if column.key in chosen]


def total_width(columns: Iterable[Column]) -> int:
    widths = [column.width for column in columns]
    return sum(widths) + max(0, len(widths) - 1)


@functools.total_ordering
class _Descending:
    """A value that sorts in the reverse of its own order."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


@dataclass(frozen=True)
class SortOrder:
    """Which column the rows are ordered by, and which way."""

    key: str = "ticker"
    descending: bool = False

    @property
    def column(self) -> Column:
        return COLUMNS[self.key]

    def next_key(self) -> SortOrder:
        """The next sort column (`o`), in its natural first direction."""
        keys = SORT_KEYS
        following = keys[(keys.index(self.key) + 1) % len(keys)] if self.key in keys else keys[0]
        return SortOrder(following, COLUMNS[following].descending_first)

    def flipped(self) -> SortOrder:
        return SortOrder(self.key, not self.descending)

    def by(self, key: str) -> SortOrder:
        """Sort by `key`: flips the direction when it already is the sort column."""
        if key == self.key:
            return self.flipped()
        return SortOrder(key, COLUMNS[key].descending_first)

    def describe(self) -> str:
        return f"{self.column.title} {'↓' if self.descending else '↑'}"

    def _ranked(self, value: Value) -> Any:
        return _Descending(value) if self.descending else value

    def ticker_key(self, row: TickerRow) -> tuple[Any, ...]:
        """Where a ticker goes: by its own value, or its best candidate's in this direction;
        tickers without one last, then by symbol."""
        column = self.column
        if column.ticker_level:
            value = column.value(row, None)
        else:
            values = [v for c in row.candidates if (v := column.value(row, c)) is not None]
            value = (max if self.descending else min)(values) if values else None
        if value is None:
            return (1, 0, row.symbol)
        return (0, self._ranked(value), row.symbol)

    def contract_key(self, row: TickerRow, candidate: CandidateData) -> tuple[Any, ...]:
        """Where a contract goes among all candidates (missing values last)."""
        value = self.column.value(row, candidate)
        tail = (row.symbol, candidate.get("expiration", ""), candidate.get("strike", 0))
        if value is None:
            return (1, 0, *tail)
        return (0, self._ranked(value), *tail)

    def within_ticker(self, row: TickerRow) -> list[CandidateData]:
        """A ticker's candidates in this order (the scan's own order for a ticker-level key)."""
        if self.column.ticker_level:
            return row.candidates
        return sorted(row.candidates, key=lambda c: self.contract_key(row, c))
