"""`wheelscan refresh`: the cron job. A watchlist scan that prints nothing unless it fails.

It logs to `wheelscan.log` in the log dir (`$WHEELSCAN_HOME/logs` or the
platformdirs log dir). Only wheelscan's own loggers are written there, and
anything that looks like a Yahoo crumb or cookie is masked.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

from wheelscan.cli.params import ForceOption, SourceOption, WaitOption
from wheelscan.redact import redact

LOG_FILE = "wheelscan.log"


class RedactSecrets(logging.Filter):
    """Masks `crumb=…` and cookie values in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def log_to_file() -> Path:
    """Attach a rotating, owner-only log file to the `wheelscan` logger; returns its path."""
    from logging.handlers import RotatingFileHandler

    from wheelscan.paths import log_dir, private_dir

    path = private_dir(log_dir()) / LOG_FILE
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("wheelscan")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path


def refresh(
    source: SourceOption = None,
    force: ForceOption = False,
    wait: WaitOption = False,
) -> None:
    """Scan the watchlist and publish the results (for cron): silent unless it fails."""
    from wheelscan.cli.scan_outcome import exit_code, run_or_wait
    from wheelscan.config import effective_settings
    from wheelscan.core.models import ScanKind
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
