"""`wheelscan scan`: a headless scan that prints a table or one JSON document."""

from __future__ import annotations

from typing import Annotated

import typer

from wheelscan.cli.params import (
    ForceOption,
    MaxDeltaOption,
    MaxDteOption,
    MaxSpreadOption,
    MinDteOption,
    MinOiOption,
    MinReturnOption,
    RateOption,
    SourceOption,
    WaitOption,
    WeeksOption,
)
from wheelscan.core.symbols import normalize_symbols


def scan(
    tickers: Annotated[
        list[str] | None, typer.Argument(help="Symbols to scan; default: the watchlist.")
    ] = None,
    weeks: WeeksOption = None,
    min_dte: MinDteOption = None,
    max_dte: MaxDteOption = None,
    min_return: MinReturnOption = None,
    max_delta: MaxDeltaOption = None,
    min_oi: MinOiOption = None,
    max_spread: MaxSpreadOption = None,
    rate: RateOption = None,
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
    from wheelscan.core.models import ScanKind
    from wheelscan.watchlist import WatchlistError, load_watchlist

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
    config = effective_settings(options, source=source, allow_closed=force)
    watchlist = load_watchlist()
    symbols = normalize_symbols(tickers) if tickers else watchlist.active_symbols()
    if not symbols:
        raise WatchlistError("no active symbols on the watchlist: `wheelscan watchlist enable SYM`")
    with ScanProgress(total=len(symbols)) as progress:
        outcome = run_or_wait(
            symbols,
            config,
            kind=ScanKind.ADHOC if tickers else ScanKind.WATCHLIST,
            intrinsic_values=watchlist.intrinsic_values(),
            wait=wait,
            on_event=progress.on_event,
            announce_wait=True,
        )
    report(outcome, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(scan)
