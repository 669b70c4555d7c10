"""The app's widgets: status line, scan progress, results tree, detail panel, export dialog.

They hold no scan logic: the app hands them plain data (`TickerRow`s, counters)
and they render it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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
    duration,
    ticker_details,
    ticker_label,
)
from wheelscan.tui.model import CandidateData, TickerRow


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a ticker, or one of its contracts."""

    symbol: str
    contract: str | None = None


class StatusLine(Static):
    """Market state, data age, criteria and filter, on one line under the title."""

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
        self.update(text)


class ScanProgress(Vertical):
    """A running scan: its title, a bar, and counters (done/total, candidates, errors, time)."""

    def compose(self) -> ComposeResult:
        yield Label(id="scan-title")
        with Horizontal(id="scan-line"):
            yield ProgressBar(total=None, show_eta=False, id="scan-bar")
            yield Label(id="scan-counters")

    def show(
        self,
        title: str,
        done: int,
        total: int,
        candidates: int,
        errors: int,
        elapsed_s: float,
    ) -> None:
        self.query_one("#scan-title", Label).update(Text(title, style="bold"))
        bar = self.query_one(ProgressBar)
        bar.update(total=total or None, progress=done)
        counters = Text()
        counters.append(f"{done}/{total} tickers", style="bold")
        counters.append(f"  {candidates} candidates")
        counters.append(f"  {errors} errors", style="bold red" if errors else "")
        counters.append(f"  elapsed {duration(elapsed_s)}")
        if 0 < done < total:
            eta = elapsed_s / done * (total - done)
            counters.append(f"  ETA {duration(eta)}")
        elif total and done >= total:
            counters.append("  finishing…")
        self.query_one("#scan-counters", Label).update(counters)


class ColumnHeader(Static):
    """Column titles above the tree, aligned with the candidate leaves."""

    def on_mount(self) -> None:
        self.update(candidate_header())


class ResultsTree(Tree[NodeRef]):
    """One collapsible node per ticker, its candidates as aligned leaves.

    The expanded tickers are remembered by symbol, so a reload, a filter or a
    streamed update keeps them open.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", show=True)
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("results", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.auto_expand = False
        self.expanded_symbols: set[str] = set()
        self.scanning: set[str] = set()

    def _ticker_nodes(self) -> dict[str, TreeNode[NodeRef]]:
        return {node.data.symbol: node for node in self.root.children if node.data is not None}

    def show_rows(self, rows: list[TickerRow]) -> None:
        """Show exactly `rows` (in order), updating nodes in place where they exist."""
        wanted = {row.symbol for row in rows}
        for symbol, node in self._ticker_nodes().items():
            if symbol not in wanted:
                node.remove()
        for row in rows:
            self.show_row(row)
        if self.cursor_node is None and self.root.children:
            self.move_cursor(self.root.children[0])

    def show_row(self, row: TickerRow) -> None:
        """Add or update one ticker's node, keeping the tickers in alphabetical order."""
        nodes = self._ticker_nodes()
        label = ticker_label(row, scanning=row.symbol in self.scanning)
        node = nodes.get(row.symbol)
        if node is None:
            after = [s for s in nodes if s > row.symbol]
            before = nodes[min(after)] if after else None
            node = self.root.add(label, NodeRef(row.symbol), before=before)
        else:
            node.set_label(label)
        self._fill(node, row.candidates)
        if row.symbol in self.expanded_symbols and node.children:
            node.expand()

    def _fill(self, node: TreeNode[NodeRef], candidates: list[CandidateData]) -> None:
        contracts = [c["contract"] for c in candidates]
        existing = [child.data.contract for child in node.children if child.data is not None]
        if existing == contracts:
            for child, candidate in zip(node.children, candidates, strict=True):
                child.set_label(candidate_label(candidate))
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

    def mark_scanning(self, symbol: str, row: TickerRow | None, scanning: bool) -> None:
        if scanning:
            self.scanning.add(symbol)
        else:
            self.scanning.discard(symbol)
        node = self._ticker_nodes().get(symbol)
        if node is not None and row is not None:
            node.set_label(ticker_label(row, scanning=scanning))

    def clear_scanning(self, rows: dict[str, TickerRow]) -> None:
        symbols, self.scanning = self.scanning, set()
        nodes = self._ticker_nodes()
        for symbol in symbols:
            if symbol in nodes and symbol in rows:
                nodes[symbol].set_label(ticker_label(rows[symbol]))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        if event.node.data is not None and event.node.data.contract is None:
            self.expanded_symbols.add(event.node.data.symbol)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[NodeRef]) -> None:
        if event.node.data is not None and event.node.data.contract is None:
            self.expanded_symbols.discard(event.node.data.symbol)


class DetailPanel(Static):
    """Everything about the highlighted contract (or ticker)."""

    def show(self, ref: NodeRef | None, row: TickerRow | None) -> None:
        self.update(self.render_details(ref, row))

    @staticmethod
    def render_details(ref: NodeRef | None, row: TickerRow | None) -> RenderableType:
        if ref is None or row is None:
            return Text("Highlight a contract to see its figures.", style="dim")
        if ref.contract is None:
            return ticker_details(row)
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
