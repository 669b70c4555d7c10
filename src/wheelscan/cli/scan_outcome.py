"""What `scan` and `refresh` share: run through the lifecycle (or wait), then report."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from wheelscan.cli.exit_codes import ExitCode
from wheelscan.cli.json_output import echo_json

if TYPE_CHECKING:
    from wheelscan.core.models import ScanEvent
    from wheelscan.lifecycle import ScanOutcome, ScanSettings


@contextmanager
def stop_on_sigterm() -> Iterator[threading.Event]:
    """An Event set by SIGTERM (cron's or systemd's timeout), so the scan cancels cleanly."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_or_wait(
    symbols: list[str],
    kind: str,
    settings: ScanSettings,
    *,
    wait: bool,
    on_event: Callable[[ScanEvent], None] | None = None,
) -> ScanOutcome:
    """Run the scan; if another holds the lock and `wait`, wait and return that scan's outcome."""
    from wheelscan.lifecycle import run_scan, wait_for_running_scan

    with stop_on_sigterm() as stop:
        while True:
            outcome = run_scan(symbols, kind=kind, settings=settings, on_event=on_event, stop=stop)
            if not (outcome.locked and wait):
                return outcome
            waited = wait_for_running_scan(stop=stop)
            if waited is not None:
                return waited


def report(outcome: ScanOutcome, *, as_json: bool) -> None:
    """Print a scan's outcome as `scan` does and exit with SPEC 7's code."""
    from wheelscan.cli.render import print_document

    if outcome.locked:
        typer.echo(f"wheelscan: {outcome.message}; use --wait to wait for it", err=True)
        raise typer.Exit(ExitCode.LOCKED)
    document = outcome.document
    if document is None:
        typer.echo(f"wheelscan: {outcome.message}", err=True)
    elif as_json:
        echo_json(document)
    elif outcome.document and document["scan"]["state"] == "SKIPPED":
        typer.echo(outcome.message)
    else:
        print_document(document)
    if outcome.exit_code and document is not None:
        typer.echo(f"wheelscan: {outcome.message}", err=True)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)
