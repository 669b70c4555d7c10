"""The wheelscan terminal app (SPEC 8).

Threads do the blocking work — reading the store, asking the exchange calendar,
running a scan through the lifecycle (lock, progress, publishing) — and only
post messages; the handlers here own the state and the widgets. The event loop
never waits on the disk or the network.

Three modes: idle (the published results), scanning (the app's own scan, its
tickers streamed into the tree as they finish) and watching (another process
holds the lock: its progress and partial results are polled from the store
about once a second with chained timers, and the results reload when it ends).

The app's own scan events are queued and applied in batches, at most every
`SCAN_FLUSH_S` and once more when the scan ends: a 100-ticker scan posts about
two hundred events, and redrawing the tree for each one kept the event loop
busy (each redraw stretched by the scan threads' share of the GIL).
"""

from __future__ import annotations

import gc
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Tree

from wheelscan.core.models import (
    ScanStarted,
    TickerFailed,
    TickerFinished,
    TickerStarted,
)
from wheelscan.lifecycle import ScanSettings
from wheelscan.market import GATED_SOURCES
from wheelscan.tui.export import ExportFormat, write_export
from wheelscan.tui.formatting import age, criteria_summary, market_line
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
from wheelscan.tui.model import ResultsBook, ResultsFilter, TickerRow
from wheelscan.tui.widgets import (
    ColumnHeader,
    DetailPanel,
    ExportDialog,
    NodeRef,
    ResultsTree,
    ScanProgress,
    StatusLine,
)

Mode = Literal["idle", "scanning", "watching"]

WATCH_POLL_S = 1.0
IDLE_POLL_S = 3.0
MARKET_CHECK_S = 300.0
TICK_S = 1.0
SCAN_FLUSH_S = 0.25
SEVERITIES = {"FAILED": "error", "CANCELLED": "warning", "SKIPPED": "warning"}


