"""How the app follows a scan: its own scan process (`s`, `c`) or another process's.

Both are followed the same way, through the store: chained `WATCH_POLL_S` timers
start a thread worker that reads the lock and the progress rows not seen yet
(`background.poll_scan`), and `scan_state.follow_scan` folds them into the app's
one `ScanRun`. While idle, every `idle_poll_s` the app looks at the lock and the
latest progress header only (`background.look_at_store`, O(1)): a lock it did
not take is a scan to watch, a newer finished scan a reason to reload.

A mixin of `WheelscanApp` (tui.app), which holds the state it names; its message
handlers go by Textual's naming convention (`on_scan_polled`), since `@on` only
registers handlers defined in the App class itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import work

from wheelscan.tui import background
from wheelscan.tui.formatting import holder_subject, outcome_notice
from wheelscan.tui.runtime import freeze_long_lived, held_elsewhere, while_running
from wheelscan.tui.scan_state import ScanRun, follow_scan

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.market import Clock
    from wheelscan.store import LockInfo
    from wheelscan.tui.child import ScanChild
    from wheelscan.tui.messages import ScanLaunched, ScanPolled, StoreLooked
    from wheelscan.tui.model import ResultsBook

WATCH_POLL_S = 0.5


class FollowsScans:
    """Starting, stopping and following scans; the App provides what is declared here."""

    scan: ScanRun
    settings: Settings
    clock: Clock
    book: ResultsBook
    demo: bool
    child: ScanChild | None
    known_scan: str | None
    notify: Callable[..., Any]
    post_message: Callable[..., Any]
    set_timer: Callable[..., Any]
    load_results: Callable[[], Any]
    queue_redraw: Callable[[Iterable[str]], None]

    # -- thread workers ---------------------------------------------------------------

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

    # -- keys -----------------------------------------------------------------------------

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

    # -- what the workers report ---------------------------------------------------------

    @while_running
    def on_scan_launched(self, message: ScanLaunched) -> None:
        if message.child is None or self.scan.mode != "scanning":
            self.scan = self.scan.crashed(message.error or "the scan did not start")
            self.notify_outcome(self.scan)
            return
        self.child = message.child
        self.scan = self.scan.launched(message.child.pid, message.at)
        if self.scan.cancelling:
            message.child.stop()
        self.poll_scan(self.scan, self.child)

    @while_running
    def on_scan_polled(self, message: ScanPolled) -> None:
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

    @while_running
    def on_store_looked(self, message: StoreLooked) -> None:
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

    # -- timers -------------------------------------------------------------------------

    @while_running
    def look_for_other_scan(self) -> None:
        if not self.scan.running:
            self.look_at_store()

    @while_running
    def watch_poll_due(self) -> None:
        if self.scan.running:
            self.poll_scan(self.scan, self.child)

    # -- helpers ------------------------------------------------------------------------

    def foreign(self, lock: LockInfo | None) -> bool:
        """A lock held by a process the app did not start (a cron refresh, another app)."""
        if lock is None or not held_elsewhere(lock):
            return False
        return self.child is None or lock.pid != self.child.pid

    def start_watching(self, lock: LockInfo | None) -> None:
        """Show another process's scan (its lock holder), polling the store until it ends."""
        scan_id = lock.scan_id if lock else None
        self.scan = self.scan.watch(holder_subject(lock), scan_id, self.clock())
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
            self.notify(message, title=title, severity=severity)
