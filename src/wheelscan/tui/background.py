"""The app's blocking work, as plain functions that return the message to post.

Each runs in one of the app's thread workers: it reads the store, asks the
exchange calendar, runs a scan or writes a file, and hands back what happened
as a message; only the app's handlers touch state and widgets. The store, the
calendar and the scan stack are imported here on first use, off the event loop,
so the app's start-up loads none of them (nor yfinance) before its first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wheelscan.tui.export import ExportFormat, write_export
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
from wheelscan.tui.model import ResultsFilter, TickerRow

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.market import Clock
    from wheelscan.scan.stop import StopEvent
    from wheelscan.store import Store


def _store(source: str, directory: Path | None, clock: Clock) -> Store:
    """The store of `source`'s namespace at `directory` (None: the user's), telling time
    by the app's clock."""
    from wheelscan.store import Store

    return Store.for_source(source, directory, clock=lambda: clock().timestamp())


def read_results(
    source: str, directory: Path | None, ttl_minutes: float, clock: Clock
) -> ResultsLoaded:
    """The published results and the status (lock, progress), from one store opening."""
    store = _store(source, directory, clock)
    try:
        published = store.read_results(ttl_minutes)
        status = store.read_status()
    finally:
        store.close()
    return ResultsLoaded(published, status)


def read_status(source: str, directory: Path | None, clock: Clock) -> WatchPolled:
    store = _store(source, directory, clock)
    try:
        return WatchPolled(store.read_status())
    finally:
        store.close()


def read_market() -> MarketChecked:
    from wheelscan.market import market_state

    try:
        return MarketChecked(market_state())
    except Exception as error:
        return MarketChecked(None, f"{type(error).__name__}: {error}")


def scan_watchlist(
    symbols: list[str] | None,
    settings: Settings,
    directory: Path | None,
    clock: Clock,
    post: Callable[[ScanEventPosted], object],
    stop: StopEvent,
) -> ScanEnded | ScanRefused | ScanCrashed:
    """The app's own watchlist scan through the lifecycle (lock, progress, publishing).

    `symbols` None scans the active watchlist, read now so edits made meanwhile
    count. Every engine event is posted as it comes; the outcome is returned.
    """
    from wheelscan.core.models import ScanKind
    from wheelscan.scan.job import run_scan
    from wheelscan.watchlist import load_watchlist

    try:
        intrinsic_values: dict[str, float] = {}
        if symbols is None:
            watchlist = load_watchlist()
            symbols = watchlist.active_symbols()
            intrinsic_values = watchlist.intrinsic_values()
        outcome = run_scan(
            symbols,
            settings,
            kind=ScanKind.WATCHLIST,
            intrinsic_values=intrinsic_values,
            on_event=lambda event: post(ScanEventPosted(event)),
            stop=stop,
            store=_store(settings.source, directory, clock),
        )
    except Exception as error:
        return ScanCrashed(f"{type(error).__name__}: {error}")
    if outcome.locked:
        return ScanRefused(outcome.holder)
    return ScanEnded(outcome.state, outcome.message)


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
