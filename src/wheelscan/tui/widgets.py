"""The app's widgets: view bar, status line, scan progress, puts tree, detail panel, export dialog.

They hold no scan logic: the app hands them plain data (`TickerRow`s, counters)
and they render it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from wheelscan.tui.app_state import VIEW_TITLES, VIEWS
from wheelscan.tui.columns import Column, SortOrder
from wheelscan.tui.formatting import scan_clock, scan_counters
from wheelscan.tui.labels import (
    candidate_figures,
    candidate_header,
    candidate_label,
    figures_table,
    leaf_columns,
    ticker_figures,
    ticker_label,
)
from wheelscan.tui.model import CandidateData, TickerRow
from wheelscan.tui.scan_state import ScanRun


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a ticker, or one of its contracts."""

    symbol: str
    contract: str | None = None


class ViewBar(Static):
    """The views (click one, or press its number), the sort and the filter, on one line."""

    shown: Text | None = None

    def show(self, view: str, sort: SortOrder | None, filter_text: str, problems: str) -> None:
        text = Text(no_wrap=False)
        for number, name in enumerate(VIEWS, start=1):
            style = "bold reverse" if name == view else ""
            text.append(f" {number} {VIEW_TITLES[name]} ", style=style)
            text.append(" ")
        if sort is not None:
            text.append("│ ", style="dim")
            text.append(f"sort {sort.describe()} ", style="cyan")
        if filter_text:
            text.append("│ ", style="dim")
            text.append(f"filter {filter_text}", style="bold yellow")
        if problems:
            text.append(f" (? {problems})", style="red")
        if text != self.shown:
            self.shown = text
            self.update(text)

    @dataclass
    class Chosen(Message):
        """A view's name was clicked."""

        view: str

    def on_click(self, event: events.Click) -> None:
        x = event.x
        for number, name in enumerate(VIEWS, start=1):
            width = cell_len(f" {number} {VIEW_TITLES[name]} ") + 1
            if x < width:
                self.post_message(self.Chosen(name))
                return
            x -= width


class StatusLine(Static):
    """DEMO (when it is), market state, data age, criteria, on one line under the views."""

    shown: Text | None = None

    def show(self, demo: bool, market: Text, data_age: str, stale: bool, criteria: str) -> None:
        text = Text()
        if demo:
            text.append(" DEMO ", style="bold reverse yellow")
            text.append(" simulated market ", style="yellow")
            text.append("│ ", style="dim")
        text.append_text(market)
        text.append(" │ ", style="dim")
        if data_age == "none yet":
            text.append("no results yet")
        else:
            text.append("results ")
            text.append("stale" if stale else "fresh", style="bold red" if stale else "green")
            text.append(f", {data_age}")
        text.append(" │ ", style="dim")
        text.append(criteria, style="cyan")
        if text != self.shown:
            self.shown = text
            self.update(text)


class ScanProgress(Vertical):
    """A running scan: its title, a bar, and counters (done/total, candidates, errors, time)."""

    shown_title: Text | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="scan-title")
        with Horizontal(id="scan-line"):
            yield ProgressBar(total=None, show_eta=False, id="scan-bar")
            yield Label(id="scan-counters")

    def show(self, run: ScanRun, now: datetime) -> None:
        title = Text(run.title, style="bold")
        title.append(f"  {scan_clock(run, now)}")
        if run.mode == "scanning" and not run.cancelling:
            title.append("  (c stops it)", style="dim")
        if title != self.shown_title:
            self.shown_title = title
            self.query_one("#scan-title", Label).update(title)
        bar = self.query_one(ProgressBar)
        bar.update(total=run.total or None, progress=run.done)
        self.query_one("#scan-counters", Label).update(scan_counters(run))


class ColumnHeader(Static):
    """Column titles above the tree, aligned with the candidate leaves."""

    def show(self, columns: list[Column]) -> None:
        self.update(candidate_header(columns))


@dataclass(frozen=True)
class RowMarks:
    """How the tree draws a ticker and its leaves now: the tickers the scan is fetching,
    the moment scan times are read against, the leaf columns that fit, the label width."""

    in_flight: frozenset[str]
    now: datetime
    columns: tuple[Column, ...] = ()
    width: int | None = None

    @classmethod
    def for_width(cls, in_flight: frozenset[str], now: datetime, width: int) -> RowMarks:
        return cls(in_flight, now, tuple(leaf_columns(width)), max(20, width - 2))

    def label(self, row: TickerRow) -> Text:
        scanning = row.symbol in self.in_flight
        return ticker_label(row, scanning=scanning, now=self.now, width=self.width)

    def leaf(self, row: TickerRow, candidate: CandidateData) -> Text:
        return candidate_label(row, candidate, self.columns)


