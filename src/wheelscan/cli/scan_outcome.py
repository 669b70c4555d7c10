"""What `scan` and `refresh` share: run the scan job (or wait), then report its outcome.

`exit_code` is the one place a scan's outcome becomes SPEC 7's exit code.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from wheelscan.cli.exit_codes import ExitCode
from wheelscan.cli.json_output import echo_json
from wheelscan.core.models import ScanState
from wheelscan.scan.stop import StopEvent

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.core.models import ScanEvent, ScanKind
    from wheelscan.scan.job import ScanOutcome


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
                typer.echo(f"wheelscan: {outcome.message}; waiting for it to finish", err=True)
            waited = wait_for_running_scan(holder=outcome.holder, stop=stop)
            if waited is not None:
                return waited


def report(outcome: ScanOutcome, *, as_json: bool) -> None:
    """Print a scan's outcome as `scan` does and exit with its code."""
    from wheelscan.cli.render import print_document

    code = exit_code(outcome)
    if outcome.locked:
        typer.echo(f"wheelscan: {outcome.message}; use --wait to wait for it", err=True)
        raise typer.Exit(code)
    document = outcome.document
    if document is None:
        typer.echo(f"wheelscan: {outcome.message}", err=True)
    elif as_json:
        echo_json(document)
    elif outcome.state is ScanState.SKIPPED:
        typer.echo(outcome.message)
    else:
        print_document(document)
    if code and document is not None:
        typer.echo(f"wheelscan: {outcome.message}", err=True)
    if code:
        raise typer.Exit(code)
