"""What the table views draw: all candidates, covered calls, the plan (cells and columns).

Each view is a `RowsTable` (tui.grid) fed (key, data) rows; the functions here
say which columns it has at a width and what a row's cells read. Pure apart
from Rich Text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from wheelscan.tui.columns import COLUMNS, Column, SortOrder, fit_columns
from wheelscan.tui.grid import GridColumn, row_text
from wheelscan.tui.labels import BADGE_STYLES, LEAF_ORDER
from wheelscan.tui.model import CandidateData, TickerRow

ContractRow = tuple[TickerRow, CandidateData]
_ALL_ORDER = ("ticker", *LEAF_ORDER)
_TABLE_COLUMNS = tuple(COLUMNS[key] for key in _ALL_ORDER)


def candidate_columns(width: int) -> list[Column]:
    """The all-candidates table's columns at `width` cells (the ticker always)."""
    return fit_columns(_TABLE_COLUMNS, width - 1)


def grid_columns(columns: Sequence[Column]) -> list[GridColumn]:
    return [GridColumn(c.key, c.title, c.width, c.right_aligned) for c in columns]


def sorted_header(columns: Sequence[Column], order: SortOrder | None) -> Text:
    """Column titles, the sort column's marked ↑ or ↓ (and underlined)."""
    header = Text(no_wrap=True)
    for index, column in enumerate(columns):
        if index:
            header.append(" ")
        title = column.title
        if order is not None and column.key == order.key:
            title = (title[: column.width - 1] + ("↓" if order.descending else "↑"))[
                -column.width :
            ]
            header.append(column.fitted(title), style="bold underline")
        else:
            header.append(column.fitted(title))
    return header


def contract_cells(columns: Sequence[Column], pair: ContractRow) -> list[Text]:
    row, candidate = pair
    cells = []
    for column in columns:
        text = column.cell(row, candidate)
        style = BADGE_STYLES.get(text, "") if column.key == "badge" else column.style
        cells.append(Text(text, style=style))
    return cells


# -- covered calls (SPEC 9), from the `calls --json` document --------------------------------

CALL_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("ticker", "ticker", 6),
    GridColumn("expiry", "expiry", 10),
    GridColumn("dte", "DTE", 3, right=True),
    GridColumn("strike", "strike", 8, right=True),
    GridColumn("bid", "bid", 6, right=True),
    GridColumn("delta", "delta", 5, right=True),
    GridColumn("static", "static%", 7, right=True),
    GridColumn("called", "called%", 7, right=True),
    GridColumn("potm", "P(OTM)", 6, right=True),
    GridColumn("oi", "OI", 6, right=True),
    GridColumn("flags", "flags", 14),
)
CALL_HELP = (
    ("static%", "bid / price × 365 / DTE: the return if the shares stay"),
    ("called%", "(bid + strike − adjusted basis) / adjusted basis: the return if called away"),
    ("flags", "early-assign: an ex-dividend date before expiry and extrinsic below the dividend;"
              " earnings: earnings before expiry"),
)  # fmt: skip


def _pct(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.1f}"


