"""The commands that scan: `scan`, `refresh` (cron) and `snapshot record`.

`scan` and `refresh` run the scan job (scan.job) or wait for the running one;
`exit_code` is the one place a scan's outcome becomes SPEC 7's exit code.
`snapshot record` is a capture, not a published scan: it does not take the scan
lock, write the store, or wait for the market to open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import ExitCode, fail, message_line, plural, warn
from wheelscan.cli.options import (
    CRITERIA_DEFAULTS_NOTE,
    CriteriaOptions,
    ForceOption,
    FreshOption,
    IgnoredForceOption,
    JsonOption,
    SortOption,
    SourceOption,
    TopOption,
    WaitOption,
    with_criteria_options,
)
from wheelscan.core.errors import InputError
from wheelscan.core.models import ScanState

if TYPE_CHECKING:
    from rich.console import Console

    from wheelscan.config import Settings
    from wheelscan.core.models import ScanEvent, ScanKind
    from wheelscan.core.positions import Positions
    from wheelscan.scan.job import ScanOutcome

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


def run_or_wait(
    symbols: Sequence[str],
    settings: Settings,
    *,
    kind: ScanKind,
    intrinsic_values: Mapping[str, float],
    value_overrides: Mapping[str, Mapping[str, Any]],
    wait: bool,
    on_event: Callable[[ScanEvent], None] | None = None,
    announce_wait: bool = False,
    gate: bool = False,
    fresh: bool = False,
    positions: Positions | None = None,
) -> ScanOutcome:
    """Run the scan; if another holds the lock and `wait`, wait and return that scan's outcome.

    `announce_wait` says on stderr which scan is waited for (`scan`; `refresh`
    stays silent for cron). `gate` (refresh) skips a live scan while NYSE is
    closed; `fresh` (--fresh) asks Yahoo for every answer; `positions` (the ledger's
    state) adds the held symbols' needs and `fits` (scan.job.run_scan). Ctrl-C cancels the scan
    (lock released, results kept), then raises KeyboardInterrupt (`run`: one line,
    exit 130).
    """
    from wheelscan.scan.job import run_scan, wait_for_running_scan
    from wheelscan.scan.stop import stop_on_signals

    with stop_on_signals() as stop:
        while True:
            outcome = run_scan(
                symbols,
                settings,
                kind=kind,
                intrinsic_values=intrinsic_values,
                value_overrides=value_overrides,
                on_event=on_event,
                stop=stop,
                gate=gate,
                fresh=fresh,
                positions=positions,
            )
            if not (outcome.locked and wait) or stop.is_set():
                break
            if announce_wait:
                message_line(f"{outcome.message}; waiting for it to finish", label=None)
            waited = wait_for_running_scan(holder=outcome.holder, stop=stop)
            if waited is not None:
                outcome = waited
                break
    if stop.interrupted:
        raise KeyboardInterrupt
    return outcome


class ScanProgress:
    """A rich progress bar on stderr, shown only when stderr is a terminal; the
    remaining-time column only when there is room for it."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self.candidates = 0
        self.errors = 0
        columns: list[ProgressColumn] = [
            TextColumn("[bold]scanning"),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
        ]
        if self.console.width >= 100:
            columns.append(TimeRemainingColumn())
        self.progress = Progress(
            *columns, console=self.console, transient=True, disable=not self.enabled
        )
        self.task = self.progress.add_task("scan", total=total, status="")

    def __enter__(self) -> ScanProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def on_event(self, event: ScanEvent) -> None:
        from wheelscan.core.models import ScanStarted, TickerFailed, TickerFinished

        if isinstance(event, ScanStarted):  # a watchlist scan adds the held symbols
            self.progress.update(self.task, total=event.total)
            return
        if isinstance(event, TickerFinished):
            self.candidates += len(event.result.candidates)
        elif isinstance(event, TickerFailed):
            self.errors += 1
        else:
            return
        status = f"{plural(self.candidates, 'candidate')}, {plural(self.errors, 'error')}"
        self.progress.update(self.task, completed=event.done, status=f"{status}, {event.symbol}")


def ledger_positions() -> Positions | None:
    """The ledger's state for a scan (SPEC 1.3, 9); a positions.toml that does not read is
    one warning line (and a log line), and the scan looks at the watchlist alone."""
    from wheelscan.positions import load_ledger

    try:
        return load_ledger().state
    except InputError as error:
        line = f"{error}; scanning without the positions (no held symbols, no fits)"
        logging.getLogger("wheelscan.scan").warning("%s", line)
        warn(line)
        return None


