"""What the terminal app shows, as plain data: one row per ticker and the book of them.

Everything here is pure (no Textual, no I/O), so the app's widgets stay thin and the
rules — what a streamed ticker replaces, what shows in which order — are testable
alone. The filter (tui.filtering) and the order (tui.columns.SortOrder) are handed
in. A ticker's `result` is the SPEC 7 `results[TICKER]` object, as the store keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

Result = dict[str, Any]
CandidateData = dict[str, Any]


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

    @property
    def top_rejections(self) -> list[tuple[str, int]]:
        """Why the scan rejected this ticker's contracts: (reason, count), most first."""
        top = self.result.get("top_rejections") if self.result else None
        if not isinstance(top, list):
            return []
        return [
            (str(item.get("reason")), int(item.get("count", 0)))
            for item in top
            if isinstance(item, dict) and item.get("count")
        ]

    def badge_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for candidate in self.candidates:
            badge = candidate.get("badge") or "n/a"
            counts[badge] = counts.get(badge, 0) + 1
        return counts


class RowRule(Protocol):
    """What decides how a row shows (tui.filtering.ResultsFilter): None hides it."""

    def apply(self, row: TickerRow) -> TickerRow | None: ...


class RowOrder(Protocol):
    """How rows are ordered (tui.columns.SortOrder)."""

    def ticker_key(self, row: TickerRow) -> tuple[Any, ...]: ...

    def contract_key(self, row: TickerRow, candidate: CandidateData) -> tuple[Any, ...]: ...

    def within_ticker(self, row: TickerRow) -> list[CandidateData]: ...


@dataclass(frozen=True)
class FinishedTicker:
    """One ticker a running scan has finished, as its progress row has it: the result
    (None when it failed) and the error (failed, or some expirations failed)."""

    symbol: str
    result: Result | None
    error: str | None


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

    def finish(self, tickers: list[FinishedTicker]) -> list[str]:
        """Lay a running scan's finished tickers over the rows (a failed one keeps its
        previous result, marked); returns the symbols that changed, once each, in order."""
        changed: dict[str, None] = {}
        for ticker in tickers:
            row = self.rows.get(ticker.symbol, TickerRow(ticker.symbol))
            if ticker.result is not None:
                at = result_times({ticker.symbol: ticker.result}).get(ticker.symbol)
                new = TickerRow(ticker.symbol, ticker.result, at or row.scanned_at, ticker.error)
            else:
                new = replace(row, error=ticker.error)
            if new != row:
                self.rows[ticker.symbol] = new
                changed[ticker.symbol] = None
        return list(changed)

    def shown(self, symbol: str, rules: RowRule, order: RowOrder) -> TickerRow | None:
        """The ticker as it shows under `rules`, its candidates in `order`; None when
        unknown or hidden."""
        row = self.rows.get(symbol)
        shown = rules.apply(row) if row is not None else None
        if shown is None or shown.result is None or len(shown.candidates) < 2:
            return shown
        return replace(shown, result={**shown.result, "candidates": order.within_ticker(shown)})

    def visible(self, rules: RowRule, order: RowOrder) -> list[TickerRow]:
        """The tickers `rules` lets through, in `order`, each as `shown`."""
        rows = (self.shown(symbol, rules, order) for symbol in self.visible_symbols(rules, order))
        return [row for row in rows if row is not None]

    def visible_symbols(self, rules: RowRule, order: RowOrder) -> list[str]:
        """The symbols of the tickers `rules` lets through, in `order` (a ticker's place
        does not depend on its candidates' order, which is not worked out here)."""
        kept = (rules.apply(row) for row in self.rows.values())
        return [
            row.symbol
            for row in sorted((row for row in kept if row is not None), key=order.ticker_key)
        ]

    def contracts(self, rules: RowRule, order: RowOrder) -> list[tuple[TickerRow, CandidateData]]:
        """Every candidate `rules` lets through, across tickers, in `order`."""
        pairs = [
            (row, candidate)
            for source in self.rows.values()
            if (row := rules.apply(source)) is not None
            for candidate in row.candidates
        ]
        pairs.sort(key=lambda pair: order.contract_key(*pair))
        return pairs

    @property
    def candidate_count(self) -> int:
        return sum(len(row.candidates) for row in self.rows.values())

    @property
    def latest_scan(self) -> datetime | None:
        stamps = [row.scanned_at for row in self.rows.values() if row.scanned_at]
        return max(stamps) if stamps else None