class ResultsTree(Tree[NodeRef]):
    """One collapsible node per ticker, in the sort order, its candidates as aligned leaves.

    The expanded tickers are remembered by symbol, so a reload, a filter or a
    streamed update keeps them open. Updates touch only what changed: a new label
    repaints its node's lines, and an expand (even of an open node) makes Textual
    redraw every visible line, so a label that already reads right and an open
    node are left alone. A ticker whose place in the order changed is moved.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", show=False)
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("results", **kwargs)
        self.show_root = False
        self.auto_expand = False
        self.expanded_symbols: set[str] = set()
        self.places: dict[str, tuple[Any, ...]] = {}

    def get_label_width(self, node: TreeNode[NodeRef]) -> int:
        """The label's width without rendering it (Textual's default renders every label
        each time the tree's lines are rebuilt, which is after every added node)."""
        label = node.label
        width = label.cell_len if isinstance(label, Text) else cell_len(label)
        if node.allow_expand:
            width += cell_len(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
        return width

    def _ticker_nodes(self) -> dict[str, TreeNode[NodeRef]]:
        return {node.data.symbol: node for node in self.root.children if node.data is not None}

    def show_rows(self, rows: list[TickerRow], marks: RowMarks, order: SortOrder) -> None:
        """Show exactly `rows` (in their order), updating nodes in place where they exist."""
        wanted = [row.symbol for row in rows]
        nodes = self._ticker_nodes()
        hidden = [symbol for symbol in nodes if symbol not in set(wanted)]
        kept = [symbol for symbol in nodes if symbol not in set(hidden)]
        if kept != [symbol for symbol in wanted if symbol in nodes]:
            hidden = list(nodes)  # the order changed: draw them again in the new one
        self.update_rows(rows, hidden, marks, order)

    def update_rows(
        self, rows: list[TickerRow], hidden: list[str], marks: RowMarks, order: SortOrder
    ) -> None:
        """Add or update the nodes of `rows` and remove those of `hidden`; the rest stay."""
        nodes = self._ticker_nodes()
        for symbol in hidden:
            node = nodes.pop(symbol, None)
            self.places.pop(symbol, None)
            if node is not None:
                node.remove()
        for row in rows:
            self._show_row(row, nodes, marks, order.ticker_key(row))
        if self.cursor_node is None and self.root.children:
            self.move_cursor(self.root.children[0])

    def _show_row(
        self,
        row: TickerRow,
        nodes: dict[str, TreeNode[NodeRef]],
        marks: RowMarks,
        place: tuple[Any, ...],
    ) -> None:
        """Add or update one ticker's node at its place in the order."""
        label = marks.label(row)
        node = nodes.get(row.symbol)
        if node is not None and self.places.get(row.symbol) != place:
            node.remove()
            del self.places[row.symbol]
            node = None
        if node is None:
            order = [self.places[n.data.symbol] for n in self.root.children if n.data]
            index = bisect.bisect(order, place)
            before = index if index < len(order) else None
            node = self.root.add(label, NodeRef(row.symbol), before=before)
            nodes[row.symbol] = node
            self.places[row.symbol] = place
        else:
            _relabel(node, label)
        self._fill(node, row, marks)
        if row.symbol in self.expanded_symbols and node.children and not node.is_expanded:
            node.expand()

    def _fill(self, node: TreeNode[NodeRef], row: TickerRow, marks: RowMarks) -> None:
        candidates = row.candidates
        contracts = [c["contract"] for c in candidates]
        existing = [child.data.contract for child in node.children if child.data is not None]
        if existing == contracts:
            for child, candidate in zip(node.children, candidates, strict=True):
                _relabel(child, marks.leaf(row, candidate))
            return
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        node.remove_children()
        for candidate in candidates:
            leaf = node.add_leaf(
                marks.leaf(row, candidate), NodeRef(row.symbol, candidate["contract"])
            )
            if cursor == leaf.data:
                self.move_cursor(leaf)
        node.allow_expand = bool(candidates)

    def relabel(self, rows: list[TickerRow], marks: RowMarks) -> None:
        """Redo the ticker labels of `rows` alone (their candidates have not changed)."""
        nodes = self._ticker_nodes()
        for row in rows:
            if row.symbol in nodes:
                _relabel(nodes[row.symbol], marks.label(row))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        if event.node.data is not None and event.node.data.contract is None:
            self.expanded_symbols.add(event.node.data.symbol)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[NodeRef]) -> None:
        if event.node.data is not None and event.node.data.contract is None:
            self.expanded_symbols.discard(event.node.data.symbol)


def _relabel(node: TreeNode[NodeRef], label: Text) -> None:
    """Set a node's label unless it already reads so (each change repaints the node's lines)."""
    if node.label != label:
        node.set_label(label)


class DetailPanel(Static):
    """Everything about the highlighted contract (or ticker)."""

    shown: tuple[NodeRef | None, TickerRow | None, datetime] | None = None

    def show(self, ref: NodeRef | None, row: TickerRow | None, now: datetime) -> None:
        self.shown = (ref, row, now)
        self.update(self.render_details(ref, row, now, self.content_size.width or 38))

    def on_resize(self) -> None:
        """Beside the results or below them, the figures take the width they have."""
        if self.shown is not None:
            self.show(*self.shown)

    @staticmethod
    def render_details(
        ref: NodeRef | None, row: TickerRow | None, now: datetime, width: int = 38
    ) -> RenderableType:
        if ref is None or row is None:
            return Text("Highlight a contract to see its figures.", style="dim")
        if ref.contract is None:
            return figures_table(ticker_figures(row, now), width)
        for candidate in row.candidates:
            if candidate["contract"] == ref.contract:
                return figures_table(candidate_figures(row, candidate), width)
        return Text("This contract is no longer in the results.", style="dim")


class ExportDialog(ModalScreen[str | None]):
    """Ask CSV or JSON; dismisses with "csv", "json" or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "choose('csv')", "CSV"),
        Binding("j", "choose('json')", "JSON"),
        Binding("escape", "choose(None)", "Cancel"),
    ]

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(Text("Export the visible results", style="bold"))
            yield Label(self.summary, id="export-summary")
            with Horizontal(id="export-buttons"):
                yield Button("CSV (c)", id="csv", variant="primary")
                yield Button("JSON (j)", id="json")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id in ("csv", "json") else None)

    def action_choose(self, kind: str | None) -> None:
        self.dismiss(kind)
