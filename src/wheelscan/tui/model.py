"""What the terminal app shows, as plain data: one row per ticker, a filter, the visible set.

Everything here is pure (no Textual, no I/O), so the app's widgets stay thin and the
rules — what a streamed ticker replaces, what a filter keeps — are testable alone.
A ticker's `result` is the SPEC 7 `results[TICKER]` object, exactly as the store keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

Result = dict[str, Any]
CandidateData = dict[str, Any]

_RETURN_FILTER = re.compile(r"^\s*(?:>=?|≥)?\s*(\d+(?:\.\d+)?)\s*%?\s*$")


def parse_times(texts: Mapping[str, str | None]) -> dict[str, datetime]:
    """{symbol: ISO time} as datetimes; a missing or unreadable time is left out."""
    parsed = {}
    for symbol, text in texts.items():
        try:
            parsed[symbol] = datetime.fromisoformat(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return parsed


def result_times(results: Mapping[str, Result]) -> dict[str, datetime]:
    """When each result's quote was taken (its `as_of`)."""
    return parse_times({s: r.get("as_of") for s, r in results.items() if isinstance(r, dict)})


@dataclass(frozen=True)
class TickerRow:
    """One ticker as the tree shows it: its latest result, when it was scanned, its error."""

    symbol: str
    result: Result | None = None
    scanned_at: datetime | None = None
    error: str | None = None

    @property
    def candidates(self) -> list[CandidateData]:
        return list(self.result.get("candidates", [])) if self.result else []

    @property
    def price(self) -> float | None:
        return self.result.get("underlying_price") if self.result else None

    @property
    def best_return_pct(self) -> float | None:
        returns = [c["annualized_return_pct"] for c in self.candidates]
        return max(returns) if returns else None

    def badge_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for candidate in self.candidates:
            badge = candidate.get("badge") or "n/a"
            counts[badge] = counts.get(badge, 0) + 1
        return counts


@dataclass(frozen=True)
class ResultsFilter:
    """`/` in the app: a ticker substring, or a minimum annualized return ("40", ">=40", "40%")."""

    text: str = ""
    ticker_part: str = ""
    min_return_pct: float | None = None

    @classmethod
    def parse(cls, text: str) -> ResultsFilter:
        text = text.strip()
        match = _RETURN_FILTER.match(text)
        if match:
            return cls(text=text, min_return_pct=float(match.group(1)))
        return cls(text=text, ticker_part=text.upper())

    @property
    def active(self) -> bool:
        return bool(self.ticker_part) or self.min_return_pct is not None

    def describe(self) -> str:
        if self.min_return_pct is not None:
            return f"annualized ≥ {self.min_return_pct:g}%"
        if self.ticker_part:
            return f"ticker contains {self.ticker_part!r}"
        return "none"

    def apply(self, row: TickerRow) -> TickerRow | None:
        """The row as it shows under this filter, or None when it is hidden."""
        if self.ticker_part:
            return row if self.ticker_part in row.symbol else None
        if self.min_return_pct is None:
            return row
        kept = [c for c in row.candidates if c["annualized_return_pct"] >= self.min_return_pct]
        if not kept or row.result is None:
            return None
        return replace(row, result={**row.result, "candidates": kept})


@dataclass
class ResultsBook:
    """The tickers the app knows: the published results, overlaid by a running scan's tickers."""

    rows: dict[str, TickerRow] = field(default_factory=dict)

    def load(
        self,
        results: dict[str, Result],
        scan_times: dict[str, datetime],
        errors: dict[str, str] | None = None,
    ) -> None:
        """Replace everything with a store snapshot (published or a scan's partial results)."""
        errors = errors or {}
        self.rows = {
            symbol: TickerRow(
                symbol, results.get(symbol), scan_times.get(symbol), errors.get(symbol)
            )
            for symbol in sorted(set(results) | set(errors))
        }

    def overlay(
        self,
        results: dict[str, Result],
        scan_times: dict[str, datetime],
        errors: dict[str, str],
    ) -> list[str]:
        """Lay a running scan's partial results over the rows; returns the symbols that changed."""
        changed = []
        for symbol in sorted(set(results) | set(errors)):
            row = self.rows.get(symbol, TickerRow(symbol))
            new = TickerRow(
                symbol,
                results.get(symbol, row.result),
                scan_times.get(symbol, row.scanned_at),
                errors.get(symbol),
            )
            if new != row:
                self.rows[symbol] = new
                changed.append(symbol)
        return changed

    def finished(self, symbol: str, result: Result, at: datetime, error: str | None) -> TickerRow:
        """A ticker the running scan has just finished (its error: expirations that failed)."""
        row = TickerRow(symbol, result, at, error)
        self.rows[symbol] = row
        return row

    def failed(self, symbol: str, reason: str) -> TickerRow:
        """A ticker the running scan could not fetch: the previous result stays, marked."""
        row = replace(self.rows.get(symbol, TickerRow(symbol)), error=reason)
        self.rows[symbol] = row
        return row

    def shown(self, symbol: str, rules: ResultsFilter) -> TickerRow | None:
        """The ticker as it shows under `rules`; None when unknown or hidden."""
        row = self.rows.get(symbol)
        return rules.apply(row) if row is not None else None

    def visible(self, rules: ResultsFilter) -> list[TickerRow]:
        shown = (rules.apply(row) for _, row in sorted(self.rows.items()))
        return [row for row in shown if row is not None]

    @property
    def latest_scan(self) -> datetime | None:
        stamps = [row.scanned_at for row in self.rows.values() if row.scanned_at]
        return max(stamps) if stamps else None
