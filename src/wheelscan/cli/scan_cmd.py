"""`wheelscan scan`: a headless scan that prints a table or one JSON document."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from wheelscan.cli.exit_codes import ExitCode
from wheelscan.cli.options import CriteriaOptions
from wheelscan.core.models import Criteria, ScanState
from wheelscan.core.symbols import normalize_symbols

SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="yahoo, demo or snapshot:DIR (default: yahoo)."),
]


def scan(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Symbols to scan; default: the watchlist.")
    ] = None,
    weeks: Annotated[int | None, typer.Option(help="Max DTE = 7 × weeks.")] = None,
    min_dte: Annotated[int | None, typer.Option(help="Minimum days to expiry.")] = None,
    max_dte: Annotated[int | None, typer.Option(help="Maximum days to expiry.")] = None,
    min_return: Annotated[
        float | None, typer.Option(help="Minimum annualized return, percent.")
    ] = None,
    max_delta: Annotated[float | None, typer.Option(help="Maximum |delta|, in (0, 1].")] = None,
    min_oi: Annotated[int | None, typer.Option(help="Minimum open interest.")] = None,
    max_spread: Annotated[
        float | None, typer.Option(help="Maximum bid/ask spread, percent of mid.")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Risk-free rate, percent.")] = None,
    source: SourceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Scan put chains and show the contracts that meet the criteria."""
    from wheelscan.cli.render import ScanProgress, print_document
    from wheelscan.core.document import scan_document
    from wheelscan.engine import ScanEngine, run_scan
    from wheelscan.watchlist import default_symbols
    from wheelscan.yahoo.source import make_source

    options = CriteriaOptions(weeks, min_dte, max_dte, min_return, max_delta, min_oi, max_spread, rate)
    criteria = options.apply(Criteria())
    symbols = normalize_symbols(tickers) if tickers else default_symbols()
    kind = "adhoc" if tickers else "watchlist"
    yahoo = make_source(source or "yahoo")
    with ScanProgress(total=len(symbols)) as progress:
        report = run_scan(ScanEngine(yahoo), symbols, criteria, on_event=progress.on_event)
    document = scan_document(report, uuid.uuid4().hex[:12], kind)
    if as_json:
        typer.echo(json.dumps(document, indent=2))
    else:
        print_document(document)
    if report.state is ScanState.FAILED:
        raise typer.Exit(ExitCode.SCAN_FAILED)


def register(app: typer.Typer) -> None:
    app.command()(scan)
