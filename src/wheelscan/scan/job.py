"""One scan from start to end: market gate, lock, engine, live progress, publish, history.

PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED | SKIPPED (SPEC 5).

- The market gate comes first: a `yahoo` scan while NYSE is closed is SKIPPED
  (recorded in history; a watchlist scan also sets `last_run`), unless
  `allow_closed`.
- Every scan then takes the scan lock; if another process holds it the outcome
  is `locked` and nothing else happens.
- While the engine runs, a LockKeeper thread renews the lock and rewrites
  `scanner:progress` with the partial results. If it finds the lock gone or
  taken, it stops the engine and the scan FAILS, publishing nothing.
- A watchlist scan publishes only when it SUCCEEDED, in the same transaction
  that checks it still owns the lock. Ad-hoc scans are never published.
- Every scan that ran (or was skipped) is appended to the history; the lock is
  released in `finally`, by its owner only.

Everything here is blocking; call it from a thread to keep a UI responsive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.models import ScanEvent, ScanKind, ScanReport, ScanState
from wheelscan.core.scan_record import (
    candidate_count,
    history_entry,
    new_scan_id,
    report_results,
    report_scan_object,
    scan_document,
    scan_object,
)
from wheelscan.market import Clock, closed_message, format_time
from wheelscan.scan.engine import ScanEngine
from wheelscan.scan.keeper import LockKeeper
from wheelscan.scan.stop import StopEvent
from wheelscan.store import (
    LockHandle,
    LockInfo,
    Progress,
    Store,
    StoreError,
    lock_ttl_from_env,
    utc_now,
)
from wheelscan.yahoo.source import YahooSource, make_source

if TYPE_CHECKING:
    from wheelscan.config import Settings

log = logging.getLogger("wheelscan.scan")

WAIT_POLL_S = 0.5


@dataclass(frozen=True)
class ScanOutcome:
    """How a scan request ended.

    `locked`: another process holds the lock, so this scan never left PENDING
    and `holder` says who. Otherwise `state` is where the scan ended and
    `document` its SPEC 7 document (for SKIPPED: no results, and `scan.message`
    says when the market opens).
    """

    kind: ScanKind
    state: ScanState
    message: str
    scan_id: str | None = None
    document: dict[str, Any] | None = None
    published: bool = False
    locked: bool = False
    holder: LockInfo | None = None

    @classmethod
    def refused(cls, kind: ScanKind, holder: LockInfo | None) -> ScanOutcome:
        who = f" (scan {holder.scan_id}, pid {holder.pid} on {holder.host})" if holder else ""
        message = f"another scan holds the lock{who}"
        return cls(kind, ScanState.PENDING, message, locked=True, holder=holder)


def lock_timing(settings: Settings) -> tuple[float, float]:
    """(lock TTL, heartbeat interval): `$WHEELSCAN_LOCK_TTL` overrides the TTL (a test
    knob), and the heartbeat runs at least four times per TTL."""
    ttl = lock_ttl_from_env(settings.lock_ttl_s)
    return ttl, min(settings.heartbeat_s, ttl / 4)


def run_scan(
    symbols: Sequence[str],
    settings: Settings,
    *,
    kind: ScanKind,
    intrinsic_values: Mapping[str, float] | None = None,
    on_event: Callable[[ScanEvent], None] | None = None,
    stop: StopEvent | None = None,
    store: Store | None = None,
    source: YahooSource | None = None,
    clock: Clock | None = None,
) -> ScanOutcome:
    """Run one scan of `symbols` through the whole lifecycle; blocking.

    A WATCHLIST scan publishes on success, an ADHOC one never does.
    `intrinsic_values` come from the watchlist. `on_event` receives the
    engine's events on the engine's loop (keep it short). Setting `stop`
    cancels: CANCELLED, lock released, nothing published. `source` replaces
    the one `settings.source` names, `clock` the wall clock of the market gate.
    Raises InputError for an unknown source; every other failure is FAILED.
    """
    store = store or Store()
    scan_id = new_scan_id()
    closed = closed_message(settings.source, settings.allow_closed, clock)
    if closed is not None:
        return _skip(store, scan_id, kind, settings, closed)
    source = source or make_source(settings.source)
    ttl, heartbeat_s = lock_timing(settings)
    try:
        handle = store.acquire_lock(
            scan_id, str(kind), source=settings.source, ttl_s=ttl, heartbeat_s=heartbeat_s
        )
    except StoreError as error:
        return ScanOutcome(kind, ScanState.FAILED, f"Scan failed: {error}", scan_id)
    if handle is None:
        return ScanOutcome.refused(kind, _holder(store))
    try:
        scan = _LockedScan(store, handle, kind, settings, stop or StopEvent(), heartbeat_s)
        return scan.run(list(symbols), source, intrinsic_values or {}, on_event)
    finally:
        try:
            store.release_lock(handle)
        except StoreError as error:
            log.warning("could not release the scan lock: %s", error)


def wait_for_running_scan(
    store: Store | None = None,
    *,
    holder: LockInfo | None = None,
    stop: StopEvent | None = None,
    poll_s: float = WAIT_POLL_S,
    timeout_s: float | None = None,
) -> ScanOutcome | None:
    """Block until the scan holding the lock (or `holder`'s scan) ends; return its outcome.

    None when no scan holds the lock and no `holder` is given. Pass the holder
    that refused a scan (`ScanOutcome.holder`), so a scan that ends before the
    first look still gives its outcome. The lock is read every `poll_s` (the
    store has no change notification); the wait also ends when `stop` is set
    (CANCELLED) or after `timeout_s` (FAILED). The outcome comes from the
    finished scan's progress record, document included; a holder that died
    without recording one gives FAILED.
    """
    store = store or Store()
    stop = stop or StopEvent()
    holder = holder or _holder(store)
    if holder is None:
        return None
    kind = _kind(holder.kind)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while (current := _holder(store)) is not None and current.scan_id == holder.scan_id:
        if deadline is not None and time.monotonic() >= deadline:
            message = f"scan {holder.scan_id} still running after {timeout_s:g} s; gave up waiting"
            return ScanOutcome(kind, ScanState.FAILED, message, holder.scan_id)
        if stop.wait(poll_s):
            return ScanOutcome(kind, ScanState.CANCELLED, "Wait cancelled", holder.scan_id)
    progress, _ = store.read_progress()
    if progress is None or progress.scan_id != holder.scan_id or not progress.finished:
        message = f"scan {holder.scan_id} ended without an outcome (was it killed?)"
        return ScanOutcome(kind, ScanState.FAILED, message, holder.scan_id)
    return ScanOutcome(
        _kind(progress.kind),
        ScanState(progress.state),
        progress.message or f"Scan {progress.state.lower()}",
        progress.scan_id,
        progress.document(),
    )


def _kind(text: str) -> ScanKind:
    try:
        return ScanKind(text)
    except ValueError:
        return ScanKind.ADHOC


def _holder(store: Store) -> LockInfo | None:
    try:
        return store.lock_holder()
    except StoreError:
        return None


def _skip(
    store: Store, scan_id: str, kind: ScanKind, settings: Settings, message: str
) -> ScanOutcome:
    now = utc_now()
    scan = scan_object(
        scan_id=scan_id,
        kind=kind,
        state=ScanState.SKIPPED,
        started_at=now,
        finished_at=now,
        source=settings.source,
        criteria=settings.criteria,
        message=message,
    )
    try:
        if kind is ScanKind.WATCHLIST:
            store.set_last_run(message)
        store.append_history(history_entry(scan, 0, message))
    except StoreError as error:
        log.warning("could not record the skipped scan: %s", error)
    log.info("scan %s skipped: %s", scan_id, message)
    return ScanOutcome(kind, ScanState.SKIPPED, message, scan_id, scan_document(scan, {}))


class _LockedScan:
    """The part of a scan that holds the lock: keeper, engine, verdict, publish, history."""

    def __init__(
        self,
        store: Store,
        handle: LockHandle,
        kind: ScanKind,
        settings: Settings,
        stop: StopEvent,
        heartbeat_s: float,
    ) -> None:
        self.store = store
        self.handle = handle
        self.kind = kind
        self.settings = settings
        self.stop = stop
        self.heartbeat_s = heartbeat_s
        self.started = utc_now()

    def run(
        self,
        symbols: list[str],
        source: YahooSource,
        intrinsic_values: Mapping[str, float],
        on_event: Callable[[ScanEvent], None] | None,
    ) -> ScanOutcome:
        scan_id, settings = self.handle.scan_id, self.settings
        log.info("scan %s (%s, %s): %d tickers", scan_id, self.kind, settings.source, len(symbols))
        keeper = LockKeeper(
            self.store,
            self.handle,
            self._first_progress(len(symbols)),
            heartbeat_s=self.heartbeat_s,
            stop=self.stop,
        )

        def relay(event: ScanEvent) -> None:
            keeper.post(event)
            if on_event is not None:
                on_event(event)

        engine = ScanEngine(
            source,
            settings,
            symbols,
            intrinsic_values=intrinsic_values,
            on_event=relay,
            stop=self.stop,
        )
        interrupted: BaseException | None = None
        report: ScanReport | None = None
        broke = ""
        keeper.start()
        try:
            report = engine.run_blocking()
        except (KeyboardInterrupt, SystemExit) as error:
            interrupted = error
        except Exception as error:
            log.exception("scan %s broke", scan_id)
            broke = f"{type(error).__name__}: {error}"
        finally:
            progress = keeper.finish()
        state, message = _verdict(report, broke, keeper.lost_lock, interrupted is not None)
        results = report_results(report) if report else dict(progress.results)
        published = False
        if report and state is ScanState.SUCCEEDED and self.kind is ScanKind.WATCHLIST:
            state, message, published = self._publish(report, results, message)
        scan = self._scan_object(report, state, len(symbols), progress)
        self._finish(keeper, scan, results, state, message)
        log.info("scan %s %s: %s", scan_id, state, message)
        if interrupted is not None:
            raise interrupted
        return ScanOutcome(
            self.kind, state, message, scan_id, scan_document(scan, results), published
        )

    def _first_progress(self, total: int) -> Progress:
        started = self.started.isoformat()
        return Progress(
            scan_id=self.handle.scan_id,
            kind=str(self.kind),
            source=self.settings.source,
            state=str(ScanState.RUNNING),
            done=0,
            total=total,
            current=None,
            candidates=0,
            errors={},
            started=started,
            updated=started,
        )

    def _scan_object(
        self, report: ScanReport | None, state: ScanState, tickers: int, progress: Progress
    ) -> dict[str, Any]:
        if report is not None:
            return report_scan_object(report, self.handle.scan_id, self.kind, state)
        return scan_object(
            scan_id=self.handle.scan_id,
            kind=self.kind,
            state=state,
            started_at=self.started,
            finished_at=utc_now(),
            source=self.settings.source,
            criteria=self.settings.criteria,
            tickers_scanned=tickers,
            errors=progress.errors,
        )

    def _publish(
        self, report: ScanReport, results: dict[str, Any], message: str
    ) -> tuple[ScanState, str, bool]:
        scan = report_scan_object(report, self.handle.scan_id, self.kind, ScanState.SUCCEEDED)
        line = f"Scan completed at {format_time(report.finished_at)}: " + message.split(": ", 1)[-1]
        try:
            owned = self.store.publish(
                self.handle,
                scan_document(scan, results),
                line,
                results_ttl_s=self.settings.results_ttl_minutes * 60,
            )
        except StoreError as error:
            return ScanState.FAILED, f"Scan failed: {error}", False
        if not owned:
            return ScanState.FAILED, "Scan failed: lost the scan lock; nothing published", False
        return ScanState.SUCCEEDED, line, True

    def _finish(
        self,
        keeper: LockKeeper,
        scan: dict[str, Any],
        results: dict[str, Any],
        state: ScanState,
        message: str,
    ) -> None:
        """Final progress record, `last_run` for a failed watchlist scan, history."""
        keeper.write(
            replace(
                keeper.progress,
                state=str(state),
                current=None,
                results=results,
                scan=scan,
                message=message,
                updated=utc_now().isoformat(),
            )
        )
        try:
            if self.kind is ScanKind.WATCHLIST and state is not ScanState.SUCCEEDED:
                when = format_time(datetime.fromisoformat(scan["finished_at"]))
                line = message.replace("Scan failed:", f"Scan failed at {when}:", 1)
                if state is ScanState.CANCELLED:
                    line = f"Scan cancelled at {when}"
                self.store.set_last_run(line, self.handle)
            self.store.append_history(history_entry(scan, candidate_count(results), message))
        except StoreError as error:
            log.warning("could not record the scan: %s", error)


def _verdict(
    report: ScanReport | None, broke: str, lost_lock: bool, interrupted: bool
) -> tuple[ScanState, str]:
    if lost_lock:
        return ScanState.FAILED, "Scan failed: lost the scan lock to another process"
    if interrupted:
        return ScanState.CANCELLED, "Scan cancelled"
    if report is None:
        return ScanState.FAILED, f"Scan failed: {broke or 'the scan broke'}"
    if report.state is ScanState.FAILED:
        return ScanState.FAILED, f"Scan failed: {report.message}"
    if report.state is ScanState.CANCELLED:
        return ScanState.CANCELLED, "Scan cancelled"
    errors = f", {len(report.errors)} with errors" if report.errors else ""
    return (
        ScanState.SUCCEEDED,
        f"Scan completed: {report.candidate_count} candidates from "
        f"{len(report.symbols)} tickers{errors}",
    )
