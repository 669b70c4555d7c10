"""The app's widgets: status line, scan progress, results tree, detail panel, export dialog.

They hold no scan logic: the app hands them plain data (`TickerRow`s, counters)
and they render it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from wheelscan.tui.formatting import (
    candidate_details,
    candidate_header,
    candidate_label,
    scan_counters,
    ticker_details,
    ticker_label,
)
from wheelscan.tui.model import CandidateData, TickerRow
from wheelscan.tui.scan_state import ScanRun


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a ticker, or one of its contracts."""

    symbol: str
    contract: str | None = None


class StatusLine(Static):
    """Market state, data age, criteria and filter, on one line under the title."""

    shown: Text | None = None

    def show(
        self, market: Text, data_age: str, stale: bool, criteria: str, filter_text: str
    ) -> None:
        text = Text()
        text.append_text(market)
        text.append(" │ ", style="dim")
        text.append(f"results: {data_age}")
        if stale:
            text.append(" (stale)", style="bold red")
        text.append(" │ ", style="dim")
        text.append(criteria, style="cyan")
        if filter_text:
            text.append(" │ ", style="dim")
            text.append(f"filter: {filter_text}", style="bold yellow")
        if text != self.shown:
            self.shown = text
            self.update(text)


class ScanProgress(Vertical):
    """A running scan: its title, a bar, and counters (done/total, candidates, errors, time)."""

    shown_title: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="scan-title")
        with Horizontal(id="scan-line"):
            yield ProgressBar(total=None, show_eta=False, id="scan-bar")
            yield Label(id="scan-counters")

    def show(self, run: ScanRun, now: datetime) -> None:
        if run.title != self.shown_title:
            self.shown_title = run.title
            self.query_one("#scan-title", Label).update(Text(run.title, style="bold"))
        bar = self.query_one(ProgressBar)
        bar.update(total=run.total or None, progress=run.done)
        # The counters fill the rest of their line (app.tcss): no layout pass for new figures.
        self.query_one("#scan-counters", Label).update(scan_counters(run, now), layout=False)


class ColumnHeader(Static):
    """Column titles above the tree, aligned with the candidate leaves."""

    def on_mount(self) -> None:
        self.update(candidate_header())


@dataclass(frozen=True)
class RowMarks:
    """What a ticker's label shows besides its row: whether the scan is fetching it now,
    and the moment its scan time is read against (today's times show without a date)."""

    in_flight: frozenset[str]
    now: datetime

    def label(self, row: TickerRow) -> Text:
        return ticker_label(row, scanning=row.symbol in self.in_flight, now=self.now)


class ResultsTree(Tree[NodeRef]):
    """One collapsible node per ticker, its candidates as aligned leaves.

    The expanded tickers are remembered by symbol, so a reload, a filter or a
    streamed update keeps them open. Updates touch only what changed: a new label
    repaints its node's lines, and an expand (even of an open node) makes Textual
    redraw every visible line, so a label that already reads right and an open
    node are left alone.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", show=True)
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("results", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.auto_expand = False
        self.expanded_symbols: set[str] = set()

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

    def show_rows(self, rows: list[TickerRow], marks: RowMarks) -> None:
        """Show exactly `rows` (in order), updating nodes in place where they exist."""
        wanted = {row.symbol for row in rows}
        nodes = self._ticker_nodes()
        hidden = [symbol for symbol in nodes if symbol not in wanted]
        self.update_rows(rows, hidden, marks, nodes)

    def update_rows(
        self,
        rows: list[TickerRow],
        hidden: list[str],
        marks: RowMarks,
        nodes: dict[str, TreeNode[NodeRef]] | None = None,
    ) -> None:
        """Add or update the nodes of `rows` and remove those of `hidden`; the rest stay."""
        nodes = self._ticker_nodes() if nodes is None else nodes
        for symbol in hidden:
            node = nodes.pop(symbol, None)
            if node is not None:
                node.remove()
        for row in rows:
            self._show_row(row, nodes, marks)
        if self.cursor_node is None and self.root.children:
            self.move_cursor(self.root.children[0])

    def _show_row(
        self, row: TickerRow, nodes: dict[str, TreeNode[NodeRef]], marks: RowMarks
    ) -> None:
        """Add or update one ticker's node, keeping the tickers in alphabetical order."""
        label = marks.label(row)
        node = nodes.get(row.symbol)
        if node is None:
            after = [s for s in nodes if s > row.symbol]
            before = nodes[min(after)] if after else None
            node = nodes[row.symbol] = self.root.add(label, NodeRef(row.symbol), before=before)
        else:
            _relabel(node, label)
        self._fill(node, row.candidates)
        if row.symbol in self.expanded_symbols and node.children and not node.is_expanded:
            node.expand()

    def _fill(self, node: TreeNode[NodeRef], candidates: list[CandidateData]) -> None:
        contracts = [c["contract"] for c in candidates]
        existing = [child.data.contract for child in node.children if child.data is not None]
        if existing == contracts:
            for child, candidate in zip(node.children, candidates, strict=True):
                _relabel(child, candidate_label(candidate))
            return
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        node.remove_children()
        for candidate in candidates:
            leaf = node.add_leaf(
                candidate_label(candidate), NodeRef(node.data.symbol, candidate["contract"])
            )  # type: ignore[union-attr]
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

    def show(self, ref: NodeRef | None, row: TickerRow | None, now: datetime) -> None:
        self.update(self.render_details(ref, row, now))

    @staticmethod
    def render_details(ref: NodeRef | None, row: TickerRow | None, now: datetime) -> RenderableType:
        if ref is None or row is None:
            return Text("Highlight a contract to see its figures.", style="dim")
        if ref.contract is None:
            return ticker_details(row, now)
        for candidate in row.candidates:
            if candidate["contract"] == ref.contract:
                return candidate_details(row.symbol, row, candidate)
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
