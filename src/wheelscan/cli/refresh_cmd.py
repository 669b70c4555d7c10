"""`wheelscan refresh`: the cron job. A watchlist scan that prints nothing unless it fails.

It logs to `wheelscan.log` in the log dir (`$WHEELSCAN_HOME/logs` or the
platformdirs log dir; see wheelscan.logfile). Only wheelscan's own loggers are
written there, and anything that looks like a Yahoo crumb or cookie is masked.
"""

from __future__ import annotations

import logging

import typer

from wheelscan.cli.params import ForceOption, SourceOption, WaitOption


def refresh(
    source: SourceOption = None,
    force: ForceOption = False,
    wait: WaitOption = False,
) -> None:
    """Scan the watchlist and publish the results (for cron): silent unless it fails."""
    from wheelscan.cli.scan_outcome import exit_code, run_or_wait
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
    from wheelscan.logfile import log_to_file
    from wheelscan.watchlist import WatchlistError, load_watchlist

    log_to_file()
    log = logging.getLogger("wheelscan.refresh")
    watchlist = load_watchlist()
    symbols = watchlist.active_symbols()
    if not symbols:
        raise WatchlistError("no active symbols on the watchlist: `wheelscan watchlist enable SYM`")
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
        hint = "; use --wait to wait for it" if outcome.locked else ""
        typer.echo(f"wheelscan refresh: {outcome.message}{hint}", err=True)
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(refresh)
