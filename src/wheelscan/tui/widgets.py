"""The app's widgets: view bar, status line, scan progress, detail panel, export dialog.

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
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static

from wheelscan.tui.app_state import VIEW_TITLES, VIEWS
from wheelscan.tui.columns import Column, SortOrder
from wheelscan.tui.formatting import (
    TickerCounts,
    last_scan_line,
    scan_clock,
    scan_counters,
    shown_counters,
)
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
from wheelscan.tui.puts_tree import NodeRef
from wheelscan.tui.scan_state import ScanRun


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
            text.append(" ")
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
            # A layout pass repaints the whole screen: only when the line count changes.
            width = self.content_size.width
            same_height = (
                self.shown is not None
                and width > 0
                and (
                    len(text.wrap(self.app.console, width))
                    == len(self.shown.wrap(self.app.console, width))
                )
            )
            self.shown = text
            self.update(text, layout=not same_height)


class ScanProgress(Vertical):
    """A running scan: its title, a bar, and counters (done/total, candidates, errors, time)."""

    shown_title: Text | None = None
    shown_counters: Text | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="scan-title")
        with Horizontal(id="scan-line"):
            yield ProgressBar(total=None, show_eta=False, id="scan-bar")
            yield Label(id="scan-counters")

    def show(self, run: ScanRun, now: datetime, shown: TickerCounts) -> None:
        """The running scan; while none runs, how the last ended and what the app shows."""
        if run.running:
            title = Text(run.title, style="bold")
            title.append(f"  {scan_clock(run, now)}")
            if run.mode == "scanning" and not run.cancelling:
                title.append("  (c stops it)", style="dim")
        else:
            title = last_scan_line(run)
        # Both lines are one cell high (app.tcss): new figures need no layout pass, which
        # would repaint the whole screen at every tick.
        if title != self.shown_title:
            self.shown_title = title
            self.query_one("#scan-title", Label).update(title, layout=False)
        bar = self.query_one(ProgressBar)
        if run.running:
            bar.update(total=run.total or None, progress=run.done)
            counters = scan_counters(run)
        else:
            bar.update(total=max(1, shown.tickers), progress=shown.tickers)
            counters = shown_counters(shown)
        if counters != self.shown_counters:
            self.shown_counters = counters
            self.query_one("#scan-counters", Label).update(counters, layout=False)


class ColumnHeader(Static):
    """Column titles above the tree, aligned with the candidate leaves."""

    shown: Text | None = None

    def show(self, columns: list[Column]) -> None:
        header = candidate_header(columns)
        if header != self.shown:
            self.shown = header
            self.update(header, layout=False)  # one line high (app.tcss): no layout pass


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

    def drawn_as(self, row: TickerRow) -> tuple[object, ...]:
        """Everything a ticker's node and leaves are drawn from: the same, the same lines."""
        day = self.now.astimezone().date()
        return (row, row.symbol in self.in_flight, self.columns, self.width, day)


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
