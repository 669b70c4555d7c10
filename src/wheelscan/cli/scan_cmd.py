"""`wheelscan scan`: a headless scan that prints a table or one JSON document."""

from __future__ import annotations

from typing import Annotated

import typer

from wheelscan.cli.params import ForceOption, SourceOption, WaitOption
from wheelscan.core.symbols import normalize_symbols


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
    force: ForceOption = False,
    wait: WaitOption = False,
) -> None:
    """Scan put chains and show the contracts that meet the criteria."""
    from wheelscan.cli.options import CriteriaOptions
    from wheelscan.cli.render import ScanProgress
    from wheelscan.cli.scan_outcome import report, run_or_wait
    from wheelscan.config import effective_settings
    from wheelscan.watchlist import WatchlistError, load_watchlist

    options = CriteriaOptions(
        weeks, min_dte, max_dte, min_return, max_delta, min_oi, max_spread, rate
    )
    config = effective_settings(options, source=source, allow_closed=force)
    watchlist = load_watchlist()
    symbols = normalize_symbols(tickers) if tickers else watchlist.active_symbols()
    if not symbols:
        raise WatchlistError("no active symbols on the watchlist: `wheelscan watchlist enable SYM`")
    kind = "adhoc" if tickers else "watchlist"
    settings = config.scan_settings(intrinsic_values=watchlist.intrinsic_values())
    with ScanProgress(total=len(symbols)) as progress:
        outcome = run_or_wait(symbols, kind, settings, wait=wait, on_event=progress.on_event)
    report(outcome, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(scan)
