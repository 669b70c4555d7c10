"""The wheelscan terminal app (SPEC 8).

Thread workers do the blocking work (`background`: the store, the exchange
calendar, a scan job) and only post messages; the handlers here own the state
and hand it to the main view, so the event loop never waits on disk or network.
The scan shown is one record, `scan` (`scan_state.ScanRun`): idle, the app's own
scan (events queued and applied in batches every `SCAN_FLUSH_S` and at its end,
as redrawing per event kept the loop busy), or another process's scan, followed
through the store with chained `WATCH_POLL_S` timers. Timers and thread messages
still arrive while the app shuts down, after its widgets are gone: every handler
and timer callback is `@while_running`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input

from wheelscan.config import Settings
from wheelscan.market import Clock, system_clock
from wheelscan.scan.stop import StopEvent
from wheelscan.tui import background
from wheelscan.tui.export import ExportFormat
from wheelscan.tui.formatting import (
    age,
    criteria_summary,
    export_summary,
    holder_subject,
    market_line,
    outcome_notice,
)
from wheelscan.tui.messages import (
    ExportWritten,
    MarketChecked,
    ResultsLoaded,
    ScanCrashed,
    ScanEnded,
    ScanEventPosted,
    ScanRefused,
    WatchPolled,
)
from wheelscan.tui.model import ResultsBook, ResultsFilter, TickerRow, parse_times
from wheelscan.tui.runtime import freeze_start_up_heap, held_elsewhere, while_running
from wheelscan.tui.scan_state import ScanRun, fold_events, follow_progress
from wheelscan.tui.view import MainView
from wheelscan.tui.widgets import ExportDialog, RowMarks

if TYPE_CHECKING:
    from wheelscan.store import LockInfo

WATCH_POLL_S = 1.0
IDLE_POLL_S = 3.0
MARKET_CHECK_S = 300.0
TICK_S = 1.0
SCAN_FLUSH_S = 0.25


class WheelscanApp(App[None]):
    """Cached results on start, `s` to scan, live progress, a tree of candidates."""

    TITLE = "wheelscan"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "scan", "Scan"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "reload", "Reload"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("e", "export", "Export"),
        Binding("q", "quit", "Quit"),
    ]

    scan: var[ScanRun] = var(ScanRun, init=False)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        symbols: list[str] | None = None,
        store_dir: Path | None = None,
        export_dir: Path | None = None,
        check_market: bool = True,
        idle_poll_s: float | None = IDLE_POLL_S,
        clock: Clock = system_clock,
    ) -> None:
        """`symbols` None scans the active watchlist, read in the scan's thread at each scan.

        `idle_poll_s`: how often, while idle, to look for a scan another process
        started (a cron refresh); None never looks (only at start and on reload).
        `clock` tells the time for ages, elapsed times and scan stamps.
        """
        super().__init__()
        self.settings = settings or Settings()
        self.symbols = symbols
        self.store_dir = store_dir
        self.export_dir = export_dir
        self.check_market_hours = check_market
        self.idle_poll_s = idle_poll_s
        self.clock = clock
        self.book = ResultsBook()
        self.main = MainView(self.book, clock, id="view")
        self.filter = ResultsFilter()
        self.stop_event = StopEvent()
        self.market_text = Text("market: checking…" if check_market else "market: not checked")
        self.market_text.stylize("dim")
        self.data_time: datetime | None = None
        self.data_stale = False
        self.pending_events: list[ScanEventPosted] = []
        self.flush_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield self.main
        yield Footer()

    def on_mount(self) -> None:
        freeze_start_up_heap()
        self.sub_title = f"source: {self.settings.source}"
        self.refresh_status()
        self.load_results()
        if self.check_market_hours:
            self.check_market()
            self.set_interval(MARKET_CHECK_S, self.market_due)
        self.set_interval(TICK_S, self.tick)
        if self.idle_poll_s:
            self.set_interval(self.idle_poll_s, self.look_for_other_scan)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Scan", "Scan the watchlist now (s)", self.action_scan)
        yield SystemCommand("Cancel scan", "Stop the running scan (c)", self.action_cancel)
        yield SystemCommand("Reload", "Reload the results from the store (r)", self.action_reload)
        yield SystemCommand("Filter", "Filter by ticker or minimum return (/)", self.action_filter)
        yield SystemCommand(
            "Export", "Export the visible results to CSV or JSON (e)", self.action_export
        )
        yield SystemCommand(
            "Details", "Show or hide the detail panel (enter, d)", self.main.action_toggle_details
        )

    # -- thread workers: each runs one blocking call of `background` and posts its answer ----

    @work(thread=True, group="store", exclusive=True, exit_on_error=False)
    def load_results(self) -> None:
        self.post_message(
            background.read_results(
                self.settings.source, self.store_dir, self.settings.results_ttl_minutes, self.clock
            )
        )

    @work(thread=True, group="market", exclusive=True, exit_on_error=False)
    def check_market(self) -> None:
        self.post_message(background.read_market())

    @work(thread=True, group="scan", exclusive=True, exit_on_error=False)
    def run_scan(self, stop: StopEvent) -> None:
        self.post_message(
            background.scan_watchlist(
                self.symbols, self.settings, self.store_dir, self.clock, self.post_message, stop
            )
        )

    @work(thread=True, group="watch", exclusive=True, exit_on_error=False)
    def poll_watched_scan(self) -> None:
        self.post_message(background.read_status(self.settings.source, self.store_dir, self.clock))

    @work(thread=True, group="export", exit_on_error=False)
    def write_export_file(
        self, kind: ExportFormat, rows: list[TickerRow], rules: ResultsFilter
    ) -> None:
        directory = self.export_dir or Path.cwd()
        self.post_message(background.export_rows(rows, rules, kind, directory, self.clock()))

    # -- what the workers report --------------------------------------------------

    @on(ResultsLoaded)
    @while_running
    def show_loaded(self, message: ResultsLoaded) -> None:
        published, status = message.published, message.status
        if published.warning:
            self.notify(published.warning, title="Store", severity="warning")
        self.data_time = published.published_at
        self.data_stale = published.stale
        self.book.load(published.results, parse_times(published.scan_times))
        if not self.scan.running and held_elsewhere(status.lock):
            self.start_watching(status.lock)
        self.refresh_tree()
        self.refresh_status()

    @on(MarketChecked)
    @while_running
    def show_market(self, message: MarketChecked) -> None:
        self.market_text = market_line(message.state, self.settings.source, self.clock())
        self.refresh_status()

    @on(ScanEventPosted)
    @while_running
    def queue_scan_event(self, message: ScanEventPosted) -> None:
        """Hold the event; `flush_scan_events` applies the queue within `SCAN_FLUSH_S`."""
        self.pending_events.append(message)
        if self.flush_timer is None:
            self.flush_timer = self.set_timer(SCAN_FLUSH_S, self.flush_due)

    @while_running
    def flush_due(self) -> None:
        self.flush_timer = None
        self.flush_scan_events()

    def flush_scan_events(self) -> None:
        """Apply every queued scan event, then redraw each changed ticker and the progress once.

        Also called when the scan ends (before the timer is due), so nothing stays queued.
        """
        if self.flush_timer is not None:
            self.flush_timer.stop()
            self.flush_timer = None
        posted, self.pending_events = self.pending_events, []
        if not posted:
            return
        events = ((message.event, message.result) for message in posted)
        folded = fold_events(self.scan, self.book, events, self.clock())
        with self.batch_update():
            self.scan = folded.run
            self.refresh_tickers(folded.changed)

    @on(ScanRefused)
    @while_running
    def watch_instead(self, message: ScanRefused) -> None:
        """Another process took the lock first: watch its scan instead of failing."""
        self.flush_scan_events()
        self.start_watching(message.holder)

    @on(ScanEnded)
    @while_running
    def scan_ended(self, message: ScanEnded) -> None:
        self.flush_scan_events()
        self.scan = self.scan.ended(message.state, message.message)
        self.notify_outcome(self.scan)
        self.load_results()

    @on(ScanCrashed)
    @while_running
    def scan_crashed(self, message: ScanCrashed) -> None:
        self.flush_scan_events()
        self.scan = self.scan.crashed(message.error)
        self.notify(message.error, title="Scan failed", severity="error", timeout=10)
        self.load_results()

    @on(WatchPolled)
    @while_running
    def follow_watched_scan(self, message: WatchPolled) -> None:
        lock, progress = message.status.lock, message.status.progress
        if not self.scan.running and held_elsewhere(lock):
            self.start_watching(lock)
            return
        if self.scan.mode != "watching":
            return
        followed = follow_progress(self.scan, self.book, lock, progress)
        self.scan = followed.run
        self.refresh_tickers(followed.changed)
        if self.scan.running:
            self.set_timer(WATCH_POLL_S, self.watch_poll_due)
            return
        self.notify_outcome(self.scan)
        self.load_results()

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
            self.poll_watched_scan()

    @while_running
    def watch_poll_due(self) -> None:
        if self.scan.mode == "watching":
            self.poll_watched_scan()

    # -- actions ------------------------------------------------------------------

    def action_scan(self) -> None:
        if self.scan.mode == "scanning":
            self.notify("A scan is already running.", title="Scan")
            return
        if self.scan.mode == "watching":
            self.notify("Another process is scanning; showing its progress.", title="Scan")
            return
        self.stop_event = StopEvent()
        self.scan = self.scan.start_own(f"the watchlist ({self.settings.source})", self.clock())
        self.run_scan(self.stop_event)

    def action_cancel(self) -> None:
        if self.scan.mode == "scanning":
            self.stop_event.set()
            self.scan = self.scan.cancel()
        elif self.scan.mode == "watching":
            self.notify("That scan belongs to another process; it cannot be cancelled here.")
        else:
            self.notify("No scan is running.")

    def action_reload(self) -> None:
        self.load_results()

    def action_filter(self) -> None:
        self.main.open_filter(self.filter.text)

    def action_export(self) -> None:
        rules = self.filter
        rows = self.book.visible(rules)

        def chosen(kind: str | None) -> None:
            if kind == "csv" or kind == "json":
                self.write_export_file(kind, rows, rules)

        self.push_screen(ExportDialog(export_summary(rows, rules)), chosen)

    async def action_quit(self) -> None:
        self.stop_event.set()
        self.exit()

    def on_unmount(self) -> None:
        self.stop_event.set()

    # -- the filter field ---------------------------------------------------------------

    @on(Input.Submitted, "#filter")
    @while_running
    def apply_filter(self, event: Input.Submitted) -> None:
        self.filter = ResultsFilter.parse(event.value)
        self.main.close_filter()
        self.refresh_tree()
        self.refresh_status()

    # -- drawing: state in, widgets out -------------------------------------------------

    def watch_scan(self, old: ScanRun, new: ScanRun) -> None:
        """Every change of the scan record redraws the progress block, and the tickers
        whose "scanning…" mark came or went."""
        if not self.is_running:
            return
        self.main.show_scan(new, self.clock())
        if moved := old.in_flight ^ new.in_flight:
            self.main.show_marks(sorted(moved), self.filter, self.marks())

    def marks(self) -> RowMarks:
        return RowMarks(self.scan.in_flight, self.clock())

    def refresh_tree(self) -> None:
        self.main.show_book(self.filter, self.marks())

    def refresh_tickers(self, symbols: Iterable[str]) -> None:
        self.main.show_tickers(symbols, self.filter, self.marks())

    def refresh_status(self) -> None:
        self.main.show_status(
            self.market_text,
            age(self.data_time, self.clock()),
            self.data_stale,
            criteria_summary(self.settings.criteria),
            self.filter.describe() if self.filter.active else "",
        )

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
        self.poll_watched_scan()

    def notify_outcome(self, run: ScanRun) -> None:
        title, message, severity = outcome_notice(run)
        self.notify(message, title=title, severity=severity)  # type: ignore[arg-type]