def call_rows(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """One row per covered-call candidate, symbols in the document's order."""
    rows = []
    for symbol, result in document.get("results", {}).items():
        for candidate in result.get("candidates", []):
            rows.append((candidate["contract"], {"symbol": symbol, **candidate}))
    return rows


def call_cells(call: dict[str, Any]) -> list[Text | str]:
    flags = []
    if call.get("early_assignment_risk"):
        flags.append("early-assign")
    if call.get("spans_earnings"):
        flags.append("earnings")
    return [
        Text(call["symbol"], style="bold"),
        call["expiration"],
        str(call["dte"]),
        f"{call['strike']:,.2f}",
        f"{call['bid']:.2f}",
        f"{call['delta']:.2f}",
        Text(_pct(call.get("annualized_return_pct")), style="bold"),
        _pct(call.get("if_called_return_pct")),
        _pct(call["prob_otm"] * 100 if isinstance(call.get("prob_otm"), float) else None),
        "—" if call.get("open_interest") is None else f"{call['open_interest']:,d}",
        Text(" ".join(flags), style="yellow"),
    ]


def holding_lines(document: dict[str, Any]) -> list[Text]:
    """A line per held symbol: shares, adjusted basis, floor; or why it has no calls."""
    lines = []
    for symbol, result in document.get("results", {}).items():
        basis = result.get("adjusted_basis")
        line = Text()
        line.append(f"{symbol:<6}", style="bold")
        line.append(
            f" {result['uncovered_shares']:,} uncovered of {result['shares']:,} sh"
            f" · adj. basis {'—' if basis is None else f'{basis:,.2f}'}"
            f" · spot {result['underlying_price']:,.2f}"
        )
        if not result.get("candidates"):
            why = ", ".join(f"{r['reason']} {r['count']}" for r in result.get("top_rejections", []))
            line.append(f" · no call qualifies ({why or 'no calls listed'})", style="dim")
        lines.append(line)
    for symbol, why in document.get("covered", {}).items():
        lines.append(Text(f"{symbol:<6} {why}: nothing to cover", style="dim"))
    for symbol, why in document.get("errors", {}).items():
        lines.append(Text(f"{symbol:<6} ✗ {why}", style="bold red"))
    return lines


def line_of(columns: Sequence[GridColumn], cells: Sequence[Text | str]) -> Text:
    return row_text(columns, cells)


# -- the plan (SPEC 10), from the `plan --json` document ------------------------------------

NO_POSITIONS = (
    "No shares recorded, so no covered call to sell. Record what you hold with\n"
    "  wheelscan positions add-shares KO 100 58.20   (100 shares at $58.20)\n"
    "  wheelscan positions assign KO261218P00060000   (an assigned put)\n"
    "then press r. Calls come from the answers the last scan kept: no extra request."
)
PLAN_LOADING = "Reading the plan…"
NOTHING_TO_PLAN = (
    "Nothing to do today. The plan lists open shorts to manage, covered calls for the"
    " shares you hold and new puts that fit your cash: record positions with"
    " `wheelscan positions`, set `wheelscan config set cash DOLLARS`, then press r."
)


PLAN_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn("number", "#", 3, right=True),
    GridColumn("kind", "to do", 8),
    GridColumn("ticker", "ticker", 6),
    GridColumn("ticket", "order ticket (y copies it)", 60),
)
KIND_TITLES = {"manage": "manage", "roll": " or roll", "covered_call": "call", "new_put": "put"}


def plan_rows(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """One row per action, numbered as `wheelscan plan` numbers them (a roll is an
    alternative of the short above it, unnumbered)."""
    rows: list[tuple[str, dict[str, Any]]] = []
    number = 0
    for index, action in enumerate(document.get("actions", [])):
        if action["kind"] != "roll":
            number += 1
        rows.append(
            (f"{index}", {**action, "number": number if action["kind"] != "roll" else None})
        )
    return rows


def plan_cells(action: dict[str, Any]) -> list[Text | str]:
    ticket = action.get("ticket") or "(no quote to price an order: wheelscan refresh)"
    return [
        "" if action["number"] is None else str(action["number"]),
        KIND_TITLES.get(action["kind"], action["kind"]),
        Text(action["symbol"], style="bold"),
        Text(ticket, style="bold cyan" if action.get("ticket") else "dim"),
    ]


def plan_summary(document: dict[str, Any]) -> list[Text]:
    """Cash and counts, then the warnings (what the published scan lacks)."""
    cash, counts = document.get("cash", {}), document.get("counts", {})
    line = Text()
    if cash.get("cash") is None:
        line.append("no cash set, so no new puts: wheelscan config set cash DOLLARS", "dim")
    else:
        line.append(
            f"cash ${cash['cash']:,.0f} · free ${cash['free_cash']:,.0f}"
            f" · to new puts ${cash['allocated']:,.0f} · left ${cash['left']:,.0f}"
        )
    done = ", ".join(
        f"{counts[kind]} {title.strip()}" for kind, title in KIND_TITLES.items() if counts.get(kind)
    )
    line.append(f" │ {done or 'nothing to do'}", style="bold")
    return [line, *(Text(f"! {w}", style="yellow") for w in document.get("warnings", []))]
