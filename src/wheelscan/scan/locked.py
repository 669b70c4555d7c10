"""The part of a scan that holds the lock: keeper, engine, verdict, publish, history.

`run_scan` (job.py) takes the lock and hands it to a `LockedScan`, which runs
the engine with a LockKeeper thread beside it, decides the verdict, publishes a
watchlist scan that SUCCEEDED, and records the end in progress and history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wheelscan.core.models import ScanEvent, ScanKind, ScanReport, ScanState
from wheelscan.core.scan_needs import ScanNeeds
from wheelscan.core.scan_record import (
    candidate_count,
    history_entry,
    report_results,
    report_scan_object,
    scan_document,
    scan_object,
)
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.market import MarketState, format_time
from wheelscan.scan.answers import StoredAnswers
from wheelscan.scan.cash_flows import StoredCashFlows
from wheelscan.scan.dividends import StoredDividends
from wheelscan.scan.engine import ScanEngine
from wheelscan.scan.keeper import LockKeeper
from wheelscan.scan.notes import ADHOC_NOTE, scan_notes
from wheelscan.scan.outcome import ScanOutcome
from wheelscan.scan.stop import StopEvent
from wheelscan.store import LockHandle, Progress, Store, StoreError, utc_now
from wheelscan.yahoo.source import YahooSource

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.core.positions import Positions

log = logging.getLogger("wheelscan.scan")


class LockedScan:
    """The part of a scan that holds the lock: keeper, engine, verdict, publish, history."""

    def __init__(
        self,
        store: Store,
        handle: LockHandle,
        kind: ScanKind,
        settings: Settings,
        stop: StopEvent,
        heartbeat_s: float,
        *,
        market: MarketState | None = None,
        fresh: bool = False,
        value_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        positions: Positions | None = None,
    ) -> None:
        self.store = store
        self.handle = handle
        self.kind = kind
        self.settings = settings
        self.stop = stop
        self.heartbeat_s = heartbeat_s
        self.started = utc_now()
        self.market = market
        self.fresh = fresh
        self.value_overrides = value_overrides
        self.positions = positions

    def run(
        self,
        symbols: list[str],
        source: YahooSource,
        intrinsic_values: Mapping[str, float],
        on_event: Callable[[ScanEvent], None] | None,
    ) -> ScanOutcome:
        scan_id, settings = self.handle.scan_id, self.settings
        needs = self._needs(symbols)
        symbols = needs.symbols
        log.info("scan %s (%s, %s): %d tickers", scan_id, self.kind, settings.source, len(symbols))
        keep_s = settings.chain_cache_minutes * 60
        keeper = LockKeeper(
            self.store,
            self.handle,
            self._first_progress(len(symbols)),
            heartbeat_s=self.heartbeat_s,
            stop=self.stop,
            answers_keep_s=keep_s,
        )
        answers, cash_flows, dividends = None, None, None
        if parse_source(settings.source).kind is not SourceKind.SNAPSHOT:
            # A snapshot is read from local files, which a new recording may replace.
            answers = StoredAnswers(self.store, keep_s, fresh=self.fresh, keep=keeper.keep_answer)
            cash_flows = StoredCashFlows(self.store, fresh=self.fresh)
            dividends = StoredDividends(self.store, fresh=self.fresh)

        def relay(event: ScanEvent) -> None:
            keeper.post(event)
            if on_event is not None:
                on_event(event)

        engine = ScanEngine(
            source,
            settings,
            symbols,
            intrinsic_values=intrinsic_values,
            value_overrides=self.value_overrides,
            cash_flows=cash_flows,
            on_event=relay,
            stop=self.stop,
            answers=answers,
            needs=needs,
            dividends=dividends,
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
            if cash_flows is not None:
                cash_flows.save()  # after the keeper: one writer at a time
            if dividends is not None:
                dividends.save()
        state, message = _verdict(report, broke, keeper.lost_lock, interrupted is not None)
        results = report_results(report) if report else dict(progress.results)
        notes = scan_notes(self.kind, self.market, report.results if report else {})
        published = False
        if report and state is ScanState.SUCCEEDED and self.kind is ScanKind.WATCHLIST:
            state, message, published = self._publish(report, results, message, notes)
        scan = self._scan_object(report, state, len(symbols), progress, notes)
        self._finish(keeper, scan, results, state, message)
        log.info("scan %s %s: %s", scan_id, state, message)
        if interrupted is not None:
            raise interrupted
        document = scan_document(scan, results)
        return ScanOutcome(
            self.kind, state, message, scan_id, document, published, notes=tuple(notes)
        )

    def _needs(self, symbols: list[str]) -> ScanNeeds:
        """What to ask for (SPEC 1.3, ScanNeeds.for_scan): a watchlist scan publishes."""
        settings = self.settings
        return ScanNeeds.for_scan(
            symbols,
            settings.criteria,
            settings.calls,
            settings.plan,
            self.positions,
            watchlist_scan=self.kind is ScanKind.WATCHLIST,
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
        self,
        report: ScanReport | None,
        state: ScanState,
        tickers: int,
        progress: Progress | None,
        notes: list[str],
    ) -> dict[str, Any]:
        """The scan object; its `message` carries the market's notes (not the ad-hoc one,
        which `kind` already says)."""
        where = {
            "source_namespace": self.store.namespace,
            "market_open": None if self.market is None else self.market.is_open,
        }
        if report is not None:
            scan = report_scan_object(report, self.handle.scan_id, self.kind, state, **where)
        else:
            scan = scan_object(
                scan_id=self.handle.scan_id,
                kind=self.kind,
                state=state,
                started_at=self.started,
                finished_at=utc_now(),
                source=self.settings.source,
                criteria=self.settings.criteria,
                tickers_scanned=tickers,
                errors=progress.errors if progress else {},
                **where,
            )
        market_notes = [note for note in notes if note != ADHOC_NOTE]
        if market_notes:
            scan["message"] = "; ".join(market_notes)
        return scan

    def _publish(
        self, report: ScanReport, results: dict[str, Any], message: str, notes: list[str]
    ) -> tuple[ScanState, str, bool]:
        scan = self._scan_object(report, ScanState.SUCCEEDED, len(report.symbols), None, notes)
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
