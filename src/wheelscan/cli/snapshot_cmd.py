"""`wheelscan snapshot record DIR [TICKERS…]`: a scan that saves every raw Yahoo response.

The directory replays with `--source snapshot:DIR` to the same results. A
recording is a capture, not a published scan: it does not take the scan lock,
write the store, or wait for the market to open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.params import (
    MaxDeltaOption,
    MaxDteOption,
    MaxSpreadOption,
    MinDteOption,
    MinOiOption,
    MinReturnOption,
    RateOption,
    WeeksOption,
)
from wheelscan.core.symbols import normalize_symbols

snapshot_app = typer.Typer(
    name="snapshot",
    help="Record raw Yahoo responses for offline replay (--source snapshot:DIR).",
    no_args_is_help=True,
)


@snapshot_app.command("record")
def record(
    directory: Annotated[Path, typer.Argument(help="Where to write the responses.")],
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Symbols; default: the active watchlist.")
    ] = None,
    weeks: WeeksOption = None,
    min_dte: MinDteOption = None,
    max_dte: MaxDteOption = None,
    min_return: MinReturnOption = None,
    max_delta: MaxDeltaOption = None,
    min_oi: MinOiOption = None,
    max_spread: MaxSpreadOption = None,
    rate: RateOption = None,
    source: Annotated[
        str | None, typer.Option(help="What to record: yahoo (default), demo or snapshot:DIR.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scan's JSON document.")
    ] = False,
) -> None:
    """Scan (live by default) and write each options response to DIR as SPEC 1.2 lays out.

    The DTE window decides which expirations are fetched, so replay with the same
    or a narrower window.
    """
    from wheelscan.cli.exit_codes import ExitCode
    from wheelscan.cli.options import CriteriaOptions
    from wheelscan.cli.render import ScanProgress, print_document
    from wheelscan.config import effective_settings
    from wheelscan.core.errors import InputError
    from wheelscan.core.models import ScanKind, ScanState
    from wheelscan.core.scan_record import new_scan_id, report_document
    from wheelscan.scan.engine import ScanEngine
    from wheelscan.watchlist import WatchlistError, load_watchlist
    from wheelscan.yahoo.recording import recording_source

    options = CriteriaOptions(
        weeks=weeks,
        min_dte=min_dte,
        max_dte=max_dte,
        min_return=min_return,
        max_delta=max_delta,
        min_oi=min_oi,
        max_spread=max_spread,
        rate=rate,
    )
    settings = effective_settings(options, source=source)
    watchlist = load_watchlist()
    symbols = normalize_symbols(tickers) if tickers else watchlist.active_symbols()
    if not symbols:
        raise WatchlistError("no active symbols on the watchlist: name the tickers to record")
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
        print_document(document)
        typer.echo(
            f"recorded {len(writer.written)} responses in {writer.directory}: "
            f"replay with --source snapshot:{writer.directory}"
        )
    if report.state is ScanState.FAILED:
        raise typer.Exit(ExitCode.SCAN_FAILED)


def register(app: typer.Typer) -> None:
    app.add_typer(snapshot_app)
