"""The scan the app shows, as one record with pure transitions (no Textual, no I/O).

    IDLE ─start_own─▶ SCANNING (own process) ──┐
     │                                          ├─ended─▶ FINISHED | FAILED | CANCELLED
     └──watch─────▶ SCANNING (watching) ───────┘           (and from there a new scan)

The app never scans in its own process. An own scan is a scan process the app
started (`s`, tui.child); a watched one belongs to another process (a cron
refresh). Both are followed the same way, through the store: each poll
(`StorePoll`) brings the lock, the progress header and the progress rows after
the `seen` ones, and `follow_scan` folds them into the run and the book. An own
scan can be stopped (`c`) and also ends when its process exits; a watched one
ends when its lock is gone. The app keeps exactly one `ScanRun`; widgets render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from wheelscan.cli.messages import ExitCode
from wheelscan.core.models import ScanState
from wheelscan.tui.model import FinishedTicker, ResultsBook, parse_times

if TYPE_CHECKING:
    from wheelscan.store import LockInfo, ProgressHeader, ProgressRow

Mode = Literal["idle", "scanning", "watching"]


class ScanPhase(StrEnum):
    IDLE = "idle"
    SCANNING = "scanning"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScanOrigin(StrEnum):
    OWN = "own"
    WATCHING = "watching"


class ScanTransitionError(RuntimeError):
    """A transition the scan's phase does not allow (a bug in the caller)."""


_PHASE_OF_OUTCOME = {
    ScanState.SUCCEEDED: ScanPhase.FINISHED,
    ScanState.SKIPPED: ScanPhase.FINISHED,
    ScanState.FAILED: ScanPhase.FAILED,
    ScanState.CANCELLED: ScanPhase.CANCELLED,
}


@dataclass(frozen=True)
class ScanRun:
    """The current (or last) scan: its phase, whose it is, and its counters.

    `subject` completes the title: "the watchlist (demo)" for an own scan, "a
    watchlist scan by pid 12 on box" for a watched one. `pid` and `launched_at`
    (wall-clock, the process's start) name the own scan's process. `scan_id` is
    known once the scan's lock is read; `seen` counts the progress rows applied.
    `in_flight` are the tickers the scan is fetching now (its progress's current).
    `outcome` and `message` say how the last scan ended (`outcome` None: it ended
    without telling, e.g. another process's scan whose record was already replaced).
    """

    phase: ScanPhase = ScanPhase.IDLE
    origin: ScanOrigin | None = None
    subject: str = ""
    started_at: datetime | None = None
    done: int = 0
    total: int = 0
    candidates: int = 0
    errors: int = 0
    in_flight: frozenset[str] = field(default_factory=frozenset)
    scan_id: str | None = None
    seen: int = 0
    pid: int | None = None
    launched_at: datetime | None = None
    cancelling: bool = False
    outcome: ScanState | None = None
    message: str = ""

    # -- what it is --------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.phase is ScanPhase.SCANNING

    @property
    def mode(self) -> Mode:
        if not self.running:
            return "idle"
        return "watching" if self.origin is ScanOrigin.WATCHING else "scanning"

    @property
    def title(self) -> str:
        if self.cancelling:
            return "Stopping the scan…"
        verb = "Watching" if self.origin is ScanOrigin.WATCHING else "Scanning"
        return f"{verb} {self.subject}"

    def elapsed_s(self, now: datetime) -> float:
        if self.started_at is None:
            return 0.0
        return max(0.0, (now - self.started_at).total_seconds())

    def eta_s(self, now: datetime) -> float | None:
        """Seconds left at the pace so far; None before the first ticker or once all are done."""
        if not 0 < self.done < self.total:
            return None
        return self.elapsed_s(now) / self.done * (self.total - self.done)

    def scan_of(self, lock: LockInfo | None) -> str | None:
        """The scan to read progress of: the one followed, else the lock holder's when it
        is the followed process (any holder for a watched scan)."""
        if self.scan_id is not None:
            return self.scan_id
        if lock is not None and (self.pid is None or lock.pid == self.pid):
            return lock.scan_id
        return None

    def rows_seen(self, scan_id: str | None) -> int:
        """How many of `scan_id`'s progress rows are applied already."""
        return self.seen if scan_id is not None and scan_id == self.scan_id else 0

    # -- transitions ---------------------------------------------------------------

    def start_own(self, subject: str, now: datetime) -> ScanRun:
        """The app starts a scan process (its pid comes with `launched`)."""
        if self.running:
            raise ScanTransitionError(f"cannot start a scan while {self.mode}")
        return ScanRun(ScanPhase.SCANNING, ScanOrigin.OWN, subject, started_at=now)

    def launched(self, pid: int, at: datetime) -> ScanRun:
        """The own scan's process runs: `pid`, started at wall-clock time `at`."""
        if self.mode != "scanning":
            raise ScanTransitionError(f"no scan of ours to launch while {self.mode}")
        return replace(self, pid=pid, launched_at=at)

    def watch(self, subject: str, scan_id: str | None, now: datetime) -> ScanRun:
        """Follow another process's scan (also when the own scan found the lock taken)."""
        if self.mode == "watching":
            raise ScanTransitionError("already watching a scan")
        return ScanRun(
            ScanPhase.SCANNING, ScanOrigin.WATCHING, subject, started_at=now, scan_id=scan_id
        )

    def cancel(self) -> ScanRun:
        """The user asked the own scan to stop; it ends when its process does."""
        if self.mode != "scanning":
            raise ScanTransitionError(f"nothing of ours to cancel while {self.mode}")
        return replace(self, cancelling=True)

    def following(self, scan_id: str) -> ScanRun:
        """The scan is `scan_id` (known once its lock is read)."""
        if not self.running:
            raise ScanTransitionError(f"no scan to follow while {self.phase}")
        return replace(self, scan_id=scan_id, seen=0 if scan_id != self.scan_id else self.seen)

    def progressed(self, header: ProgressHeader, rows_read: int) -> ScanRun:
        """The scan's counters as its progress header has them; `rows_read` more rows seen."""
        if not self.running:
            raise ScanTransitionError(f"no scan to update while {self.phase}")
        started = parse_times({"scan": header.started}).get("scan")
        current = header.current if header.current and not header.finished else None
        return replace(
            self,
            done=header.done,
            total=header.total,
            candidates=header.candidates,
            errors=header.errors,
            seen=self.seen + rows_read,
            in_flight=frozenset([current]) if current else frozenset(),
            started_at=started or self.started_at,
        )

    def ended(self, outcome: ScanState | None, message: str = "") -> ScanRun:
        """The scan is over: `outcome` says how. None: not known (counted as finished);
        a state that is not a finished one (the record still said RUNNING): FAILED."""
        if not self.running:
            raise ScanTransitionError(f"no scan to end while {self.phase}")
        if outcome is not None and not outcome.finished:
            outcome = ScanState.FAILED
        return replace(
            self,
            phase=_PHASE_OF_OUTCOME[outcome] if outcome else ScanPhase.FINISHED,
            in_flight=frozenset(),
            cancelling=False,
            scan_id=None,
            seen=0,
            outcome=outcome,
            message=message,
        )

    def crashed(self, error: str) -> ScanRun:
        """The own scan's process ended (or could not start) without a scan to report."""
        return self.ended(ScanState.FAILED, error)


