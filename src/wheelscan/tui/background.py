"""The app's blocking work, as plain functions that return the message to post.

Each runs in one of the app's thread workers: it reads the store, asks the
exchange calendar, starts or polls the scan process, writes a file, and hands
back what happened as a message; only the app's handlers touch state and
widgets. The store, the calendar and the holdings stack are imported here on
first use, off the event loop, so the app's start-up loads none of them (nor
yfinance) before its first frame.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wheelscan.tui.child import ScanChild
from wheelscan.tui.export import ExportFormat, write_export
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
from wheelscan.tui.model import TickerRow
from wheelscan.tui.scan_state import ScanRun, StorePoll

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.market import Clock
    from wheelscan.store import Store
    from wheelscan.tui.filtering import ResultsFilter


def _store(source: str, clock: Clock) -> Store:
    """The store of `source`'s namespace, telling time by the app's clock."""
    from wheelscan.store import Store

    return Store.for_source(source, clock=lambda: clock().timestamp())


def read_results(source: str, ttl_minutes: float, clock: Clock) -> ResultsLoaded:
    """The published results and the lock's holder, from one store opening."""
    from wheelscan.store import StoreError

    store = _store(source, clock)
    try:
        published = store.read_results(ttl_minutes)
        try:
            holder = store.lock_holder()
        except StoreError:
            holder = None  # read_results has said what is wrong with the store
    finally:
        store.close()
    return ResultsLoaded(published, holder)


def look_at_store(source: str, clock: Clock, known_scan: str | None) -> StoreLooked:
    """The lock and the latest progress header, O(1) while the latest scan is `known_scan`
    (its rows are not read); a newer scan's header says one ran since."""
    from wheelscan.store import StoreError

    store = _store(source, clock)
    try:
        try:
            lock = store.lock_holder()
        except StoreError:
            return StoreLooked(None, None)
        header = store.read_progress_since(known_scan, 1 << 62).header
    finally:
        store.close()
    return StoreLooked(lock, header)


def read_market() -> MarketChecked:
    from wheelscan.market import market_state

    try:
        return MarketChecked(market_state())
    except Exception as error:
        return MarketChecked(None, f"{type(error).__name__}: {error}")


def launch_scan(source: str) -> ScanLaunched:
    """Start the scan process (tui.child); its wall-clock start time comes with it."""
    at = datetime.now(UTC)
    try:
        return ScanLaunched(ScanChild.start(source), at)
    except OSError as error:
        return ScanLaunched(None, at, f"cannot start the scan: {error}")


def poll_scan(source: str, clock: Clock, run: ScanRun, child: ScanChild | None) -> ScanPolled:
    """The lock and the progress rows not seen yet of the scan `run` follows (O(1) per
    new ticker), and for an own scan whether its process has exited (asked first)."""
    from wheelscan.store import ProgressSince, StoreError

    exit_code = child.exit_code() if child is not None else None
    error_line = child.error_line() if child is not None and exit_code else ""
    store = _store(source, clock)
    try:
        try:
            lock = store.lock_holder()
        except StoreError as error:
            return ScanPolled(StorePoll(None, None, [], exit_code, error_line, str(error)))
        scan_id = run.scan_of(lock)
        if scan_id is not None:
            since = store.read_progress_since(scan_id, run.rows_seen(scan_id))
        elif exit_code is not None:  # it ended before its lock was seen: its whole record
            since = store.read_progress_since(None, 0)
        else:
            since = ProgressSince(None, [])
    finally:
        store.close()
    return ScanPolled(
        StorePoll(lock, since.header, since.rows, exit_code, error_line, since.warning)
    )


def read_calls(settings: Settings) -> CallsLoaded:
    """Covered calls for the ledger's uncovered shares, from the answers the store keeps
    (no request: what is not kept is named in `errors`)."""
    try:
        from wheelscan.holdings import calls_document, find_covered_calls
        from wheelscan.positions import load_ledger
        from wheelscan.store import Store

        positions = load_ledger().state
        store = Store.for_source(settings.source)
        try:
            report = find_covered_calls(positions, settings, settings.calls, store, None)
        finally:
            store.close()
        document = calls_document(report, positions, settings, settings.calls, store.namespace)
    except Exception as error:
        return CallsLoaded(None, f"{type(error).__name__}: {error}")
    return CallsLoaded(document)


def read_plan(settings: Settings, clock: Clock) -> PlanLoaded:
    """Today's plan (SPEC 10) from the published results, the kept answers, the ledger
    and the settings, as `wheelscan plan --json` has it (no request)."""
    try:
        from wheelscan.daily_plan import plan_document, plan_from
        from wheelscan.positions import load_ledger

        positions = load_ledger().state
        store = _store(settings.source, clock)
        try:
            published = store.read_results(settings.results_ttl_minutes)
            plan, inputs = plan_from(published, positions, settings, clock(), store)
        finally:
            store.close()
        document = plan_document(plan, inputs, published, settings)
    except Exception as error:
        return PlanLoaded(None, f"{type(error).__name__}: {error}")
    return PlanLoaded(document)


def export_rows(
    rows: list[TickerRow],
    rules: ResultsFilter,
    kind: ExportFormat,
    directory: Path,
    now: datetime,
) -> ExportWritten:
    try:
        return ExportWritten(write_export(rows, rules, kind, directory, now))
    except OSError as error:
        return ExportWritten(None, f"{type(error).__name__}: {error}")
