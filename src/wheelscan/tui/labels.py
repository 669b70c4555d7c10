"""Rich Text for the puts tree and the detail panel: ticker labels, candidate leaves, figures.

The leaves show the columns of `tui.columns` that fit the tree's width (the
highest priority first), so the tree never needs a sideways scroll and its
header line always sits above the right values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Span, Text

from wheelscan.tui.columns import CONTRACT_COLUMNS, Column, fit_columns
from wheelscan.tui.model import CandidateData, TickerRow

BADGE_STYLES = {"good": "bold green", "high": "yellow", "n/a": "dim"}
ERROR_STYLE = "bold red"
TREE_INDENT = 4
"""Cells the tree's guides take before a leaf's label."""
LEAF_ORDER = ("expiry", "dte", "strike", "bid", "ask", "mid", "delta", "iv", "potm", "ann",
              "otm", "spread", "oi", "vol", "be", "collateral", "badge", "earn")  # fmt: skip
_LEAF_COLUMNS = tuple(sorted(CONTRACT_COLUMNS, key=lambda c: LEAF_ORDER.index(c.key)))

Figure = tuple[str, str | Text]


def leaf_columns(width: int) -> list[Column]:
    """The contract columns a leaf shows when the tree is `width` cells wide."""
    return fit_columns(_LEAF_COLUMNS, width - TREE_INDENT)


def _cell_style(column: Column, text: str) -> str:
    if column.key == "badge":
        return BADGE_STYLES.get(text, "")
    if column.key == "earn" and text == "yes":
        return "yellow"
    return column.style


def candidate_label(row: TickerRow, candidate: CandidateData, columns: Sequence[Column]) -> Text:
    """One leaf: `columns`, text left-aligned and numbers right-aligned in their widths.

    Built as one string and its styled spans (a tree of thousands of leaves redraws
    them often)."""
    parts: list[str] = []
    spans: list[Span] = []
    at = 0
    for column in columns:
        cell = column.cell(row, candidate)
        fitted = column.fitted(cell)
        style = _cell_style(column, cell)
        if style:
            spans.append(Span(at, at + len(fitted), style))
        parts.append(fitted)
        at += len(fitted) + 1
    return Text(" ".join(parts), no_wrap=True, spans=spans)


def candidate_header(columns: Sequence[Column]) -> Text:
    titles = [column.fitted(column.title) for column in columns]
    return Text(" ".join(titles), style="bold", no_wrap=True)


def badge_summary(counts: dict[str, int]) -> Text:
    text = Text()
    for badge in ("good", "high", "n/a"):
        if counts.get(badge):
            if text:
                text.append(" ")
            text.append(f"{badge}×{counts[badge]}", style=BADGE_STYLES[badge])
    return text


def wall_time(moment: datetime, now: datetime) -> str:
    """Local wall-clock time, with the date when it is not the day of `now`."""
    local = moment.astimezone()
    if local.date() == now.astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%b %d %H:%M")


def rejections_text(row: TickerRow) -> str:
    """'itm 92 · return 40': why no contract of the ticker qualified."""
    return " · ".join(f"{reason} {count}" for reason, count in row.top_rejections)


def ticker_label(
    row: TickerRow, *, scanning: bool, now: datetime, width: int | None = None
) -> Text:
    """A ticker node: symbol, price, candidate count, best return and badges (or, with no
    candidate, the top rejection reasons), scan time, error; cut to `width` with …."""
    text = Text(no_wrap=True)
    text.append(row.symbol.ljust(7), style="bold")
    price = row.price
    text.append(("$" + f"{price:,.2f}" if price is not None else "—").rjust(11))
    count = len(row.candidates)
    if row.result is not None:
        noun = "put" if count == 1 else "puts"
        text.append(f"{count:>4} {noun:<4}", style="bold" if count else "dim")
        if count:
            best = row.best_return_pct
            text.append(f"  best {best:5.1f}%" if best is not None else "  best     —", "cyan")
            text.append("  ")
            summary = badge_summary(row.badge_counts())
            text.append_text(summary)
            text.append(" " * max(1, 14 - len(summary.plain)))
        else:
            why = rejections_text(row)
            text.append(f"  {why or 'no contract listed'}".ljust(29), style="dim")
    if row.scanned_at is not None:
        text.append(wall_time(row.scanned_at, now), style="dim")
    if scanning:
        text.append("  scanning…", style="italic magenta")
    if row.error:
        text.append(f"  ✗ {row.error}", style=ERROR_STYLE)
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


def _number(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, spec)


def _percent(fraction: Any) -> str:
    """A fraction (0.253) as a percentage ("25.3%"), or a dash when unknown."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "—"
    return f"{fraction * 100:.1f}%"