@dataclass(frozen=True)
class StorePoll:
    """One look at the store for the scan the app follows.

    `lock` is the scan lock's holder; `header` the progress header and `rows` the
    rows after the ones already seen (all of them when the header is another
    scan's). For an own scan, `exit_code` is its process's, once it has exited
    (read before the store, so the store then holds everything it wrote), and
    `error_line` the last line it wrote to stderr. `warning`: the store could not
    be read.
    """

    lock: LockInfo | None
    header: ProgressHeader | None
    rows: list[ProgressRow] = field(default_factory=list)
    exit_code: int | None = None
    error_line: str = ""
    warning: str | None = None


@dataclass(frozen=True)
class Followed:
    """What a poll changed: the new run and the tickers with a new result or error
    (`changed`, once each, in order). `refused`: the own scan's process found the
    lock held by another scan, which the app should watch instead."""

    run: ScanRun
    changed: list[str]
    refused: bool = False


OTHER_SCAN_OVER = "The other process's scan is over."


def _state(text: str) -> ScanState | None:
    try:
        return ScanState(text)
    except ValueError:
        return None


def _is_ours(run: ScanRun, poll: StorePoll) -> bool:
    """Whether the poll's progress header is the followed scan's. Before its lock was
    read, an own scan's process that has exited owns a header it started itself."""
    header = poll.header
    if header is None:
        return False
    if run.scan_id is not None:
        return header.scan_id == run.scan_id
    if run.origin is not ScanOrigin.OWN or poll.exit_code is None or run.launched_at is None:
        return False
    started = parse_times({"scan": header.started}).get("scan")
    return started is not None and started >= run.launched_at


def _process_outcome(run: ScanRun, poll: StorePoll, ours: bool) -> Followed | None:
    """How an own scan ended once its process exited (None: it still runs)."""
    code = poll.exit_code
    if code is None:
        return None
    header = poll.header
    if ours and header is not None and header.finished:
        return Followed(run.ended(_state(header.state), header.message), [])
    if ours:
        why = poll.error_line or f"the scan process ended before the scan did (exit {code})"
        return Followed(run.crashed(why), [])
    if code == ExitCode.LOCKED:
        return Followed(run, [], refused=True)
    if code == ExitCode.INTERRUPTED or run.cancelling:
        return Followed(run.ended(ScanState.CANCELLED, "Stopped before it started."), [])
    if code == 0:
        return Followed(run.ended(None, "The scan process finished."), [])
    return Followed(run.crashed(poll.error_line or f"the scan process exited with {code}"), [])


def follow_scan(run: ScanRun, book: ResultsBook, poll: StorePoll) -> Followed:
    """One poll of the followed scan: its counters, its finished tickers laid over `book`
    (updated in place), and whether it has ended."""
    lock = poll.lock
    if poll.warning is not None and poll.exit_code is None:
        return Followed(run, [])
    if run.scan_id is None and (scan_id := run.scan_of(lock)) is not None:
        run = run.following(scan_id)
    ours = _is_ours(run, poll)
    changed: list[str] = []
    if ours and poll.header is not None:
        run = run.following(poll.header.scan_id)
        tickers = [FinishedTicker(row.symbol, row.result, row.error) for row in poll.rows]
        changed = book.finish(tickers)
        run = run.progressed(poll.header, len(poll.rows))
    if run.origin is ScanOrigin.OWN:
        ended = _process_outcome(run, poll, ours)
        return Followed(ended.run, changed, ended.refused) if ended else Followed(run, changed)
    if lock is not None and lock.scan_id == run.scan_id:
        return Followed(run, changed)
    if ours and poll.header is not None:
        return Followed(run.ended(_state(poll.header.state), poll.header.message), changed)
    return Followed(run.ended(None, OTHER_SCAN_OVER), changed)