def _freeze_long_lived_objects() -> None:
    """Import the scan stack, then take everything alive so far out of the cyclic GC's walk.

    yfinance, pandas, numpy and Textual leave hundreds of thousands of long-lived
    objects; every full collection during a scan walked them all with the GIL held
    (80–150 ms each: the app's largest event-loop stalls, benchmarks/app_stall.py).
    `gc.freeze()` is CPython's remedy; frozen objects are still freed by refcount.
    The collector is paused during the import itself, which otherwise triggers a
    full collection over the half-imported stack (50–70 ms).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        import wheelscan.engine
        import wheelscan.yahoo.source  # noqa: F401
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _parse_times(times: dict[str, str]) -> dict[str, datetime]:
    parsed = {}
    for symbol, text in times.items():
        try:
            parsed[symbol] = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
    return parsed


def _foreign(lock: Any) -> bool:
    """A scan lock held by another process (ours shows while our own scan winds down)."""
    return lock is not None and (lock.pid, lock.host) != (os.getpid(), socket.gethostname())


def _result_times(results: dict[str, Any]) -> dict[str, datetime]:
    return _parse_times({s: r.get("as_of") for s, r in results.items() if isinstance(r, dict)})


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
        Binding("d", "toggle_details", "Details panel", show=False),
        Binding("escape", "close_panels", "Close", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        settings: ScanSettings | None = None,
        *,
        symbols: list[str] | None = None,
        store_dir: Path | None = None,
        export_dir: Path | None = None,
        check_market: bool = True,
        idle_poll_s: float | None = IDLE_POLL_S,
    ) -> None:
        """`symbols` None scans the active watchlist, read in the scan's thread at each scan.

        `idle_poll_s`: how often, while idle, to look for a scan another process
        started (a cron refresh); None never looks (only at start and on reload).
        """
        super().__init__()
        self.settings = settings or ScanSettings()
        self.source = self.settings.source
        self.criteria = self.settings.criteria
        self.symbols = symbols
        self.store_dir = store_dir
        self.export_dir = export_dir
        self.check_market_hours = check_market
        self.idle_poll_s = idle_poll_s
        self.book = ResultsBook()
        self.filter = ResultsFilter()
        self.mode: Mode = "idle"
        self.stop_event = threading.Event()
        self.market_text = Text("market: checking…" if check_market else "market: not checked")
        self.market_text.stylize("dim")
        self.data_time: datetime | None = None
        self.data_stale = False
        self.scan_title = ""
        self.scan_started = 0.0
        self.done = self.total = self.candidates = self.errors = 0
        self.watched_scan_id: str | None = None
        self.last_outcome: Any = None
        self.pending_events: list[ScanEventPosted] = []
        self.flush_timer: Timer | None = None

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield StatusLine(id="status")
        yield ScanProgress(id="progress")
        with Horizontal(id="main"):
            with Vertical(id="results"):
                yield ColumnHeader(id="columns")
                yield Label(id="empty")
                yield ResultsTree(id="tree")
            yield DetailPanel(id="details")
        yield Input(placeholder="ticker (e.g. AAP) or minimum annualized % (e.g. 40)", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"source: {self.source}"
        self.query_one("#progress").display = False
        self.query_one("#filter").display = False
        self.query_one("#details").display = False
        self.query_one("#empty").display = False
        self.query_one(ResultsTree).focus()
        self.refresh_status()
        self.load_results()
        if self.check_market_hours:
            self.check_market()
            self.set_interval(MARKET_CHECK_S, self.check_market)
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
            "Details", "Show or hide the detail panel (enter, d)", self.action_toggle_details
        )

    # -- background work: every blocking call lives in a thread worker --------------

    def _store(self) -> Any:
        from wheelscan.store import Store

        return Store(self.store_dir)

    @work(thread=True, group="store", exclusive=True, exit_on_error=False)
    def load_results(self) -> None:
        store = self._store()
        try:
            published = store.read_results(self.settings.results_ttl_minutes)
            status = store.read_status()
        finally:
            store.close()
        self.post_message(ResultsLoaded(published, status))

    @work(thread=True, group="market", exclusive=True, exit_on_error=False)
    def check_market(self) -> None:
        from wheelscan.market import market_state

        try:
            self.post_message(MarketChecked(market_state()))
        except Exception as error:
            self.post_message(MarketChecked(None, f"{type(error).__name__}: {error}"))

    @work(thread=True, group="scan", exclusive=True, exit_on_error=False)
    def run_scan(self, stop: threading.Event) -> None:
        """The app's own watchlist scan: the lifecycle takes the lock, we relay its events."""
        from wheelscan.lifecycle import WATCHLIST, run_scan
        from wheelscan.watchlist import load_watchlist

        _freeze_long_lived_objects()
        try:
            symbols, settings = self.symbols, self.settings
            if symbols is None:
                watchlist = load_watchlist()
                symbols = watchlist.active_symbols()
                settings = replace(settings, intrinsic_values=watchlist.intrinsic_values())
            outcome = run_scan(
                symbols,
                kind=WATCHLIST,
                settings=settings,
                on_event=lambda event: self.post_message(ScanEventPosted(event)),
                stop=stop,
                store=self._store(),
            )
        except Exception as error:
            self.post_message(ScanCrashed(f"{type(error).__name__}: {error}"))
            return
        if outcome.locked:
            self.post_message(ScanRefused(outcome.holder))
        else:
            self.post_message(ScanEnded(outcome))

    @work(thread=True, group="watch", exclusive=True, exit_on_error=False)
    def poll_watched_scan(self) -> None:
        store = self._store()
        try:
            status = store.read_status()
        finally:
            store.close()
        self.post_message(WatchPolled(status))

    @work(thread=True, group="export", exit_on_error=False)
    def write_export_file(self, kind: ExportFormat) -> None:
        rows = self.book.visible(self.filter)
        try:
            path = write_export(rows, self.filter, kind, self.export_dir or Path.cwd())
        except OSError as error:
            self.post_message(ExportWritten(None, f"{type(error).__name__}: {error}"))
            return
        self.post_message(ExportWritten(path))

    # -- what the workers report --------------------------------------------------

    @on(ResultsLoaded)
    def show_loaded(self, message: ResultsLoaded) -> None:
        published, status = message.published, message.status
        if published.warning:
            self.notify(published.warning, title="Store", severity="warning")
        self.data_time = published.published_at
        self.data_stale = published.stale
        self.book.load(published.results, _parse_times(published.scan_times))
        if self.mode == "idle" and _foreign(status.lock):
            self.start_watching(status.lock)
        self.refresh_tree()
        self.refresh_status()

    @on(MarketChecked)
    def show_market(self, message: MarketChecked) -> None:
        if message.state is None:
            self.market_text = Text("market: unknown", style="dim")
        else:
            state = message.state
            self.market_text = market_line(state.is_open, state.next_open, state.next_close)
            if self.source not in GATED_SOURCES:
                self.market_text.append(f" ({self.source}: ungated)", style="dim")
        self.refresh_status()

    @on(ScanEventPosted)
    def queue_scan_event(self, message: ScanEventPosted) -> None:
        """Hold the event; `flush_scan_events` applies the queue within `SCAN_FLUSH_S`."""
        self.pending_events.append(message)
        if self.flush_timer is None:
            self.flush_timer = self.set_timer(SCAN_FLUSH_S, self.flush_due)

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
        tree = self.query_one(ResultsTree)
        changed: dict[str, None] = {}  # tickers with a new result or error, once each, in order
        started: dict[str, None] = {}  # tickers that only gain their "scanning…" mark
        for message in posted:
            if isinstance(message.event, TickerStarted):
                tree.scanning.add(message.event.symbol)
                started[message.event.symbol] = None
            elif (symbol := self.apply_scan_event(message)) is not None:
                changed[symbol] = None
        marked = [self.shown_row(symbol) for symbol in started if symbol not in changed]
        with self.batch_update():
            self.refresh_tickers(changed)
            tree.relabel([row for row in marked if row is not None])
            self.refresh_progress()

    def apply_scan_event(self, message: ScanEventPosted) -> str | None:
        """Fold a ScanStarted, TickerFinished or TickerFailed into the book and the counters;
        returns the ticker whose row changed."""
        event = message.event
        if isinstance(event, ScanStarted):
            self.total = event.total
            return None
        if isinstance(event, TickerFinished):
            result = event.result
            failures = result.expiration_errors
            error = "; ".join(f"{d}: {r}" for d, r in failures.items()) if failures else None
            self.book.finished(event.symbol, message.result, datetime.now(UTC), error)
            self.candidates += len(result.candidates)
            self.errors += bool(error)
        elif isinstance(event, TickerFailed):
            self.book.failed(event.symbol, event.reason)
            self.errors += 1
        else:
            return None
        self.query_one(ResultsTree).scanning.discard(event.symbol)
        self.done, self.total = event.done, event.total
        return event.symbol

    @on(ScanRefused)
    def watch_instead(self, message: ScanRefused) -> None:
        """Another process took the lock first: watch its scan instead of failing."""
        self.flush_scan_events()
        self.query_one(ResultsTree).clear_scanning(self.book.rows)
        self.start_watching(message.holder)

    @on(ScanEnded)
    def scan_ended(self, message: ScanEnded) -> None:
        outcome = message.outcome
        self.last_outcome = outcome
        self.flush_scan_events()
        self.end_scan_mode()
        self.notify_outcome(str(outcome.state), outcome.message)
        self.load_results()

    @on(ScanCrashed)
    def scan_crashed(self, message: ScanCrashed) -> None:
        self.flush_scan_events()
        self.end_scan_mode()
        self.notify(message.error, title="Scan failed", severity="error", timeout=10)
        self.load_results()

    @on(WatchPolled)
    def follow_watched_scan(self, message: WatchPolled) -> None:
        status = message.status
        lock, progress = status.lock, status.progress
        if self.mode == "idle" and _foreign(lock):
            self.start_watching(lock)
            return
        if self.mode != "watching":
            return
        if lock is not None and progress is not None and progress.scan_id == lock.scan_id:
            started = _parse_times({"scan": progress.started}).get("scan")
            if started is not None:
                running_s = (datetime.now(UTC) - started).total_seconds()
                self.scan_started = time.monotonic() - max(0.0, running_s)
            self.done, self.total = progress.done, progress.total
            self.candidates, self.errors = progress.candidates, len(progress.errors)
            changed = self.book.overlay(
                progress.results, _result_times(progress.results), progress.errors
            )
            self.refresh_tickers(changed)
            self.refresh_progress()
        if lock is None:
            watched = self.watched_scan_id
            self.end_scan_mode()
            if progress is not None and progress.scan_id == watched:
                self.notify_outcome(progress.state, progress.message)
            else:
                self.notify("The other process's scan is over.", title="Scan")
            self.load_results()
            return
        self.watched_scan_id = lock.scan_id
        self.set_timer(WATCH_POLL_S, self.poll_watched_scan)

    @on(ExportWritten)
    def export_written(self, message: ExportWritten) -> None:
        if message.path is None:
            self.notify(f"Export failed: {message.error}", severity="error")
        else:
            self.notify(f"Exported to {message.path}", title="Export")

    # -- actions ------------------------------------------------------------------

    def action_scan(self) -> None:
        if self.mode == "scanning":
            self.notify("A scan is already running.", title="Scan")
            return
        if self.mode == "watching":
            self.notify("Another process is scanning; showing its progress.", title="Scan")
            return
        self.mode = "scanning"
        self.stop_event = threading.Event()
        self.scan_title = f"Scanning the watchlist ({self.source})"
        self.show_progress(True)
        self.run_scan(self.stop_event)

    def action_cancel(self) -> None:
        if self.mode == "scanning":
            self.stop_event.set()
            self.scan_title = "Cancelling…"
            self.refresh_progress()
        elif self.mode == "watching":
            self.notify("That scan belongs to another process; it cannot be cancelled here.")
        else:
            self.notify("No scan is running.")

    def action_reload(self) -> None:
        self.load_results()

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = self.filter.text
        field.focus()

    def action_export(self) -> None:
        rows = self.book.visible(self.filter)
        count = sum(len(row.candidates) for row in rows)
        summary = f"{len(rows)} tickers, {count} candidates"
        if self.filter.active:
            summary += f" (filter: {self.filter.describe()})"

        def chosen(kind: str | None) -> None:
            if kind in ("csv", "json"):
                self.write_export_file(kind)  # type: ignore[arg-type]

        self.push_screen(ExportDialog(summary), chosen)

    def action_toggle_details(self) -> None:
        panel = self.query_one(DetailPanel)
        panel.display = not panel.display
        self.refresh_details()

    def action_close_panels(self) -> None:
        self.query_one(DetailPanel).display = False
        self.query_one(ResultsTree).focus()

    async def action_quit(self) -> None:
        self.stop_event.set()
        self.exit()

    def on_unmount(self) -> None:
        self.stop_event.set()

    # -- filter input and tree events ---------------------------------------------------

    @on(Input.Submitted, "#filter")
    def apply_filter(self, event: Input.Submitted) -> None:
        self.filter = ResultsFilter.parse(event.value)
        self.close_filter()
        self.refresh_tree()
        self.refresh_status()

    def on_key(self, event: Any) -> None:
        field = self.query_one("#filter", Input)
        if event.key == "escape" and field.has_focus:
            event.stop()
            self.close_filter()

    def close_filter(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one(ResultsTree).focus()

    @on(Tree.NodeSelected, "#tree")
    def open_details(self, event: Tree.NodeSelected[NodeRef]) -> None:
        node = event.node
        if node.data is not None and node.data.contract is None:
            node.toggle()
        else:
            self.query_one(DetailPanel).display = True
        self.refresh_details()

    @on(Tree.NodeHighlighted, "#tree")
    def follow_highlight(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        self.refresh_details()

    # -- rendering ----------------------------------------------------------------

    def refresh_tree(self) -> None:
        self.query_one(ResultsTree).show_rows(self.book.visible(self.filter))
        self.refresh_details()
        self.refresh_empty_hint()

    def refresh_empty_hint(self) -> None:
        hint = self.query_one("#empty", Label)
        hint.display = not self.query_one(ResultsTree).root.children
        if not self.book.rows:
            hint.update("No results yet: press s to scan the watchlist.")
        else:
            hint.update(
                f"Nothing matches the filter ({self.filter.describe()}); press / to change it."
            )

    def shown_row(self, symbol: str) -> TickerRow | None:
        """The ticker as the tree shows it under the filter; None when unknown or hidden."""
        row = self.book.rows.get(symbol)
        return self.filter.apply(row) if row is not None else None

    def refresh_tickers(self, symbols: Iterable[str]) -> None:
        """Some tickers changed: update their nodes alone (dropping those the filter hides)."""
        shown, hidden = [], []
        for symbol in symbols:
            view = self.shown_row(symbol)
            if view is None:
                hidden.append(symbol)
            else:
                shown.append(view)
        self.query_one(ResultsTree).update_rows(shown, hidden)
        self.refresh_details()
        self.refresh_empty_hint()

    def refresh_details(self) -> None:
        """Show the highlighted node's figures, if the panel is open.

        A highlight can still be queued while the app shuts down, after its widgets
        are gone: then there is nothing to show.
        """
        panels, trees = self.query(DetailPanel), self.query(ResultsTree)
        if not panels or not trees or not panels.first().display:
            return
        panel = panels.first()
        node = trees.first().cursor_node
        ref = node.data if node is not None else None
        row = self.book.rows.get(ref.symbol) if ref is not None else None
        panel.show(ref, row)

    def refresh_status(self) -> None:
        self.query_one(StatusLine).show(
            self.market_text,
            age(self.data_time),
            self.data_stale,
            criteria_summary(self.criteria),
            self.filter.describe() if self.filter.active else "",
        )

    def show_progress(self, visible: bool) -> None:
        if visible:
            self.scan_started = time.monotonic()
            self.done = self.total = self.candidates = self.errors = 0
        self.query_one(ScanProgress).display = visible
        self.refresh_progress()

    def refresh_progress(self) -> None:
        if self.mode == "idle":
            return
        self.query_one(ScanProgress).show(
            self.scan_title,
            self.done,
            self.total,
            self.candidates,
            self.errors,
            time.monotonic() - self.scan_started,
        )

    def start_watching(self, lock: Any) -> None:
        """Show another process's scan (its lock holder), polling the store until it ends."""
        self.mode = "watching"
        self.show_progress(True)
        if lock is None:
            self.watched_scan_id = None
            self.scan_title = "Watching another process's scan"
        else:
            self.watched_scan_id = lock.scan_id
            stale = f" (stale: {lock.stale_reason})" if lock.stale else ""
            self.scan_title = (
                f"Watching a {lock.kind or 'watchlist'} scan by pid {lock.pid} "
                f"on {lock.host}{stale}"
            )
            self.notify(
                f"Another process (pid {lock.pid}) is scanning; showing its progress.",
                title="Scan in progress",
            )
        self.refresh_progress()
        self.poll_watched_scan()

    def notify_outcome(self, state: str, message: str) -> None:
        """'Scan succeeded: Scan completed at …', 'Scan cancelled: the previous results stay'."""
        title = f"Scan {state.lower()}"
        if state == "CANCELLED":
            message = "The previous results stay."
        severity = SEVERITIES.get(state, "information")
        self.notify(message or title, title=title, severity=severity)  # type: ignore[arg-type]

    def end_scan_mode(self) -> None:
        self.mode = "idle"
        self.watched_scan_id = None
        self.query_one(ResultsTree).clear_scanning(self.book.rows)
        self.show_progress(False)

    def look_for_other_scan(self) -> None:
        if self.mode == "idle":
            self.poll_watched_scan()

    def tick(self) -> None:
        self.refresh_progress()
        self.refresh_status()
