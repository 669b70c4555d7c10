"""The app's main view (between header and footer): its layout, how it draws the app's
data, and its widgets' own events.

Four views share the space under the view bar (one shows at a time): Puts (the
tree per ticker), All candidates (one table across tickers), Calls and Plan.
The detail panel sits beside them on a wide screen and below them on a narrow
one (`-narrow`, under `NARROW_BELOW` columns). The view keeps no state beyond
what its widgets show: it reads the app's `ResultsBook` (never changed here) and
is handed the filter, the order and the scan record to draw with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.message import Message
from textual.widgets import ContentSwitcher, Input, Label, Static

from wheelscan.cli.messages import plural
from wheelscan.market import Clock
from wheelscan.tui.columns import Column, SortOrder
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.formatting import TickerCounts, empty_hint
from wheelscan.tui.grid import GridColumn, RowsTable
from wheelscan.tui.model import CandidateData, ResultsBook, TickerRow
from wheelscan.tui.puts_tree import NodeRef, PutsTree
from wheelscan.tui.runtime import while_running
from wheelscan.tui.scan_state import ScanRun
from wheelscan.tui.tables import (
    CALL_COLUMNS,
    NO_POSITIONS,
    NOTHING_TO_PLAN,
    PLAN_COLUMNS,
    PLAN_LOADING,
    ContractRow,
    call_cells,
    call_rows,
    candidate_columns,
    contract_cells,
    grid_columns,
    holding_lines,
    plan_cells,
    plan_rows,
    plan_summary,
    sorted_header,
)
from wheelscan.tui.widgets import (
    ColumnHeader,
    DetailPanel,
    RowMarks,
    ScanProgress,
    StatusLine,
    ViewBar,
)

FILTER_PLACEHOLDER = "filter: ko  ann>40  delta<0.15  dte<=14  badge:good  (esc clears, ? help)"
NARROW_BELOW = 110
DETAILED_VIEWS = ("puts", "all")
"""The views whose contracts the detail panel shows (the calls and plan views say theirs)."""


class MainView(Vertical):
    """View bar, status line, scan progress, the four views, the detail panel, the filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_details", "Details", show=False),
    ]

    def __init__(self, book: ResultsBook, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.clock = clock
        self.drawn_for: tuple[tuple[str, ...], int | None] = ((), None)
        """The leaf columns and label width the puts view was last drawn for."""
        self.details_wanted = False
        self._candidate_columns: list[Column] = []
        self.candidates_drawn: tuple[ResultsFilter, SortOrder] | None = None

    def compose(self) -> ComposeResult:
        yield ViewBar(id="views")
        yield StatusLine(id="status")
        yield ScanProgress(id="progress")
        with Container(id="main"):
            with ContentSwitcher(initial="puts", id="switcher"):
                with Vertical(id="puts"):
                    yield ColumnHeader(id="columns")
                    yield PutsTree(id="tree")
                with Vertical(id="all"):
                    yield RowsTable[ContractRow](self._contract_cells, id="candidates")
                    yield Label(id="all-note")
                with Vertical(id="calls"):
                    yield Static(id="calls-note")
                    yield RowsTable[dict[str, Any]](call_cells, id="calls-table")
                with Vertical(id="plan"):
                    yield Static(PLAN_LOADING, id="plan-note")
                    yield RowsTable[dict[str, Any]](plan_cells, id="plan-table")
                    yield Static(id="plan-why")
            yield DetailPanel(id="details")
        yield Input(placeholder=FILTER_PLACEHOLDER, id="filter", compact=True)

    def on_mount(self) -> None:
        self.details.display = False
        self.filter_field.can_focus = False
        self.tree.focus()

    @property
    def tree(self) -> PutsTree:
        return self.query_one(PutsTree)

    @property
    def candidates(self) -> RowsTable[ContractRow]:
        return self.query_one("#candidates", RowsTable)

    @property
    def details(self) -> DetailPanel:
        return self.query_one(DetailPanel)

    @property
    def filter_field(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def view(self) -> str:
        return self.query_one(ContentSwitcher).current or "puts"

    # -- layout -------------------------------------------------------------------------

    @dataclass
    class Redraw(Message):
        """The leaf columns or the label width changed (a resize, the tree's scrollbar
        came or went): the puts view needs drawing again."""

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#main").set_class(event.size.width < NARROW_BELOW, "-narrow")

    @on(PutsTree.Resized)
    def _redraw_if_columns_changed(self) -> None:
        if self.is_mounted and self._drawn_for(self._marks(frozenset())) != self.drawn_for:
            self.post_message(self.Redraw())

    def switch(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view
        self.want_details(self.details_wanted)
        focus = {
            "puts": "#tree",
            "all": "#candidates",
            "calls": "#calls-table",
            "plan": "#plan-table",
        }.get(view)
        if focus:
            self.query_one(focus).focus()
        self.show_details()

    # -- drawing ------------------------------------------------------------------------

    def show_views(self, sort: SortOrder | None, rules: ResultsFilter) -> None:
        problems = "; ".join(rules.problems)
        self.query_one(ViewBar).show(self.view, sort, rules.text, problems)

    def show_status(
        self, demo: bool, market: Text, data_age: str, stale: bool, criteria: str
    ) -> None:
        self.query_one(StatusLine).show(demo, market, data_age, stale, criteria)

    def show_scan(self, run: ScanRun, now: datetime) -> None:
        """The running scan's progress, or how the last one ended. The block is always
        there: showing and hiding it made two layout passes (whole-screen repaints) per scan."""
        rows = self.book.rows.values()
        counts = TickerCounts(
            len(self.book.rows), self.book.candidate_count, sum(bool(r.error) for r in rows)
        )
        self.query_one(ScanProgress).show(run, now, counts)

    @staticmethod
    def _drawn_for(marks: RowMarks) -> tuple[tuple[str, ...], int | None]:
        return tuple(c.key for c in marks.columns), marks.width

    def _marks(self, in_flight: frozenset[str]) -> RowMarks:
        width = self.tree.label_width or self.size.width or 80
        return RowMarks.for_width(in_flight, self.clock(), width)

    def prune_book(self, rules: ResultsFilter, order: SortOrder) -> list[str]:
        """Drop the tickers `rules` hides (all, for another order) and return those to draw,
        in `order`, for `show_tickers` to draw a batch at a time."""
        marks = self._marks(frozenset())
        self.drawn_for = self._drawn_for(marks)
        self.query_one(ColumnHeader).show(list(marks.columns))
        symbols = self.tree.prune(self.book.visible_symbols(rules, order), order)
        self._after_rows(rules)
        return symbols

    def show_tickers(
        self,
        symbols: Iterable[str],
        rules: ResultsFilter,
        order: SortOrder,
        in_flight: frozenset[str],
    ) -> None:
        """Some tickers changed: redraw those, dropping the ones `rules` now hides."""
        shown, hidden = [], []
        for symbol in symbols:
            row = self.book.shown(symbol, rules, order)
            if row is None:
                hidden.append(symbol)
            else:
                shown.append(row)
        self.tree.update_rows(shown, hidden, self._marks(in_flight), order)
        self._after_rows(rules)

    def _after_rows(self, rules: ResultsFilter) -> None:
        self.tree.show_hint(empty_hint(bool(self.book.rows), rules))
        self.show_details()

    def show_candidates(self, rules: ResultsFilter, order: SortOrder) -> None:
        """The all-candidates table: every candidate `rules` keeps, across tickers, in `order`."""
        self.candidates_drawn = (rules, order)
        table = self.candidates
        columns = candidate_columns(table.scrollable_content_region.width or self.size.width)
        self._candidate_columns = columns
        pairs = self.book.contracts(rules, order)
        table.show(
            grid_columns(columns),
            [(candidate["contract"], (row, candidate)) for row, candidate in pairs],
            sorted_header(columns, order),
        )
        note = self.query_one("#all-note", Label)
        total = self.book.candidate_count
        shown = f"{plural(len(pairs), 'candidate')}" + (f" of {total:,}" if rules.active else "")
        note.update(
            Text(f" {shown} · o next sort column, O reverses, click a heading", style="dim")
            if pairs
            else Text(" " + empty_hint(bool(self.book.rows), rules), style="dim")
        )
        self.show_details()

    @on(RowsTable.Resized, "#candidates")
    def _candidates_resized(self) -> None:
        """The columns that fit the new width (the detail panel came or went)."""
        if self.candidates_drawn is not None and self.view == "all":
            keys = [
                c.key for c in candidate_columns(self.candidates.scrollable_content_region.width)
            ]
            if keys != [c.key for c in self._candidate_columns]:
                self.show_candidates(*self.candidates_drawn)

    def _contract_cells(self, pair: ContractRow) -> list[Text]:
        return contract_cells(self._candidate_columns, pair)

    def show_calls(self, document: dict[str, Any] | None, error: str | None) -> None:
        if document is None:
            failed = Text(f"Covered calls could not be read: {error}", style="bold red")
            self._show_side_view("calls", CALL_COLUMNS, [], failed)
            return
        lines = holding_lines(document)
        note = Text("\n").join(lines) if lines else Text(NO_POSITIONS)
        self._show_side_view("calls", CALL_COLUMNS, call_rows(document), note)

    def show_plan(self, document: dict[str, Any] | None, error: str | None) -> None:
        if document is None:
            failed = Text(f"The plan could not be made: {error}", style="bold red")
            self._show_side_view("plan", PLAN_COLUMNS, [], failed)
        else:
            lines = plan_summary(document)
            if not document.get("actions"):
                lines.append(Text(NOTHING_TO_PLAN))
            note = Text("\n").join(lines)
            self._show_side_view("plan", PLAN_COLUMNS, plan_rows(document), note)
        self.show_plan_reasons()

    def _show_side_view(
        self, view: str, columns: Sequence[GridColumn], rows: list[Any], note: Text
    ) -> None:
        """The calls or plan view: its note above its table, which shows only with rows."""
        self.query_one(f"#{view}-note", Static).update(note)
        table = self.query_one(f"#{view}-table", RowsTable)
        table.show(columns, rows)
        table.display = bool(table.keys)

    def show_plan_reasons(self) -> None:
        """Why the highlighted action is in the plan, with the figures its rules fired on."""
        from wheelscan.cli.plan_text import reason_text

        action = self.query_one("#plan-table", RowsTable).cursor_data
        why = self.query_one("#plan-why", Static)
        if action is None:
            why.update("")
            return
        reasons = [reason_text(action, reason) for reason in action["why"]]
        why.update(Text("\n".join(f"why: {reason}" for reason in reasons), style="dim"))

    @on(RowsTable.Highlighted, "#plan-table")
    @while_running
    def plan_highlighted(self, event: RowsTable.Highlighted) -> None:
        self.show_plan_reasons()

    def cursor_action(self) -> dict[str, Any] | None:
        return self.query_one("#plan-table", RowsTable).cursor_data

    # -- what the cursor is on -----------------------------------------------------------

    def cursor_contract(self) -> tuple[TickerRow, CandidateData] | None:
        """The put contract under the cursor of the puts or all-candidates view."""
        if self.view == "all":
            return self.candidates.cursor_data
        ref = self.tree.cursor_ref
        row = self.book.rows.get(ref.symbol) if ref is not None else None
        if ref is None or ref.contract is None or row is None:
            return None
        found = [c for c in row.candidates if c["contract"] == ref.contract]
        return (row, found[0]) if found else None

    def cursor_call(self) -> dict[str, Any] | None:
        return self.query_one("#calls-table", RowsTable).cursor_data

    # -- details ---------------------------------------------------------------------------

    def show_details(self) -> None:
        """The highlighted node's or row's figures, if the panel is open."""
        panel = self.details
        if not panel.display:
            return
        if self.view == "all":
            pair = self.candidates.cursor_data
            ref = NodeRef(pair[0].symbol, pair[1]["contract"]) if pair else None
        else:
            ref = self.tree.cursor_ref
        row = self.book.rows.get(ref.symbol) if ref is not None else None
        panel.show(ref, row, self.clock())

    @dataclass
    class DetailsWanted(Message):
        """The user opened or closed the detail panel (the app remembers it)."""

    def want_details(self, wanted: bool) -> None:
        """Open or close the detail panel; it shows in the puts and all-candidates views."""
        if wanted != self.details_wanted:
            self.post_message(self.DetailsWanted())
        self.details_wanted = wanted
        self.details.display = wanted and self.view in DETAILED_VIEWS
        self.show_details()

    def action_toggle_details(self) -> None:
        self.want_details(not self.details_wanted)

    @on(PutsTree.Selected, "#tree")
    @while_running
    def open_details(self, event: PutsTree.Selected) -> None:
        """Enter on a contract shows its figures (on a ticker, the tree opens it)."""
        self.want_details(True)

    @on(RowsTable.Selected, "#candidates")
    @while_running
    def open_candidate_details(self, event: RowsTable.Selected) -> None:
        self.want_details(True)

    @on(PutsTree.Highlighted, "#tree")
    @on(RowsTable.Highlighted, "#candidates")
    @while_running
    def follow_highlight(self, event: Any) -> None:
        self.show_details()

    # -- the filter field ---------------------------------------------------------------

    def open_filter(self, text: str) -> None:
        """Show the filter field and focus it at once. It is always laid out (closed, it is
        no lines high), so the keys typed right after `/` land in it."""
        field = self.filter_field
        field.add_class("-open")
        field.can_focus = True
        field.value = text
        field.cursor_position = len(text)
        self.screen.set_focus(field)

    @property
    def filter_open(self) -> bool:
        return self.filter_field.has_class("-open")

    def close_filter(self) -> None:
        self.filter_field.remove_class("-open")
        self.filter_field.can_focus = False  # closed, tab does not land in it
        self.switch(self.view)
