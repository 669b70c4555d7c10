"""The commands that scan: `scan`, `refresh` (cron) and `snapshot record`.

`scan` and `refresh` run the scan job (scan.job) or wait for the running one;
`exit_code` is the one place a scan's outcome becomes SPEC 7's exit code.
`snapshot record` is a capture, not a published scan: it does not take the scan
lock, write the store, or wait for the market to open.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import ExitCode, fail, message_line
from wheelscan.cli.options import (
    CRITERIA_DEFAULTS_NOTE,
    CriteriaOptions,
    EarningsOption,
    ForceOption,
    JsonOption,
    MaxDeltaOption,
    MaxDteOption,
    MaxSpreadOption,
    MinBidOption,
    MinDteOption,
    MinOiOption,
    MinReturnOption,
    RateOption,
    SortOption,
    SourceOption,
    TopOption,
    WaitOption,
    WeeksOption,
)
from wheelscan.core.errors import InputError
from wheelscan.core.models import ScanState

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.core.models import ScanEvent, ScanKind
    from wheelscan.scan.job import ScanOutcome
    from wheelscan.scan.stop import StopEvent

TickersArgument = Annotated[
    list[str] | None, typer.Argument(help="Symbols; default: the active watchlist.")
]


def exit_code(outcome: ScanOutcome) -> ExitCode:
    """0 SUCCEEDED or SKIPPED, 1 FAILED or CANCELLED, 75 when another scan held the lock."""
    if outcome.locked:
        return ExitCode.LOCKED
    if outcome.state in (ScanState.SUCCEEDED, ScanState.SKIPPED):
        return ExitCode.OK
    return ExitCode.SCAN_FAILED


@contextmanager
def stop_on_sigterm() -> Iterator[StopEvent]:
    """A StopEvent set by SIGTERM (cron's or systemd's timeout), so the scan cancels cleanly.

    The handler hands the `set` to a thread: the signal interrupts the main thread
    anywhere, possibly inside a lock that `set` would take.
    """
    from wheelscan.scan.stop import StopEvent

    stop = StopEvent()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(
        signal.SIGTERM, lambda *_: threading.Thread(target=stop.set, daemon=True).start()
    )
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_or_wait(
    symbols: Sequence[str],
    settings: Settings,
    *,
    kind: ScanKind,
    intrinsic_values: Mapping[str, float],
    wait: bool,
    on_event: Callable[[ScanEvent], None] | None = None,
    announce_wait: bool = False,
) -> ScanOutcome:
    """Run the scan; if another holds the lock and `wait`, wait and return that scan's outcome.

    `announce_wait` says on stderr which scan is waited for (`scan`; `refresh`
    stays silent for cron).
    """
    from wheelscan.scan.job import run_scan, wait_for_running_scan

    with stop_on_sigterm() as stop:
        while True:
            outcome = run_scan(
                symbols,
                settings,
                kind=kind,
                intrinsic_values=intrinsic_values,
                on_event=on_event,
                stop=stop,
            )
            if not (outcome.locked and wait):
                return outcome
            if announce_wait:
                message_line(f"{outcome.message}; waiting for it to finish", label=None)
            waited = wait_for_running_scan(stop=stop)
            if waited is not None:
                return waited


def _symbols(tickers: list[str] | None, active: list[str], hint: str) -> list[str]:
    from wheelscan.core.symbols import normalize_symbols

    symbols = normalize_symbols(tickers) if tickers else active
    if not symbols:
        raise InputError(f"no active symbols on the watchlist: {hint}")
    return symbols


def scan(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Symbols to scan; default: the active watchlist.")
    ] = None,
    weeks: WeeksOption = None,
    min_dte: MinDteOption = None,
    max_dte: MaxDteOption = None,
    min_bid: MinBidOption = None,
    min_return: MinReturnOption = None,
    max_delta: MaxDeltaOption = None,
    min_oi: MinOiOption = None,
    max_spread: MaxSpreadOption = None,
    rate: RateOption = None,
    earnings: EarningsOption = None,
    source: SourceOption = None,
    sort: SortOption = None,
    top: TopOption = None,
    as_json: JsonOption = False,
    force: ForceOption = False,
    wait: WaitOption = False,
) -> None:
    """Scan put chains now and show the contracts that meet the criteria."""
    from wheelscan.cli.tables import ScanProgress, print_document, table_order
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.watchlist import load_watchlist

    order, rows = table_order(sort, top, as_json)
    settings = effective_settings(CriteriaOptions.of(locals()), source=source, allow_closed=force)
    watchlist = load_watchlist()
    symbols = _symbols(tickers, watchlist.active_symbols(), "`wheelscan watchlist enable SYM`")
    with ScanProgress(total=len(symbols)) as progress:
        outcome = run_or_wait(
            symbols,
            settings,
            kind=ScanKind.ADHOC if tickers else ScanKind.WATCHLIST,
            intrinsic_values=watchlist.intrinsic_values(),
            wait=wait,
            on_event=progress.on_event,
            announce_wait=True,
        )
    code = exit_code(outcome)
    if outcome.locked:
        fail(f"{outcome.message}; use --wait to wait for it", code)
    document = outcome.document
    if document is not None and as_json:
        echo_json(document)
    elif outcome.state is ScanState.SKIPPED:
        typer.echo(outcome.message)
    elif document is not None:
        print_document(document, order, rows)
    if code:
        fail(outcome.message, code)


def refresh(
    source: SourceOption = None,
    force: ForceOption = False,
    wait: WaitOption = False,
) -> None:
    """Scan the watchlist and publish the results (for cron): silent unless it fails.

    It logs to wheelscan.log in the log dir ($WHEELSCAN_HOME/logs, else the
    platform's); only wheelscan's own loggers write there, secrets masked.
    """
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.logfile import log_to_file
    from wheelscan.watchlist import load_watchlist

    log_to_file()
    log = logging.getLogger("wheelscan.refresh")
    watchlist = load_watchlist()
    symbols = _symbols(None, watchlist.active_symbols(), "`wheelscan watchlist enable SYM`")
    settings = effective_settings(source=source, allow_closed=force)
    try:
        outcome = run_or_wait(
            symbols,
            settings,
            kind=ScanKind.WATCHLIST,
            intrinsic_values=watchlist.intrinsic_values(),
            wait=wait,
        )
    except Exception:
        log.exception("refresh broke")
        raise
    for symbol, reason in ((outcome.document or {}).get("scan") or {}).get("errors", {}).items():
        log.warning("%s: %s", symbol, reason)
    code = exit_code(outcome)
    log.info("refresh: %s (exit %d)", outcome.message, code)
    if code:
        fail(outcome.message + ("; use --wait to wait for it" if outcome.locked else ""), code)


snapshot_app = typer.Typer(
    name="snapshot",
    help="Record raw Yahoo responses for offline replay (--source snapshot:DIR).",
    no_args_is_help=True,
)


@snapshot_app.command("record", epilog=CRITERIA_DEFAULTS_NOTE)
def record(
    directory: Annotated[Path, typer.Argument(help="Where to write the responses.")],
    tickers: TickersArgument = None,
    weeks: WeeksOption = None,
    min_dte: MinDteOption = None,
    max_dte: MaxDteOption = None,
    min_bid: MinBidOption = None,
    min_return: MinReturnOption = None,
    max_delta: MaxDeltaOption = None,
    min_oi: MinOiOption = None,
    max_spread: MaxSpreadOption = None,
    rate: RateOption = None,
    earnings: EarningsOption = None,
    source: SourceOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scan's JSON document.")
    ] = False,
) -> None:
    """Scan (live by default) and save every raw options response in DIR.

    Files: DIR/<TICKER>.json (the first answer), DIR/<TICKER>_<EPOCH>.json (dated ones).
    `--source snapshot:DIR` replays them offline. The DTE window decides which
    expirations are fetched, so replay with the same or a narrower window.
    """
    from wheelscan.cli.tables import ScanProgress, print_document, table_order
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.core.scan_record import new_scan_id, report_document
    from wheelscan.scan.engine import ScanEngine
    from wheelscan.watchlist import load_watchlist
    from wheelscan.yahoo.recording import recording_source

    order, rows = table_order(None, None, as_json)
    settings = effective_settings(CriteriaOptions.of(locals()), source=source)
    watchlist = load_watchlist()
    symbols = _symbols(tickers, watchlist.active_symbols(), "name the tickers to record")
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} exists and is not a directory")
    yahoo, writer = recording_source(settings.source, directory)
    with ScanProgress(total=len(symbols)) as progress:
        report = ScanEngine(
            yahoo,
            settings,
            symbols,
            intrinsic_values=watchlist.intrinsic_values(),
            on_event=progress.on_event,
        ).run_blocking()
    document = report_document(report, new_scan_id(), ScanKind.ADHOC)
    if as_json:
        echo_json(document)
    else:
        print_document(document, order, rows)
        typer.echo(
            f"recorded {len(writer.written)} responses in {writer.directory}: "
            f"replay with --source snapshot:{writer.directory}"
        )
    if report.state is ScanState.FAILED:
        raise typer.Exit(ExitCode.SCAN_FAILED)
