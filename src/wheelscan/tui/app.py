"""The wheelscan terminal app (SPEC 8).

The App holds the state (settings, the results book, the scan record, what the
user chose) and draws it through the main view (tui.view); its parts live in
mixins: following scans (tui.following: the app never scans in its own
process, `s` starts `wheelscan refresh` and the app follows it through the
store exactly as it follows a cron scan), navigating (tui.navigating: views,
filter, sort, copy), remembering choices (tui.remembering) and editing the
criteria (tui.criteria_edit: config.toml, then a re-evaluation). The tickers a poll
changed are redrawn `REDRAW_BATCH` at a time, `REDRAW_GAP_S` apart, so a poll
bringing hundreds never holds the loop long. Thread workers only post messages
(tui.background does the blocking work); handlers own the state. Timers and
thread messages still arrive while the app shuts down, after its widgets are
gone: every handler and timer callback is `@while_running`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header

from wheelscan.config import Settings
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.market import Clock, system_clock
from wheelscan.paths import export_directory
from wheelscan.tui import background
from wheelscan.tui.app_state import (
    SORTED_VIEWS,
    UiState,
    default_state_file,
    load_state,
)
from wheelscan.tui.child import ScanChild
from wheelscan.tui.columns import SortOrder
from wheelscan.tui.criteria_edit import EditsCriteria
from wheelscan.tui.export import ExportFormat
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.following import FollowsScans
from wheelscan.tui.formatting import age, export_summary, market_line
from wheelscan.tui.messages import (
    CallsLoaded,
    ExportWritten,
    MarketChecked,
    PlanLoaded,
    ResultsLoaded,
)
from wheelscan.tui.model import ResultsBook, TickerRow, parse_times
from wheelscan.tui.navigating import Navigates
from wheelscan.tui.remembering import RemembersChoices
from wheelscan.tui.runtime import freeze_long_lived, while_running
from wheelscan.tui.scan_state import ScanRun
from wheelscan.tui.view import MainView
from wheelscan.tui.widgets import ExportDialog

IDLE_POLL_S = 3.0
MARKET_CHECK_S = 300.0
TICK_S = 1.0
REDRAW_BATCH = 10
REDRAW_GAP_S = 0.005
"""Between two batches: a timer, not `call_later`, which would run them back to back."""
UNSET = Path()


class WheelscanApp(FollowsScans, Navigates, RemembersChoices, EditsCriteria, App[None]):
    """Cached results on start, `s` to scan, live progress, four views of the results."""

    TITLE = "wheelscan"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("s", "scan", "Scan"),
        Binding("c", "cancel", "Stop"),
        # A priority binding runs before Textual hands the next keys to the focused widget,
        # so what is typed right after `/` lands in the filter field it opens.
        Binding("slash", "filter", "Filter", key_display="/", priority=True),
        Binding("o", "sort_next", "Sort"),
        Binding("O", "sort_reverse", "Reverse", show=False),
        Binding("v", "next_view", "View"),
        Binding("1", "show_view('puts')", "Puts", show=False),
        Binding("2", "show_view('all')", "All", show=False),
        Binding("3", "show_view('calls')", "Calls", show=False),
        Binding("4", "show_view('plan')", "Plan", show=False),
        Binding("y", "copy", "Copy"),
        Binding("Y", "copy_ticket", "Copy ticket", show=False),
        Binding("escape", "escape", "Clear", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("e", "export", "Export", show=False),
        Binding("k", "criteria", "Criteria", show=False),
        Binding("q", "quit", "Quit"),
    ]

    scan: var[ScanRun] = var(ScanRun, init=False)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        export_dir: Path | None = None,
        check_market: bool = True,
        idle_poll_s: float | None = IDLE_POLL_S,
        clock: Clock = system_clock,
        state_file: Path | None = UNSET,
    ) -> None:
        """`idle_poll_s`: how often, while idle, to look for a scan another process
        started (a cron refresh); None never looks (only at start and on reload).
        `clock` tells the time for ages, elapsed times and data freshness.
        `state_file`: where the app keeps what the user chose (default: the state dir;
        None keeps nothing)."""
        super().__init__()
        self.settings = settings or Settings()
        self.demo = parse_source(self.settings.source).kind is SourceKind.DEMO
        self.export_dir = export_dir
        self.check_market_hours = check_market
        self.idle_poll_s = idle_poll_s
        self.clock = clock
        self.state_file = default_state_file() if state_file is UNSET else state_file
        self.ui, self.state_warning = (
            load_state(self.state_file) if self.state_file else (UiState(), None)
        )
        self.filter = ResultsFilter.parse(self.ui.filter)
        self.book = ResultsBook()
        self.main = MainView(self.book, clock, id="view")
        self.child: ScanChild | None = None
        self.market_text = Text("market: checking…" if check_market else "market: not checked")
        self.market_text.stylize("dim")
        self.data_time: datetime | None = None
        self.data_stale = False
        self.dirty: dict[str, None] = {}
        self.redraw_pending = False
        self.save_pending = False
        self.known_scan: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield self.main
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "DEMO · simulated market" if self.demo else self.settings.source
        if self.state_warning:
            self.notify(self.state_warning, title="App state", severity="warning", timeout=8)
        if self.ui.theme:
            if self.ui.theme in self.available_themes:
                self.theme = self.ui.theme
            else:
                self.notify(f"unknown theme {self.ui.theme!r} ignored", severity="warning")
        self.theme_changed_signal.subscribe(self, lambda _: self.remember())
        tree = self.main.tree
        tree.expanded_symbols.update(self.ui.expanded)
        self.main.details_wanted = self.ui.details
        self.main.switch(self.ui.view)
        self.main.show_scan(self.scan, self.clock())
        self.refresh_status()
        self.load_results()
        if self.check_market_hours:
            self.check_market()
            self.set_interval(MARKET_CHECK_S, self.market_due)
        self.set_interval(TICK_S, self.tick)
        self.call_after_refresh(freeze_long_lived)
        if self.idle_poll_s:
            self.set_interval(self.idle_poll_s, self.look_for_other_scan)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Scan", "Scan the watchlist now (s)", self.action_scan)
        yield SystemCommand(
            "Stop the scan", "Stop the scan the app started (c)", self.action_cancel
        )
        yield SystemCommand("Reload", "Reload the results from the store (r)", self.action_reload)
        yield SystemCommand("Filter", "Filter on any column (/)", self.action_filter)
        yield SystemCommand(
            "Export", "Export the visible results to CSV or JSON (e)", self.action_export
        )
        yield SystemCommand("Help", "Keys, filter syntax, columns (?)", self.action_help)
        yield SystemCommand(
            "Details", "Show or hide the detail panel (d)", self.main.action_toggle_details
        )
        yield from self.criteria_commands()

    # -- thread workers: each runs one blocking call of `background` and posts its answer ----

    @work(thread=True, group="store", exclusive=True, exit_on_error=False)
    def load_results(self) -> None:
        settings = self.settings
        self.post_message(
            background.read_results(settings.source, settings.results_ttl_minutes, self.clock)
        )

    @work(thread=True, group="market", exclusive=True, exit_on_error=False)
    def check_market(self) -> None:
        self.post_message(background.read_market())

    @work(thread=True, group="calls", exclusive=True, exit_on_error=False)
    def load_calls(self) -> None:
        self.post_message(background.read_calls(self.settings))

    @work(thread=True, group="plan", exclusive=True, exit_on_error=False)
    def load_plan(self) -> None:
        self.post_message(background.read_plan(self.settings, self.clock))

    @work(thread=True, group="export", exit_on_error=False)
    def write_export_file(
        self, kind: ExportFormat, rows: list[TickerRow], rules: ResultsFilter
    ) -> None:
        directory = self.export_dir or export_directory(self.settings.export_dir)
        self.post_message(background.export_rows(rows, rules, kind, directory, self.clock()))

    # -- what the workers report --------------------------------------------------

    @on(ResultsLoaded)
    @while_running
    def show_loaded(self, message: ResultsLoaded) -> None:
        published = message.published
        if published.warning:
            self.notify(published.warning, title="Store", severity="warning")
        self.data_time = published.published_at
        self.data_stale = published.stale
        self.book.load(published.results, parse_times(published.scan_times))
        freeze_long_lived()
        self.criteria_results_loaded(published)
        if not self.scan.running and self.foreign(message.lock):
            self.start_watching(message.lock)
        self.refresh_views()
        self.main.show_scan(self.scan, self.clock())
        self.refresh_status()
        self.load_side_view()

    def load_side_view(self) -> None:
        """The calls and plan views read what they show when shown (and after a reload)."""
        if self.main.view == "calls":
            self.load_calls()
        elif self.main.view == "plan":
            self.load_plan()

    @on(MarketChecked)
    @while_running
    def show_market(self, message: MarketChecked) -> None:
        self.market_text = market_line(message.state, self.settings.source, self.clock())
        self.refresh_status()

    @on(CallsLoaded)
    @while_running
    def show_calls(self, message: CallsLoaded) -> None:
        self.main.show_calls(message.document, message.error)

    @on(PlanLoaded)
    @while_running
    def show_plan(self, message: PlanLoaded) -> None:
        self.main.show_plan(message.document, message.error)

    @on(ExportWritten)
    @while_running
    def export_written(self, message: ExportWritten) -> None:
        if message.path is None:
            self.notify(f"Export failed: {message.error}", severity="error")
        else:
            self.notify(f"Exported to {message.path}", title="Export")

    # -- timers -------------------------------------------------------------------------

    @while_running
    def tick(self) -> None:
        self.main.show_scan(self.scan, self.clock())
        self.refresh_status()

    @while_running
    def market_due(self) -> None:
        self.check_market()

    @while_running
    def redraw_due(self) -> None:
        """Redraw up to REDRAW_BATCH of the changed tickers; the rest on the next turn."""
        self.redraw_pending = False
        symbols = list(self.dirty)[:REDRAW_BATCH]
        for symbol in symbols:
            del self.dirty[symbol]
        if symbols:
            self.main.show_tickers(symbols, self.filter, self.order("puts"), self.scan.in_flight)
        if self.dirty:
            self.redraw_pending = True
            self.set_timer(REDRAW_GAP_S, self.redraw_due)
        elif self.main.view == "all":
            self.main.show_candidates(self.filter, self.order("all"))

    # -- actions ------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load_results()

    def action_export(self) -> None:
        rules = self.filter
        rows = self.book.visible(rules, self.order("puts"))

        def chosen(kind: str | None) -> None:
            if kind == "csv" or kind == "json":
                self.write_export_file(kind, rows, rules)

        self.push_screen(ExportDialog(export_summary(rows, rules)), chosen)

    async def action_quit(self) -> None:
        self.remember(at_once=True)
        if self.scan.mode == "scanning" and self.child is not None:
            self.exit(
                message=f"wheelscan: the scan (pid {self.child.pid}) keeps running and publishes "
                "when it ends; `wheelscan status` follows it."
            )
            return
        self.exit()

    # -- drawing: state in, widgets out -------------------------------------------------

    def order(self, view: str) -> SortOrder:
        return self.ui.sort(view)

    def watch_scan(self, old: ScanRun, new: ScanRun) -> None:
        """Every change of the scan record redraws the progress block (and may end or
        start a re-evaluation of changed criteria)."""
        if self.is_running:
            self.main.show_scan(new, self.clock())
            self.criteria_follow_scan(old, new)

    def queue_redraw(self, symbols: Iterable[str]) -> None:
        self.dirty.update(dict.fromkeys(symbols))
        if self.dirty and not self.redraw_pending:
            self.redraw_pending = True
            self.set_timer(REDRAW_GAP_S, self.redraw_due)

    def refresh_views(self) -> None:
        """Everything may have changed: prune the tree now, draw its tickers in batches."""
        self.dirty.clear()
        self.queue_redraw(self.main.prune_book(self.filter, self.order("puts")))
        if not self.dirty and self.main.view == "all":
            self.main.show_candidates(self.filter, self.order("all"))

    @on(MainView.Redraw)
    def redraw_all(self) -> None:
        self.refresh_views()

    def refresh_status(self) -> None:
        view = self.main.view
        self.main.show_views(self.order(view) if view in SORTED_VIEWS else None, self.filter)
        self.main.show_status(
            self.demo,
            self.market_text,
            age(self.data_time, self.clock()),
            self.data_stale,
            self.criteria_status(),
        )
