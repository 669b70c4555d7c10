"""`wheelscan status`, `results`, `history` and `cache clear`: readers of the store.

These must start fast: they import the store (standard library + diskcache)
and rich, never the engine, pandas, yfinance, numpy or textual. Their JSON
documents are built in cli/fast.py, which prints them without typer.
"""

from __future__ import annotations

from typing import Annotated

import typer

from wheelscan.cli.fast import reader_results, reader_store, results_document, status_document
from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import ExitCode, fail, plural, source_label, warn
from wheelscan.cli.options import JsonOption, SortOption, SourceOption, TopOption


def ago(seconds: float | None) -> str:
    """An age as a person says it: '40 s ago', '12 min ago', '3.5 h ago', '2.0 days ago'."""
    if seconds is None:
        return "unknown age"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def span(seconds: float) -> str:
    """A length of time as a TTL is read: '30 s' under a minute, else '45 min'."""
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


def status(source: SourceOption = None, as_json: JsonOption = False) -> None:
    """The running scan and its progress, the lock holder, the last run (of one source)."""
    from wheelscan.cli.tables import new_york_time

    state = reader_store(source).read_status()
    if as_json:
        echo_json(status_document(state))
        warn(state.warning)
        return
    warn(state.warning)
    lock, progress = state.lock, state.progress
    if lock is None:
        typer.echo("No scan running.")
    else:
        typer.echo(
            f"Scan {lock.scan_id} ({lock.kind}, {source_label(lock.source)}) holds the lock: "
            f"pid {lock.pid} on {lock.host}, started {new_york_time(lock.started)}, "
            f"heartbeat {ago(lock.heartbeat_age_s)}"
        )
        if lock.stale:
            typer.echo(
                f"The lock is STALE: {lock.stale_reason}; it expires in "
                f"{lock.expires_in_s:.0f} s, then a new scan can run."
            )
    if progress is not None:
        live = lock is not None and lock.scan_id == progress.scan_id
        label = "Progress" if live else "Last scan"
        state_name = "INTERRUPTED" if state.interrupted else progress.state
        line = (
            f"{label}: {progress.scan_id} ({progress.kind}, {source_label(progress.source)}) "
            f"{state_name}, "
            f"{progress.done}/{plural(progress.total, 'ticker')}, "
            f"{plural(progress.candidates, 'candidate')}, {plural(len(progress.errors), 'error')}"
        )
        if live and progress.current:
            line += f", now {progress.current}"
        typer.echo(line)
    if state.last_run:
        typer.echo(f"Last run: {state.last_run}")


def results(
    ticker: Annotated[str | None, typer.Argument(help="Only this symbol.")] = None,
    source: SourceOption = None,
    sort: SortOption = None,
    top: TopOption = None,
    as_json: JsonOption = False,
) -> None:
    """The latest published watchlist results of one source, with their age (fresh or stale).

    A ticker the published scan did not cover is bad input (exit 2).
    """
    from wheelscan.cli.tables import table_order
    from wheelscan.core.symbols import normalize_symbol

    order, rows = table_order(sort, top, as_json)
    symbol = normalize_symbol(ticker) if ticker else None
    store, published, cash = reader_results(source)
    document = results_document(published, symbol, cash)
    if as_json:
        echo_json(document)
        warn(published.warning)
        return
    warn(published.warning)
    scan = published.scan
    if scan is None:
        typer.echo(
            f"No results yet from {store.namespace}: only watchlist scans publish "
            "(`wheelscan scan` without tickers, any time, or `wheelscan refresh` while "
            "NYSE is open); --source picks another source."
        )
        return
    from wheelscan.cli.tables import new_york_time, print_results, stdout_console

    freshness = f"STALE (older than {span(published.ttl_s)})" if published.stale else "fresh"
    typer.echo(
        f"Results of scan {scan.get('id')} ({source_label(scan.get('source'))}), finished "
        f"{new_york_time(scan.get('finished_at'))}, {ago(published.age_s)}: {freshness}"
    )
    chosen = dict(sorted(document["results"].items()))
    failed = {
        name: reason
        for name, reason in sorted((scan.get("errors") or {}).items())
        if symbol is None or name == symbol
    }
    console = stdout_console()
    count = print_results(console, chosen, order, rows, scan.get("criteria"))
    for name, reason in failed.items():
        console.print(f"{name}: failed: {reason}", markup=False)
    scanned = len(chosen.keys() | failed.keys())
    summary = f"{plural(count, 'candidate')} from {plural(scanned, 'ticker')}"
    typer.echo(summary + (f", {len(failed)} failed" if failed else ""))


def history(as_json: JsonOption = False) -> None:
    """The last 50 scans of every source, newest first."""
    from wheelscan.store import Store

    entries, warning = Store().read_history()  # one history for every source
    if as_json:
        echo_json(entries)
        warn(warning)
        return
    warn(warning)
    if not entries:
        typer.echo("No scans yet.")
        return
    from wheelscan.cli.tables import history_table, stdout_console

    console = stdout_console()
    console.print(history_table(entries, console.width))


cache_app = typer.Typer(name="cache", help="The scan cache.", no_args_is_help=True)


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete the published results, progress, history and any stale lock, of every source."""
    from wheelscan.store import Store, StoreError

    store = Store()  # clear empties every source's namespace
    try:
        holder = store.clear()
    except StoreError as error:
        if not store.reset_if_corrupt():
            fail(str(error), ExitCode.SCAN_FAILED)
        typer.echo(f"The cache was unreadable ({error}); removed its files in {store.directory}")
        return
    if holder is not None:
        fail(
            f"scan {holder.scan_id} (pid {holder.pid} on {holder.host}) is running; not clearing",
            ExitCode.LOCKED,
        )
    typer.echo(f"Cleared the cache in {store.directory}")