def _symbols(tickers: list[str] | None, active: list[str], hint: str) -> list[str]:
    from wheelscan.core.symbols import normalize_symbols

    symbols = normalize_symbols(tickers) if tickers else active
    if not symbols:
        raise InputError(f"no active symbols on the watchlist: {hint}")
    return symbols


@with_criteria_options
def scan(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Symbols to scan; default: the active watchlist.")
    ] = None,
    *,
    criteria: CriteriaOptions,
    source: SourceOption = None,
    sort: SortOption = None,
    top: TopOption = None,
    as_json: JsonOption = False,
    force: IgnoredForceOption = False,
    wait: WaitOption = False,
    fresh: FreshOption = False,
) -> None:
    """Scan put chains now and show the contracts that meet the criteria.

    It runs whenever asked: while the market is closed, on Yahoo's last quotes
    (and says so). Only a watchlist scan (no TICKERS) publishes its results.
    """
    from wheelscan.cli.tables import print_document, table_order
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.watchlist import load_watchlist

    order, rows = table_order(sort, top, as_json)
    settings = effective_settings(criteria, source=source)
    watchlist = load_watchlist()
    symbols = _symbols(tickers, watchlist.active_symbols(), "`wheelscan watchlist enable SYM`")
    positions = ledger_positions()
    with ScanProgress(total=len(symbols)) as progress:
        outcome = run_or_wait(
            symbols,
            settings,
            kind=ScanKind.ADHOC if tickers else ScanKind.WATCHLIST,
            intrinsic_values=watchlist.intrinsic_values(),
            value_overrides=watchlist.value_overrides(),
            wait=wait,
            on_event=progress.on_event,
            announce_wait=True,
            fresh=fresh,
            positions=positions,
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
        for note in outcome.notes:
            typer.echo(note)
    if code:
        fail(outcome.message, code)


def refresh(
    source: SourceOption = None,
    force: ForceOption = False,
    wait: WaitOption = False,
    fresh: FreshOption = False,
) -> None:
    """Scan the watchlist and publish the results (for cron): silent unless it fails.

    A live refresh runs only while NYSE is open (else SKIPPED, exit 0; --force or
    `allow_closed` overrides).

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
    positions = ledger_positions()
    try:
        outcome = run_or_wait(
            symbols,
            settings,
            kind=ScanKind.WATCHLIST,
            intrinsic_values=watchlist.intrinsic_values(),
            value_overrides=watchlist.value_overrides(),
            wait=wait,
            gate=True,
            fresh=fresh,
            positions=positions,
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
@with_criteria_options
def record(
    directory: Annotated[Path, typer.Argument(help="Where to write the responses.")],
    tickers: TickersArgument = None,
    *,
    criteria: CriteriaOptions,
    source: SourceOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scan's JSON document.")
    ] = False,
) -> None:
    """Scan (live by default) and save every raw options response in DIR.

    Files: DIR/<TICKER>.json (the first answer), DIR/<TICKER>_<EPOCH>.json (dated ones),
    DIR/<TICKER>.summary.json (a held symbol's ex-dividend date) and
    DIR/<TICKER>.fundamentals.json (an FCF valuation's cash flow). It asks for what a
    scan with the same ledger (positions.toml) asks for: a watchlist recording adds the
    held symbols, each held symbol's call window and its open shorts' expirations.
    `--source snapshot:DIR` replays them offline. The DTE windows decide which
    expirations are fetched, so replay with the same or narrower windows.
    """
    from wheelscan.cli.tables import print_document, table_order
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.core.scan_needs import ScanNeeds
    from wheelscan.core.scan_record import new_scan_id, report_document
    from wheelscan.scan.engine import ScanEngine
    from wheelscan.watchlist import load_watchlist
    from wheelscan.yahoo.recording import recording_source

    order, rows = table_order(None, None, as_json)
    settings = effective_settings(criteria, source=source)
    watchlist = load_watchlist()
    symbols = _symbols(tickers, watchlist.active_symbols(), "name the tickers to record")
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} exists and is not a directory")
    kind = ScanKind.ADHOC if tickers else ScanKind.WATCHLIST
    needs = ScanNeeds.for_scan(
        symbols,
        settings.criteria,
        settings.calls,
        settings.plan,
        ledger_positions(),
        watchlist_scan=kind is ScanKind.WATCHLIST,
    )
    yahoo, writer = recording_source(settings.source, directory)
    with ScanProgress(total=len(needs.symbols)) as progress:
        report = ScanEngine(
            yahoo,
            settings,
            needs.symbols,
            intrinsic_values=watchlist.intrinsic_values(),
            value_overrides=watchlist.value_overrides(),
            on_event=progress.on_event,
            needs=needs,
        ).run_blocking()
    document = report_document(report, new_scan_id(), ScanKind.ADHOC)  # it publishes nothing
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
