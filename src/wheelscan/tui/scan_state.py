"""The scan the app shows, as one record with pure transitions (no Textual, no I/O).

    IDLE ─start_own─▶ SCANNING (own) ───────┐
     │                                      ├─ended─▶ FINISHED | FAILED | CANCELLED
     └──watch─────▶ SCANNING (watching) ────┘           (and from there a new scan)

An own scan is the app's: it streams its events here (`fold_events`) and can be
cancelled. A watched scan belongs to another process holding the scan lock: its
counters come from the store's progress record (`progressed`), and it can only be
followed. The app keeps exactly one `ScanRun`; the widgets render it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from wheelscan.core.models import (
    ScanEvent,
    ScanStarted,
    ScanState,
    TickerFailed,
    TickerFinished,
    TickerStarted,
)
from wheelscan.tui.model import Result, ResultsBook, parse_times, result_times

if TYPE_CHECKING:
    from wheelscan.store import LockInfo, Progress

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
    watchlist scan by pid 12 on box" for a watched one. `in_flight` are the
    tickers the own scan is fetching now. `outcome` and `message` say how the
    last scan ended (`outcome` None: it ended without telling, e.g. another
    process's scan whose record was already replaced).
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
            return "Cancelling…"
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

    # -- transitions ---------------------------------------------------------------

    def start_own(self, subject: str, now: datetime) -> ScanRun:
        """The app starts its own scan."""
        if self.running:
            raise ScanTransitionError(f"cannot start a scan while {self.mode}")
        return ScanRun(ScanPhase.SCANNING, ScanOrigin.OWN, subject, started_at=now)

    def watch(self, subject: str, scan_id: str | None, now: datetime) -> ScanRun:
        """Follow another process's scan (also when the app's own scan found the lock taken)."""
        if self.mode == "watching":
            raise ScanTransitionError("already watching a scan")
        return ScanRun(
            ScanPhase.SCANNING, ScanOrigin.WATCHING, subject, started_at=now, scan_id=scan_id
        )

    def cancel(self) -> ScanRun:
        """The user asked the own scan to stop; it ends when the scan says so (`ended`)."""
        if self.mode != "scanning":
            raise ScanTransitionError(f"nothing of ours to cancel while {self.mode}")
        return replace(self, cancelling=True)

    def progressed(
        self,
        *,
        done: int,
        total: int,
        candidates: int,
        errors: int,
        scan_id: str | None,
        started_at: datetime | None = None,
    ) -> ScanRun:
        """A watched scan's counters, as its progress record has them."""
        if self.mode != "watching":
            raise ScanTransitionError(f"no watched scan to update while {self.mode}")
        return replace(
            self,
            done=done,
            total=total,
            candidates=candidates,
            errors=errors,
            scan_id=scan_id,
            started_at=started_at or self.started_at,
        )

    def following(self, scan_id: str) -> ScanRun:
        """The watched scan is the lock holder's `scan_id` (known once its lock is read)."""
        if self.mode != "watching":
            raise ScanTransitionError(f"no watched scan to follow while {self.mode}")
        return replace(self, scan_id=scan_id)

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
            outcome=outcome,
            message=message,
        )

    def crashed(self, error: str) -> ScanRun:
        """The own scan raised before it could report an outcome."""
        return self.ended(ScanState.FAILED, error)


@dataclass(frozen=True)
class Folded:
    """What a batch of own-scan events or a poll of a watched scan changed: the new run,
    and the tickers with a new result or error (`changed`, once each, in order).

    The tickers whose "scanning…" mark came or went are `run.in_flight` against the
    run before.
    """

    run: ScanRun
    changed: list[str]


def fold_events(
    run: ScanRun, book: ResultsBook, posted: Iterable[tuple[ScanEvent, Result]], now: datetime
) -> Folded:
    """Apply own-scan events (each with its finished ticker's JSON result, or {}) to the
    run's counters and to `book` (updated in place). Pure apart from `book`."""
    done, total = run.done, run.total
    candidates, errors = run.candidates, run.errors
    in_flight = set(run.in_flight)
    changed: dict[str, None] = {}
    for event, result in posted:
        if isinstance(event, ScanStarted):
            total = event.total
            continue
        if isinstance(event, TickerStarted):
            in_flight.add(event.symbol)
            continue
        if isinstance(event, TickerFinished):
            failures = event.result.expiration_errors
            error = "; ".join(f"{d}: {r}" for d, r in failures.items()) if failures else None
            book.finished(event.symbol, result, now, error)
            candidates += len(event.result.candidates)
            errors += bool(error)
        elif isinstance(event, TickerFailed):
            book.failed(event.symbol, event.reason)
            errors += 1
        in_flight.discard(event.symbol)
        done, total = event.done, event.total
        changed[event.symbol] = None
    folded = replace(
        run,
        done=done,
        total=total,
        candidates=candidates,
        errors=errors,
        in_flight=frozenset(in_flight),
    )
    return Folded(folded, list(changed))


OTHER_SCAN_OVER = "The other process's scan is over."


def _state(text: str) -> ScanState | None:
    try:
        return ScanState(text)
    except ValueError:
        return None


def follow_progress(
    run: ScanRun, book: ResultsBook, lock: LockInfo | None, progress: Progress | None
) -> Folded:
    """One poll of a watched scan: the lock and progress record as the store has them.

    While the lock is held, the holder's progress (when it is that scan's) sets the
    counters and lays its partial results over `book` (updated in place). Once the
    lock is gone the run has ended: with the record's state when the record is the
    watched scan's, else without a known outcome.
    """
    changed: list[str] = []
    if lock is not None and progress is not None and progress.scan_id == lock.scan_id:
        run = run.progressed(
            done=progress.done,
            total=progress.total,
            candidates=progress.candidates,
            errors=len(progress.errors),
            scan_id=lock.scan_id,
            started_at=parse_times({"scan": progress.started}).get("scan"),
        )
        results = progress.results
        changed = book.overlay(results, result_times(results), progress.errors)
    if lock is not None:
        return Folded(run.following(lock.scan_id), changed)
    if progress is not None and progress.scan_id == run.scan_id:
        return Folded(run.ended(_state(progress.state), progress.message), changed)
    return Folded(run.ended(None, OTHER_SCAN_OVER), changed)
