"""The wheelscan terminal app (SPEC 8).

The app never scans in its own process: `s` starts a scan process (tui.child,
the same `refresh` cron runs) and the app follows it through the store exactly
as it follows a cron scan: chained `WATCH_POLL_S` timers start a thread worker
that reads the lock and the progress rows not seen yet (`background.poll_scan`),
and `scan_state.follow_scan` folds them into the one `ScanRun` the app keeps.
The tickers a poll changed are redrawn `REDRAW_BATCH` at a time, `REDRAW_GAP_S`
apart, so a poll bringing hundreds never holds the loop long.
Thread workers only post messages; the handlers here own the state and hand it
to the main view. Timers and thread messages still arrive while the app shuts
down, after its widgets are gone: every handler and timer callback is
`@while_running`. What the user chose (view, sorts, filter, expanded tickers,
details, theme) is kept in the state dir (tui.app_state).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from wheelscan.config import Settings
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.market import Clock, system_clock
from wheelscan.tui import background
from wheelscan.tui.app_state import (
    SORTED_VIEWS,
    VIEWS,
    UiState,
    default_state_file,
    load_state,
    save_state,
)
from wheelscan.tui.child import ScanChild
from wheelscan.tui.columns import SortOrder
from wheelscan.tui.export import ExportFormat
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.formatting import (
    age,
    criteria_summary,
    export_summary,
    holder_subject,
    market_line,
    outcome_notice,
)
from wheelscan.tui.grid import RowsTable
from wheelscan.tui.help import HelpScreen
from wheelscan.tui.messages import (
    CallsLoaded,
    ExportWritten,
    MarketChecked,
    PlanLoaded,
    ResultsLoaded,
    ScanLaunched,
    ScanPolled,
    StoreLooked,
)
from wheelscan.tui.model import ResultsBook, TickerRow, parse_times
from wheelscan.tui.puts_tree import PutsTree
from wheelscan.tui.runtime import freeze_long_lived, held_elsewhere, while_running
from wheelscan.tui.scan_state import ScanRun, follow_scan
from wheelscan.tui.tickets import sell_ticket
from wheelscan.tui.view import MainView
from wheelscan.tui.widgets import ExportDialog, ViewBar

if TYPE_CHECKING:
    from wheelscan.store import LockInfo

WATCH_POLL_S = 0.5
IDLE_POLL_S = 3.0
MARKET_CHECK_S = 300.0
TICK_S = 1.0
REDRAW_BATCH = 10
REDRAW_GAP_S = 0.005
"""Between two batches: a timer, not `call_later`, which would run them back to back."""
STATE_SAVE_S = 0.5
UNSET = Path()


class WheelscanApp(App[None]):
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

    @work(thread=True, group="look", exclusive=True, exit_on_error=False)
    def look_at_store(self) -> None:
        source = self.settings.source
        self.post_message(background.look_at_store(source, self.clock, self.known_scan))

    @work(thread=True, group="scan", exclusive=True, exit_on_error=False)
    def launch_scan(self) -> None:
        self.post_message(background.launch_scan(self.settings.source))

    @work(thread=True, group="watch", exclusive=True, exit_on_error=False)
    def poll_scan(self, run: ScanRun, child: ScanChild | None) -> None:
        self.post_message(background.poll_scan(self.settings.source, self.clock, run, child))

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
        directory = self.export_dir or Path.cwd()
        self.post_message(background.export_rows(rows, rules, kind, directory, self.clock()))

    @work(thread=True, group="state", exclusive=True, exit_on_error=False)
    def write_state(self, state: UiState) -> None:
        problem = self.save_ui(state)
        if problem:
            self.call_from_thread(self.notify, problem, title="App state", severity="warning")

    def save_ui(self, state: UiState) -> str | None:
        """Write the state file (blocking); what went wrong, if anything."""
        if self.state_file is None:
            return None
        try:
            save_state(self.state_file, state)
        except OSError as error:  # UnsafePathError too: the app goes on, unremembered
            return f"cannot keep the app's state: {error}"
        return None

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

    @on(ScanLaunched)
    @while_running
    def scan_launched(self, message: ScanLaunched) -> None:
        if message.child is None or self.scan.mode != "scanning":
            self.scan = self.scan.crashed(message.error or "the scan did not start")
            self.notify_outcome(self.scan)
            return
        self.child = message.child
        self.scan = self.scan.launched(message.child.pid, message.at)
        if self.scan.cancelling:
            message.child.stop()
        self.poll_scan(self.scan, self.child)

    @on(ScanPolled)
    @while_running
    def follow_polled_scan(self, message: ScanPolled) -> None:
        if not self.scan.running:
            return
        followed = follow_scan(self.scan, self.book, message.poll)
        if followed.changed:
            freeze_long_lived()
        moved = followed.run.in_flight ^ self.scan.in_flight
        self.scan = followed.run
        self.queue_redraw([*followed.changed, *moved])
        if followed.refused:
            self.forget_child()
            self.scan = self.scan.ended(None, "")
            self.start_watching(message.poll.lock)
        elif self.scan.running:
            self.set_timer(WATCH_POLL_S, self.watch_poll_due)
        else:
            if message.poll.header is not None:
                self.known_scan = message.poll.header.scan_id
            self.forget_child()
            self.notify_outcome(self.scan)
            self.load_results()

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
    def look_for_other_scan(self) -> None:
        if not self.scan.running:
            self.look_at_store()

    @on(StoreLooked)
    @while_running
    def store_looked(self, message: StoreLooked) -> None:
        """Watch a scan another process started; reload after one that ran between looks."""
        if self.scan.running:
            return
        if self.foreign(message.lock):
            self.start_watching(message.lock)
            return
        header = message.header
        if header is None or header.scan_id == self.known_scan:
            return
        first_look, self.known_scan = self.known_scan is None, header.scan_id
        if header.finished and not first_look:
            self.load_results()

    @while_running
    def watch_poll_due(self) -> None:
        if self.scan.running:
            self.poll_scan(self.scan, self.child)

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

    @while_running
    def save_due(self) -> None:
        self.save_pending = False
        self.write_state(self.ui)

    # -- actions ------------------------------------------------------------------

    def action_scan(self) -> None:
        if self.scan.mode == "scanning":
            self.notify("A scan is already running; c stops it.", title="Scan")
            return
        if self.scan.mode == "watching":
            self.notify("Another process is scanning; showing its progress.", title="Scan")
            return
        subject = f"the watchlist ({'DEMO' if self.demo else self.settings.source})"
        self.scan = self.scan.start_own(subject, self.clock())
        self.launch_scan()

    def action_cancel(self) -> None:
        if self.scan.mode == "scanning":
            if self.child is not None:
                self.child.stop()
            self.scan = self.scan.cancel()
        elif self.scan.mode == "watching":
            self.notify("That scan belongs to another process; it cannot be stopped here.")
        else:
            self.notify("No scan is running.")

    def action_reload(self) -> None:
        self.load_results()

    def action_filter(self) -> None:
        if self.main.filter_field.has_focus or self.screen is not self.screen_stack[0]:
            raise SkipAction  # a `/` typed in a field (b/e<50, the palette) is text
        self.main.open_filter(self.filter.text)

    def action_escape(self) -> None:
        if self.main.filter_open:
            self.main.close_filter()
        if self.filter.text:
            self.set_filter("")
        elif self.main.details_wanted:
            self.main.want_details(False)
            self.remember()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_show_view(self, view: str) -> None:
        if view not in VIEWS:
            return
        self.main.switch(view)
        self.ui = self.ui_with(view=view)
        if view == "all":
            self.main.show_candidates(self.filter, self.order("all"))
        if view in ("calls", "plan"):
            self.load_side_view()
        self.refresh_status()

    def action_next_view(self) -> None:
        self.action_show_view(VIEWS[(VIEWS.index(self.main.view) + 1) % len(VIEWS)])

    def action_sort_next(self) -> None:
        self.sort_view(lambda order: order.next_key())

    def action_sort_reverse(self) -> None:
        self.sort_view(lambda order: order.flipped())

    def sort_view(self, change: object) -> None:
        view = self.main.view
        if view not in SORTED_VIEWS:
            self.notify("The Puts and All candidates views sort; this one keeps its order.")
            return
        sorts = {**self.ui.sorts, view: change(self.order(view))}  # type: ignore[operator]
        self.ui = self.ui_with(sorts=sorts)
        self.refresh_views()
        self.refresh_status()

    @on(RowsTable.HeaderClicked, "#candidates")
    def sort_by_heading(self, event: RowsTable.HeaderClicked) -> None:
        self.sort_view(lambda order: order.by(event.column))

    @on(ViewBar.Chosen)
    def view_clicked(self, event: ViewBar.Chosen) -> None:
        self.action_show_view(event.view)

    def action_copy(self) -> None:
        self.copy_highlighted(ticket=False)

    def action_copy_ticket(self) -> None:
        self.copy_highlighted(ticket=True)

    def copy_highlighted(self, *, ticket: bool) -> None:
        view = self.main.view
        text: str | None = None
        if view == "plan":
            action = self.main.cursor_action()
            text = None if action is None else action.get("ticket")
        elif view == "calls":
            call = self.main.cursor_call()
            if call is not None:
                text = sell_ticket(call["symbol"], call, "call") if ticket else call["contract"]
        elif (pair := self.main.cursor_contract()) is not None:
            row, candidate = pair
            text = sell_ticket(row.symbol, candidate, "put") if ticket else candidate["contract"]
        if text is None:
            hint = (
                "an action with a ticket" if view == "plan" else "a contract (enter opens a ticker)"
            )
            self.notify(f"Highlight {hint} first.", title="Copy")
            return
        self.copy_to_clipboard(text)
        self.notify(text, title="Copied")

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

    # -- the filter field: applied as it is typed ----------------------------------------

    @on(Input.Changed, "#filter")
    @while_running
    def filter_typed(self, event: Input.Changed) -> None:
        self.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    @while_running
    def filter_done(self, event: Input.Submitted) -> None:
        self.main.close_filter()

    def set_filter(self, text: str) -> None:
        if text == self.filter.text:
            return
        self.filter = ResultsFilter.parse(text)
        self.ui = self.ui_with(filter=self.filter.text)
        self.refresh_views()
        self.refresh_status()

    # -- drawing: state in, widgets out -------------------------------------------------

    def order(self, view: str) -> SortOrder:
        return self.ui.sort(view)

    def watch_scan(self, old: ScanRun, new: ScanRun) -> None:
        """Every change of the scan record redraws the progress block."""
        if self.is_running:
            self.main.show_scan(new, self.clock())

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
            criteria_summary(self.settings.criteria),
        )

    def foreign(self, lock: LockInfo | None) -> bool:
        """A lock held by a process the app did not start (a cron refresh, another app)."""
        return held_elsewhere(lock) and (self.child is None or lock.pid != self.child.pid)  # type: ignore[union-attr]

    def start_watching(self, lock: LockInfo | None) -> None:
        """Show another process's scan (its lock holder), polling the store until it ends."""
        self.scan = self.scan.watch(
            holder_subject(lock), lock.scan_id if lock else None, self.clock()
        )
        if lock is not None:
            self.notify(
                f"Another process (pid {lock.pid}) is scanning; showing its progress.",
                title="Scan in progress",
            )
        self.poll_scan(self.scan, None)

    def forget_child(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None

    def notify_outcome(self, run: ScanRun) -> None:
        """A scan that failed or was stopped gets a toast too; every outcome stays in the
        progress block (a toast is a layout pass, a whole-screen repaint)."""
        title, message, severity = outcome_notice(run)
        if severity != "information":
            self.notify(message, title=title, severity=severity)  # type: ignore[arg-type]

    # -- what is remembered ----------------------------------------------------------------

    def ui_with(self, **changes: object) -> UiState:
        """The UI state with `changes`, kept (soon, in a thread) in the state file."""
        from dataclasses import replace

        state = replace(self.ui, **changes)  # type: ignore[arg-type]
        self.ui = state
        self.remember()
        return state

    def remember(self, *, at_once: bool = False) -> None:
        """Keep what the user chose: within STATE_SAVE_S (or now, on the way out)."""
        if not self.is_running and not at_once:
            return
        tree = self.main.tree if self.main.is_mounted else None
        from dataclasses import replace

        self.ui = replace(
            self.ui,
            theme=self.theme,
            expanded=tuple(sorted(tree.expanded_symbols)) if tree else self.ui.expanded,
            details=self.main.details_wanted,
        )
        if at_once:
            self.save_ui(self.ui)
        elif not self.save_pending:
            self.save_pending = True
            self.set_timer(STATE_SAVE_S, self.save_due)

    @on(PutsTree.Toggled)
    def expansion_changed(self) -> None:
        self.remember()
