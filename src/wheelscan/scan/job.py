"""One scan from start to end: market gate, lock, engine, live progress, publish, history.

PENDING → RUNNING → SUCCEEDED | FAILED | CANCELLED | SKIPPED (SPEC 5).

- The market gate comes first, for `refresh` only (`gate`): a `yahoo` scan while
  NYSE is closed is SKIPPED (recorded in history; a watchlist scan also sets
  `last_run`), unless `allow_closed`. Every other scan runs whenever asked; when
  the market is closed its notes say it ran on Yahoo's last quotes (SPEC 6).
- Every scan then takes its source's scan lock; if another process holds it the
  outcome is `locked` and nothing else happens.
- While the engine runs, a LockKeeper thread (scan/keeper.py) renews the lock and
  appends each finished ticker to the progress (a header plus one row per ticker,
  never the whole record rewritten). If it finds the lock gone or taken, it stops
  the engine and the scan FAILS, publishing nothing.
- Options answers come from the store's answer cache when it keeps young ones
  (SPEC 1.4, `chain_cache_minutes`; `fresh` skips it); the fresh ones are kept.
- A watchlist scan publishes only when it SUCCEEDED, in the same transaction
  that checks it still owns the lock. Ad-hoc scans are never published.
- Every scan that ran (or was skipped) is appended to the history; the lock is
  released in `finally`, by its owner only.

Everything here is blocking; call it from a thread to keep a UI responsive.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from wheelscan.core.models import ScanEvent, ScanKind, ScanState
from wheelscan.core.scan_record import history_entry, new_scan_id, scan_document, scan_object
from wheelscan.market import Clock, MarketState, gate_message, market_state
from wheelscan.scan.outcome import ScanOutcome
from wheelscan.scan.stop import StopEvent
from wheelscan.store import LockInfo, Store, StoreError, lock_ttl_from_env, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from wheelscan.config import Settings
    from wheelscan.core.positions import Positions
    from wheelscan.yahoo.source import YahooSource

__all__ = ["ScanOutcome", "lock_timing", "run_scan", "wait_for_running_scan"]

log = logging.getLogger("wheelscan.scan")

WAIT_POLL_S = 0.5


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
    value_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    on_event: Callable[[ScanEvent], None] | None = None,
    stop: StopEvent | None = None,
    store: Store | None = None,
    source: YahooSource | None = None,
    clock: Clock | None = None,
    gate: bool = False,
    fresh: bool = False,
    positions: Positions | None = None,
) -> ScanOutcome:
    """Run one scan of `symbols` through the whole lifecycle; blocking.

    A WATCHLIST scan publishes on success, an ADHOC one never does.
    `intrinsic_values` and `value_overrides` (DCF, per symbol) come from the
    watchlist. `on_event` receives the
    engine's events on the engine's loop (keep it short). Setting `stop`
    cancels: CANCELLED, lock released, nothing published. `store` defaults to
    the namespace of `settings.source`; `source` replaces the source it names,
    `clock` the wall clock of the market. `gate` (refresh) skips a live scan
    while NYSE is closed; `fresh` asks Yahoo for every answer. `positions`, the
    ledger's state, adds what SPEC 1.3 asks for held symbols (a WATCHLIST scan also
    scans the held symbols `symbols` lacks) and decides whether each put fits free cash
    (`fits` is null without it).
    Raises InputError for an unknown source; every other failure is FAILED.
    """
    store = store or Store.for_source(settings.source)
    scan_id = new_scan_id()
    market = _market(clock)
    closed = gate_message(settings.source, settings.allow_closed, market) if gate else None
    if closed is not None:
        return _skip(store, scan_id, kind, settings, closed)
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
        # Imported once the lock is ours: a scan another process's lock refuses (cron's
        # refresh beside a running one) ends without loading yfinance, pandas and numpy.
        from wheelscan.scan.locked import LockedScan
        from wheelscan.yahoo.source import make_source

        source = source or make_source(settings.source)
        scan = LockedScan(
            store,
            handle,
            kind,
            settings,
            stop or StopEvent(),
            heartbeat_s,
            market=market,
            fresh=fresh,
            value_overrides=value_overrides,
            positions=positions,
        )
        return scan.run(list(symbols), source, intrinsic_values or {}, on_event)
    finally:
        try:
            store.release_lock(handle)
        except StoreError as error:
            log.warning("could not release the scan lock: %s", error)


def wait_for_running_scan(
    store: Store | None = None,
    *,
    source: str | None = None,
    holder: LockInfo | None = None,
    stop: StopEvent | None = None,
    poll_s: float = WAIT_POLL_S,
    timeout_s: float | None = None,
) -> ScanOutcome | None:
    """Block until the scan holding the lock (or `holder`'s scan) ends; return its outcome.

    None when no scan holds the lock and no `holder` is given. Pass the holder
    that refused a scan (`ScanOutcome.holder`), so a scan that ends before the
    first look still gives its outcome. `store` defaults to the namespace of
    `source`, else of the holder's source. The lock is read every `poll_s` (the
    store has no change notification); the wait also ends when `stop` is set
    (CANCELLED) or after `timeout_s` (FAILED). The outcome comes from the
    finished scan's progress record, document included; a holder that died
    without recording one gives FAILED.
    """
    store = store or _store_of(source or (holder.source if holder is not None else None))
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


def _market(clock: Clock | None) -> MarketState | None:
    """NYSE's state now; None when the calendar cannot say (the scan runs anyway)."""
    try:
        return market_state(clock() if clock else None)
    except Exception as error:  # a calendar without this date, a broken install
        log.warning("cannot tell whether NYSE is open: %s", error)
        return None


def _store_of(source: str | None) -> Store:
    try:
        return Store.for_source(source) if source else Store()
    except ValueError:  # a holder's record naming no source
        return Store()


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
        source_namespace=store.namespace,
        market_open=False,
    )
    try:
        if kind is ScanKind.WATCHLIST:
            store.set_last_run(message)
        store.append_history(history_entry(scan, 0, message))
    except StoreError as error:
        log.warning("could not record the skipped scan: %s", error)
    log.info("scan %s skipped: %s", scan_id, message)
    return ScanOutcome(kind, ScanState.SKIPPED, message, scan_id, scan_document(scan, {}))
