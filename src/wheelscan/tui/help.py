"""`?`: the keys, the filter's syntax and what every column means, on one scrollable screen.

Built from the same definitions the app uses (`KEYS` here, the columns of
tui.columns, the calls table's help), so it cannot drift from them.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from wheelscan.tui.columns import ALL_COLUMNS
from wheelscan.tui.tables import CALL_HELP

KEYS: tuple[tuple[str, str], ...] = (
    ("1 2 3 4, v", "views: Puts (tree per ticker), All candidates, Calls, Plan; v cycles"),
    ("s", "scan the watchlist now, in a scan process of its own (as cron's refresh)"),
    ("c", "stop that scan: the previous results stay"),
    ("q", "quit; a running scan keeps going and publishes when it ends, like cron's"),
    ("/", "filter (applied as you type); enter keeps it, esc clears it"),
    ("esc", "clear the filter; close the detail panel"),
    ("o / O", "sort by the next column / reverse the sort (or click a heading)"),
    ("enter", "open a ticker; show a contract's figures"),
    ("d", "show or hide the detail panel (beside, or below on a narrow screen)"),
    ("y", "copy the highlighted contract's OCC symbol (in the Plan view, its order ticket)"),
    ("Y", "copy a ticket selling it at the bid, e.g. SELL −1 KO 2026-12-18 60 P @ 0.85 LMT"),
    ("r", "reload the results from the store"),
    ("e", "export the visible results to CSV or JSON"),
    ("k", "the put criteria: enter writes one to config.toml and re-evaluates the cached answers"),
    ("ctrl+p", "every command, the theme among them"),
)

FILTER_SYNTAX: tuple[tuple[str, str], ...] = (
    ("ko pep", "tickers containing KO or PEP"),
    ("ann>40", "annualized return above 40 %  (< <= > >= = != work on any number column)"),
    ("delta<0.15", "|delta| below 0.15"),
    ("dte<=14 iv>=30", "several conditions: all must hold (IV and P(OTM) in %)"),
    ("badge:good", "a text column containing the value; badge=good for exactly"),
    ("price<100", "a ticker's own columns (ticker, price) keep or hide the ticker"),
    ("40", "a bare number: annualized return of at least 40 %"),
)


def _pairs(title: str, rows: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for left, right in rows:
        table.add_row(left, right)
    return table


def help_tables() -> list[Table]:
    columns = tuple((f"{c.title} ({', '.join(c.filter_names)})", c.help) for c in ALL_COLUMNS)
    return [
        _pairs("Keys", KEYS),
        _pairs("Filter", FILTER_SYNTAX),
        _pairs("Columns (title, then the names the filter and sort know)", columns),
        _pairs("Calls view", CALL_HELP),
    ]


class HelpScreen(ModalScreen[None]):
    """The help, over the app; any of esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("wheelscan — help (esc closes)", style="bold"))
            for table in help_tables():
                yield Static(table, classes="help-table")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
