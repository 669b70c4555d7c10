"""The app's main view (between header and footer): its layout, how it draws the app's
data, and its widgets' own events.

The view keeps no state beyond what its widgets show: it reads the app's
`ResultsBook` (shared, never changed here) and is handed the filter, the scan
record and the moment to draw at. Other views (all candidates, calls, the plan)
will sit beside the puts tree in `#main`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Tree

from wheelscan.market import Clock
from wheelscan.tui.formatting import empty_hint
from wheelscan.tui.model import ResultsBook, ResultsFilter
from wheelscan.tui.runtime import while_running
from wheelscan.tui.scan_state import ScanRun
from wheelscan.tui.widgets import (
    ColumnHeader,
    DetailPanel,
    NodeRef,
    ResultsTree,
    RowMarks,
    ScanProgress,
    StatusLine,
)

FILTER_PLACEHOLDER = "ticker (e.g. AAP) or minimum annualized % (e.g. 40)"


class MainView(Vertical):
    """Status line, scan progress, the puts tree with its detail panel, the filter field."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_details", "Details panel", show=False),
        Binding("escape", "close_panels", "Close", show=False),
    ]

    def __init__(self, book: ResultsBook, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield ScanProgress(id="progress")
        with Horizontal(id="main"):
            with Vertical(id="results"):
                yield ColumnHeader(id="columns")
                yield Label(id="empty")
                yield ResultsTree(id="tree")
            yield DetailPanel(id="details")
        yield Input(placeholder=FILTER_PLACEHOLDER, id="filter")

    def on_mount(self) -> None:
        for hidden in ("#progress", "#filter", "#details", "#empty"):
            self.query_one(hidden).display = False
        self.tree.focus()

    @property
    def tree(self) -> ResultsTree:
        return self.query_one(ResultsTree)

    @property
    def details(self) -> DetailPanel:
        return self.query_one(DetailPanel)

    @property
    def filter_field(self) -> Input:
        return self.query_one("#filter", Input)

    # -- drawing ------------------------------------------------------------------

    def show_status(
        self, market: Text, data_age: str, stale: bool, criteria: str, filter_text: str
    ) -> None:
        self.query_one(StatusLine).show(market, data_age, stale, criteria, filter_text)

    def show_scan(self, run: ScanRun, now: datetime) -> None:
        """The progress block while a scan runs; hidden otherwise."""
        progress = self.query_one(ScanProgress)
        progress.display = run.running
        if run.running:
            progress.show(run, now)

    def show_book(self, rules: ResultsFilter, marks: RowMarks) -> None:
        """Exactly the tickers `rules` lets through, with the open panel's details."""
        self.tree.show_rows(self.book.visible(rules), marks)
        self._after_rows(rules)

    def show_tickers(self, symbols: Iterable[str], rules: ResultsFilter, marks: RowMarks) -> None:
        """Some tickers changed: redraw those, dropping the ones `rules` now hides."""
        shown, hidden = [], []
        for symbol in symbols:
            row = self.book.shown(symbol, rules)
            if row is None:
                hidden.append(symbol)
            else:
                shown.append(row)
        self.tree.update_rows(shown, hidden, marks)
        self._after_rows(rules)

    def show_marks(self, symbols: Iterable[str], rules: ResultsFilter, marks: RowMarks) -> None:
        """Only the "scanning…" mark of these tickers changed: redo their labels alone."""
        rows = [row for symbol in symbols if (row := self.book.shown(symbol, rules)) is not None]
        if rows:
            self.tree.relabel(rows, marks)

    def _after_rows(self, rules: ResultsFilter) -> None:
        hint = self.query_one("#empty", Label)
        hint.display = not self.tree.root.children
        hint.update(empty_hint(bool(self.book.rows), rules))
        self.show_details()

    def show_details(self) -> None:
        """The highlighted node's figures, if the panel is open."""
        panel = self.details
        if not panel.display:
            return
        node = self.tree.cursor_node
        ref = node.data if node is not None else None
        row = self.book.rows.get(ref.symbol) if ref is not None else None
        panel.show(ref, row, self.clock())

    def action_toggle_details(self) -> None:
        self.details.display = not self.details.display
        self.show_details()

    def action_close_panels(self) -> None:
        self.details.display = False
        self.tree.focus()

    @on(Tree.NodeSelected, "#tree")
    @while_running
    def open_details(self, event: Tree.NodeSelected[NodeRef]) -> None:
        """Enter on a ticker opens or closes it; on a contract, shows its figures."""
        node = event.node
        if node.data is not None and node.data.contract is None:
            node.toggle()
        else:
            self.details.display = True
        self.show_details()

    @on(Tree.NodeHighlighted, "#tree")
    @while_running
    def follow_highlight(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        self.show_details()

    # -- the filter field ---------------------------------------------------------------

    def open_filter(self, text: str) -> None:
        field = self.filter_field
        field.display = True
        field.value = text
        field.focus()

    def close_filter(self) -> None:
        self.filter_field.display = False
        self.tree.focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.filter_field.has_focus:
            event.stop()
            self.close_filter()
