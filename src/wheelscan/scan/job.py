"""One scan from start to end: market gate, lock, engine, live progress, publish, history.

PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED | SKIPPED (SPEC 5).

- The market gate comes first: a `yahoo` scan while NYSE is closed is SKIPPED
  (recorded in history; a watchlist scan also sets `last_run`), unless
  `allow_closed`.
- Every scan then takes the scan lock; if another process holds it the outcome
  is `locked` (exit 75) and nothing else happens.
- A heartbeat thread renews the lock every `heartbeat_s`. If it finds the lock
  gone or taken, the engine is stopped and the scan FAILS, publishing nothing.
- After each ticker, `scanner:progress` is rewritten with the partial results
  (only while we own the lock).
- A watchlist scan publishes only when it SUCCEEDED, in the same transaction
  that checks it still owns the lock. Ad-hoc scans are never published.
- Every scan that ran (or was skipped) is appended to the history; the lock is
  released in `finally`, by its owner only.

Everything here is blocking; call it from a thread to keep a UI responsive.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from wheelscan.core.models import (
    Criteria,
    ScanEvent,
    ScanReport,
    ScanStarted,
    ScanState,
    TickerFailed,
    TickerFinished,
    TickerStarted,
)
from wheelscan.market import Clock, closed_message, format_time
from wheelscan.store import (
    DEFAULT_HEARTBEAT_S,
    DEFAULT_LOCK_TTL_S,
    DEFAULT_RESULTS_TTL_MINUTES,
    JSONFragments,
    LockHandle,
    LockInfo,
    Progress,
    Store,
    StoreError,
    lock_ttl_from_env,
    utc_now,
)

log = logging.getLogger("wheelscan.lifecycle")

WATCHLIST = "watchlist"
ADHOC = "adhoc"
WAIT_POLL_S = 0.5


@dataclass(frozen=True)
class ScanSettings:
    """Everything a scan needs besides its symbols; defaults are the spec's.

    The config layer builds this from config.toml. `$WHEELSCAN_LOCK_TTL`
    (seconds) overrides `lock_ttl_s` when set (a knob for tests); the heartbeat
    then runs at a quarter of the TTL unless `heartbeat_s` is shorter.
    """

    source: str = "yahoo"
    criteria: Criteria = field(default_factory=Criteria)
    results_ttl_minutes: float = DEFAULT_RESULTS_TTL_MINUTES
    lock_ttl_s: float = DEFAULT_LOCK_TTL_S
    heartbeat_s: float = DEFAULT_HEARTBEAT_S
    allow_closed: bool = False
    concurrency: int = 8
    rate_limit_per_s: float | None = None
    intrinsic_values: Mapping[str, float] = field(default_factory=dict)

    def lock_timing(self) -> tuple[float, float]:
        """(lock TTL, heartbeat interval), the TTL several heartbeats long."""
        ttl = lock_ttl_from_env(self.lock_ttl_s)
        return ttl, min(self.heartbeat_s, ttl / 4)


@dataclass(frozen=True)
class ScanOutcome:
    """How a scan request ended.

    `state` is None only when another process holds the lock (`locked`; then
    `holder` says who). `document` is the SPEC 7 document (for SKIPPED: an
    empty one whose `scan.message` says when the market opens; None when
    locked). `exit_code` is SPEC 7's: 0 SUCCEEDED/SKIPPED, 1 FAILED/CANCELLED,
    75 locked.
    """

    state: ScanState | None
    kind: str
    message: str
    scan_id: str | None = None
    document: dict[str, Any] | None = None
    published: bool = False
    holder: LockInfo | None = None

    @property
    def locked(self) -> bool:
        return self.state is None

    @property
    def exit_code(self) -> int:
        if self.state is None:
            return 75
        return 0 if self.state in (ScanState.SUCCEEDED, ScanState.SKIPPED) else 1


def new_scan_id() -> str:
    return uuid.uuid4().hex[:12]


def run_scan(
    symbols: list[str],
    *,
    kind: str,
    settings: ScanSettings | None = None,
    on_event: Callable[[ScanEvent], None] | None = None,
    stop: threading.Event | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
) -> ScanOutcome:
    """Run one scan of `symbols` through the whole lifecycle; blocking.

    `kind` is "watchlist" (publishes on success) or "adhoc" (never publishes).
    `on_event` receives the engine's ScanEvents (from the engine's thread);
    setting `stop` cancels (CANCELLED, lock released, nothing published).
    `clock` replaces the wall clock for the market gate. Raises InputError for
    an unknown source; every other failure is a FAILED outcome.
    """
    from wheelscan.yahoo.source import make_source

    settings = settings or ScanSettings()
    store = store or Store()
    scan_id = new_scan_id()
    closed = closed_message(settings.source, settings.allow_closed, clock)
    if closed is not None:
        return _skip(store, scan_id, kind, settings, closed)
    source = make_source(settings.source)
    ttl, heartbeat_s = settings.lock_timing()
    try:
        handle = store.acquire_lock(
            scan_id, kind, source=settings.source, ttl_s=ttl, heartbeat_s=heartbeat_s
        )
    except StoreError as error:
        return ScanOutcome(ScanState.FAILED, kind, f"Scan failed: {error}", scan_id)
    if handle is None:
        holder = _holder(store)
        who = f" (scan {holder.scan_id}, pid {holder.pid} on {holder.host})" if holder else ""
        return ScanOutcome(None, kind, f"another scan holds the lock{who}", holder=holder)
    try:
        return _Run(store, handle, symbols, settings, source, on_event, stop, heartbeat_s).run()
    finally:
        try:
            store.release_lock(handle)
        except StoreError as error:
            log.warning("could not release the scan lock: %s", error)


def wait_for_running_scan(
    store: Store | None = None,
    *,
    poll_s: float = WAIT_POLL_S,
    stop: threading.Event | None = None,
) -> ScanOutcome | None:
    """Block until the scan holding the lock ends and return its outcome.

    None when no scan holds the lock. The outcome comes from the finished
    scan's progress record (its document included); a holder that died
    without recording one gives a FAILED outcome once its lock has expired.
    """
    store = store or Store()
    holder = _holder(store)
    if holder is None:
        return None
    while not (stop and stop.is_set()):
        current = _holder(store)
        if current is None or current.scan_id != holder.scan_id:
            break
        time.sleep(poll_s)
    progress, _ = store.read_progress()
    if progress is None or progress.scan_id != holder.scan_id or not progress.finished:
        return ScanOutcome(
            ScanState.FAILED,
            holder.kind,
            f"scan {holder.scan_id} ended without an outcome (was it killed?)",
            holder.scan_id,
        )
    return ScanOutcome(
        ScanState(progress.state),
        progress.kind,
        progress.message or f"Scan {progress.state.lower()}",
        progress.scan_id,
        progress.document(),
    )


def _holder(store: Store) -> LockInfo | None:
    try:
        return store.lock_holder()
    except StoreError:
        return None


def _skip(
    store: Store, scan_id: str, kind: str, settings: ScanSettings, message: str
) -> ScanOutcome:
    now = utc_now().isoformat()
    scan = {
        "id": scan_id,
        "kind": kind,
        "state": str(ScanState.SKIPPED),
        "started_at": now,
        "finished_at": now,
        "duration_s": 0.0,
        "as_of": None,
        "source": settings.source,
        "criteria": settings.criteria.to_json(),
        "tickers_scanned": 0,
        "requests": 0,
        "errors": {},
        "message": message,
    }
    try:
        if kind == WATCHLIST:
            store.set_last_run(message)
        store.append_history(_history_entry(scan, 0, message))
    except StoreError as error:
        log.warning("could not record the skipped scan: %s", error)
    log.info("scan %s skipped: %s", scan_id, message)
    return ScanOutcome(
        ScanState.SKIPPED, kind, message, scan_id, {"schema": 1, "scan": scan, "results": {}}
    )


def _history_entry(scan: dict[str, Any], candidates: int, message: str) -> dict[str, Any]:
    return {
        "id": scan["id"],
        "kind": scan["kind"],
        "state": scan["state"],
        "started_at": scan["started_at"],
        "finished_at": scan["finished_at"],
        "duration_s": scan["duration_s"],
        "tickers": scan["tickers_scanned"],
        "candidates": candidates,
        "errors": scan["errors"],
        "criteria": scan["criteria"],
        "source": scan["source"],
        "message": message,
    }


class _Run:
    """A scan that holds the lock: heartbeat, progress, engine, publish, history."""

    def __init__(
        self,
        store: Store,
        handle: LockHandle,
        symbols: list[str],
        settings: ScanSettings,
        source: Any,
        on_event: Callable[[ScanEvent], None] | None,
        stop: threading.Event | None,
        heartbeat_s: float,
    ) -> None:
        self.store = store
        self.handle = handle
        self.symbols = symbols
        self.settings = settings
        self.source = source
        self.forward = on_event
        self.user_stop = stop
        self.heartbeat_s = heartbeat_s
        self.engine_stop = threading.Event()
        self.finished = threading.Event()
        self.lost_lock = False
        self.cancelled = False
        started = utc_now().isoformat()
        self.result_texts = JSONFragments()
        self.progress = Progress(
            scan_id=handle.scan_id,
            kind=handle.kind,
            source=settings.source,
            state=str(ScanState.RUNNING),
            done=0,
            total=len(symbols),
            current=None,
            candidates=0,
            errors={},
            started=started,
            updated=started,
        )

    # -- the heartbeat thread -------------------------------------------------------

    def _beat(self) -> None:
        last = time.monotonic()
        while not self.finished.wait(0.05):
            if self.user_stop is not None and self.user_stop.is_set():
                self.cancelled = True
                self.engine_stop.set()
            if time.monotonic() - last < self.heartbeat_s:
                continue
            last = time.monotonic()
            try:
                owned = self.store.heartbeat(self.handle)
            except StoreError as error:
                log.warning("heartbeat failed: %s", error)
                continue
            if not owned:
                self._lose_lock()

    def _lose_lock(self) -> None:
        if not self.lost_lock:
            log.error("scan %s lost its lock; stopping", self.handle.scan_id)
        self.lost_lock = True
        self.engine_stop.set()

    # -- progress -------------------------------------------------------------------

    def _on_event(self, event: ScanEvent) -> None:
        if self.forward is not None:
            self.forward(event)
        progress = self.progress
        if isinstance(event, ScanStarted):
            progress = replace(progress, total=event.total)
        elif isinstance(event, TickerStarted):
            progress = replace(progress, current=event.symbol)
            self.progress = progress
            return
        elif isinstance(event, TickerFinished):
            results = {**progress.results, event.symbol: event.result.to_json()}
            errors = dict(progress.errors)
            if event.result.expiration_errors:
                errors[event.symbol] = "; ".join(
                    f"{day}: {reason}" for day, reason in event.result.expiration_errors.items()
                )
            progress = replace(
                progress,
                done=event.done,
                results=results,
                errors=errors,
                candidates=progress.candidates + len(event.result.candidates),
            )
        elif isinstance(event, TickerFailed):
            progress = replace(
                progress, done=event.done, errors={**progress.errors, event.symbol: event.reason}
            )
        self.progress = replace(progress, updated=utc_now().isoformat())
        self._write_progress()

    def _write_progress(self) -> None:
        try:
            if not self.store.write_progress(self.handle, self.progress.encode(self.result_texts)):
                self._lose_lock()
        except StoreError as error:
            log.warning("could not write progress: %s", error)

    # -- the scan -------------------------------------------------------------------

    def run(self) -> ScanOutcome:
        from wheelscan.core.document import scan_document
        from wheelscan.engine import EngineSettings, ScanEngine
        from wheelscan.engine import run_scan as run_engine

        settings = self.settings
        scan_id, kind = self.handle.scan_id, self.handle.kind
        log.info(
            "scan %s (%s, %s) started: %d tickers",
            scan_id,
            kind,
            settings.source,
            len(self.symbols),
        )
        self._write_progress()
        beater = threading.Thread(target=self._beat, name="wheelscan-heartbeat", daemon=True)
        beater.start()
        engine = ScanEngine(
            self.source,
            EngineSettings(
                concurrency=settings.concurrency, rate_limit_per_s=settings.rate_limit_per_s
            ),
        )
        interrupted: BaseException | None = None
        report: ScanReport | None = None
        broke = ""
        try:
            report = run_engine(
                engine,
                self.symbols,
                settings.criteria,
                intrinsic_values=dict(settings.intrinsic_values),
                on_event=self._on_event,
                stop=self.engine_stop,
            )
        except (KeyboardInterrupt, SystemExit) as error:
            interrupted = error
            self.cancelled = True
        except Exception as error:
            log.exception("scan %s broke", scan_id)
            broke = f"{type(error).__name__}: {error}"
        finally:
            self.finished.set()
            beater.join()
        document = self._document(report, scan_document)
        state, message = self._verdict(report, broke)
        published = False
        if state is ScanState.SUCCEEDED and kind == WATCHLIST:
            state, message, published = self._publish(document, message)
        document["scan"]["state"] = str(state)
        self._finish(document, state, message)
        log.info("scan %s %s: %s", scan_id, state, message)
        if interrupted is not None:
            raise interrupted
        return ScanOutcome(state, kind, message, scan_id, document, published)

    def _document(self, report: ScanReport | None, build: Callable[..., dict[str, Any]]) -> dict:
        if report is not None:
            return build(report, self.handle.scan_id, self.handle.kind)
        now = utc_now()
        return {
            "schema": 1,
            "scan": {
                "id": self.handle.scan_id,
                "kind": self.handle.kind,
                "state": str(ScanState.FAILED),
                "started_at": self.progress.started,
                "finished_at": now.isoformat(),
                "duration_s": round(
                    (now - datetime.fromisoformat(self.progress.started)).total_seconds(), 3
                ),
                "as_of": None,
                "source": self.settings.source,
                "criteria": self.settings.criteria.to_json(),
                "tickers_scanned": len(self.symbols),
                "requests": 0,
                "errors": dict(self.progress.errors),
            },
            "results": dict(self.progress.results),
        }

    def _verdict(self, report: ScanReport | None, broke: str) -> tuple[ScanState, str]:
        if self.lost_lock:
            return ScanState.FAILED, "Scan failed: lost the scan lock to another process"
        if self.cancelled:
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

    def _publish(self, document: dict[str, Any], message: str) -> tuple[ScanState, str, bool]:
        finished = datetime.fromisoformat(document["scan"]["finished_at"])
        line = f"Scan completed at {format_time(finished)}: " + message.split(": ", 1)[-1]
        document["scan"]["state"] = str(ScanState.SUCCEEDED)
        try:
            owned = self.store.publish(
                self.handle,
                document,
                line,
                results_ttl_s=self.settings.results_ttl_minutes * 60,
            )
        except StoreError as error:
            return ScanState.FAILED, f"Scan failed: {error}", False
        if not owned:
            self.lost_lock = True
            return ScanState.FAILED, "Scan failed: lost the scan lock; nothing published", False
        return ScanState.SUCCEEDED, line, True

    def _finish(self, document: dict[str, Any], state: ScanState, message: str) -> None:
        """Final progress record, `last_run` for a failed watchlist scan, history."""
        scan = document["scan"]
        self.progress = replace(
            self.progress,
            state=str(state),
            current=None,
            results=document["results"],
            scan=scan,
            message=message,
            updated=utc_now().isoformat(),
        )
        self._write_progress()
        candidates = sum(len(r.get("candidates", [])) for r in document["results"].values())
        try:
            if self.handle.kind == WATCHLIST and state is not ScanState.SUCCEEDED:
                when = format_time(datetime.fromisoformat(scan["finished_at"]))
                line = message.replace("Scan failed:", f"Scan failed at {when}:", 1)
                if state is ScanState.CANCELLED:
                    line = f"Scan cancelled at {when}"
                self.store.set_last_run(line, self.handle)
            self.store.append_history(_history_entry(scan, candidates, message))
        except StoreError as error:
            log.warning("could not record the scan: %s", error)