def candidate_figures(row: TickerRow, candidate: CandidateData) -> list[Figure]:
    """Every SPEC 2 figure of one contract, for the detail panel."""
    price = row.price
    value = row.result.get("intrinsic_value") if row.result else None
    badge = candidate.get("badge") or "n/a"
    return [
        ("contract", Text(candidate["contract"], style="bold")),
        ("underlying", f"{row.symbol} ${_number(price, ',.2f')}"),
        ("intrinsic value", "—" if value is None else f"${value:,.2f}"),
        ("expiration", f"{candidate['expiration']} ({candidate['dte']} d)"),
        ("strike", f"${candidate['strike']:,.2f}"),
        ("bid / ask", f"{_number(candidate['bid'], '.2f')} / {_number(candidate['ask'], '.2f')}"),
        ("mid", _number(candidate["mid"], ".3f")),
        ("last", _number(candidate.get("last"), ".2f")),
        ("spread", f"{_number(candidate['spread_pct'], '.1f')}% of mid"),
        ("implied vol", f"{_number(candidate['iv'] * 100, '.1f')}% (from mid)"),
        ("Yahoo's IV", _percent(candidate.get("iv_yahoo"))),
        ("delta", _number(candidate["delta"], ".4f")),
        ("prob. OTM", f"{_number(candidate['prob_otm'] * 100, '.1f')}%"),
        ("POP", _percent(candidate.get("pop"))),
        ("cushion", f"{_number(candidate.get('cushion_pct'), '.2f')}%"),
        ("P/E at strike", _number(candidate.get("pe_at_strike"), ".1f")),
        ("annualized", Text(f"{candidate['annualized_return_pct']:.1f}%", style="bold cyan")),
        ("OTM", f"{_number(candidate['otm_pct'], '.2f')}%"),
        ("open interest", _number(candidate.get("open_interest"), ",d")),
        ("volume", _number(candidate.get("volume"), ",d")),
        ("collateral", f"${candidate['collateral']:,.0f}"),
        ("premium", f"${candidate['bid'] * 100:,.0f}"),
        ("breakeven", f"${candidate['breakeven']:,.2f}"),
        ("earnings", "before expiry" if candidate.get("spans_earnings") else "after expiry"),
        ("badge", Text(badge, style=BADGE_STYLES.get(badge, ""))),
    ]


def ticker_figures(row: TickerRow, now: datetime) -> list[Figure]:
    """The detail panel for a ticker node: its quote, rejections and error."""
    figures: list[Figure] = [
        ("ticker", Text(row.symbol, style="bold")),
        ("price", "—" if row.price is None else f"${row.price:,.2f}"),
    ]
    if row.result:
        result = row.result
        value = result.get("intrinsic_value")
        source = result.get("intrinsic_value_source")
        earnings = result.get("next_earnings") or {}
        figures += [
            ("as of", str(result.get("as_of", "—"))),
            ("market", str(result.get("market_state") or "—")),
            ("intrinsic value", "—" if value is None else f"${value:,.2f} ({source})"),
            (
                "next earnings",
                earnings.get("date", "—") + (" (est.)" if earnings.get("estimated") else ""),
            ),
            ("candidates", str(len(row.candidates))),
        ]
        for expiry in result.get("expirations") or []:
            move = expiry.get("expected_move_pct")
            figures.append(
                (
                    f"{expiry['expiration']}",
                    f"F {_number(expiry.get('forward'), '.2f')} {expiry.get('forward_source')}"
                    f" · ATM {_percent(expiry.get('atm_iv'))}"
                    f" · ±{_number(move, '.1f')}%",
                )
            )
        rejected = result.get("rejected") or {}
        figures += [(f"rejected: {r}", str(n)) for r, n in rejected.items() if n]
    if row.scanned_at:
        figures.append(("scanned", wall_time(row.scanned_at, now)))
    if row.error:
        figures.append(("error", Text(row.error, style=ERROR_STYLE)))
    return figures


def figures_table(figures: Sequence[Figure], width: int) -> Table:
    """The figures as name/value pairs, in as many side-by-side groups as `width` holds
    (one group beside the tree, two or three under it)."""
    group_width = 34
    groups = max(1, min(3, (width + 2) // group_width))
    per_group = math.ceil(len(figures) / groups)
    names = max((len(name) for name, _ in figures), default=0)
    table = Table.grid(padding=(0, 1))
    for index in range(groups):
        # Names are never cut; a long value wraps under itself (expirations' lines).
        table.add_column(style="dim", no_wrap=True, min_width=min(names, 16))
        table.add_column(justify="right", min_width=10, overflow="fold")
        if index < groups - 1:
            table.add_column(width=1)
    for line in range(per_group):
        cells: list[str | Text] = []
        for index in range(groups):
            at = index * per_group + line
            name, value = figures[at] if at < len(figures) else ("", "")
            cells += [name, value]
            if index < groups - 1:
                cells.append("")
        table.add_row(*cells)
    return table
