"""`wheelscan status`, `results`, `history` and `cache clear`: readers of the store.

These must start fast: they import the store (standard library + diskcache)
and rich, never the engine, pandas, yfinance, numpy or textual.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from wheelscan.cli.exit_codes import ExitCode
from wheelscan.cli.json_output import echo_json

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _warn(message: str | None) -> None:
    if message:
        typer.echo(f"wheelscan: warning: {message}", err=True)


def _ago(seconds: float | None) -> str:
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


def _local(stamp: str | None) -> str:
    if not stamp:
        return "?"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _age_of(stamp: str | None) -> float | None:
    try:
        return (
            (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds() if stamp else None
        )
    except ValueError:
        return None


def status(as_json: JsonOption = False) -> None:
    """The running scan and its progress, the lock holder, the last run."""
    from wheelscan.store import Store

    state = Store().read_status()
    if as_json:
        from wheelscan.cli.store_json import status_document

        echo_json(status_document(state))
        _warn(state.warning)
        return
    _warn(state.warning)
    lock, progress = state.lock, state.progress
    if lock is None:
        typer.echo("No scan running.")
    else:
        typer.echo(
            f"Scan {lock.scan_id} ({lock.kind}, {lock.source or '?'}) holds the lock: "
            f"pid {lock.pid} on {lock.host}, started {_local(lock.started)}, "
            f"heartbeat {_ago(lock.heartbeat_age_s)}"
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
            f"{label}: {progress.scan_id} ({progress.kind}, {progress.source}) {state_name}, "
            f"{progress.done}/{progress.total} tickers, {progress.candidates} candidates, "
            f"{len(progress.errors)} errors"
        )
        if live and progress.current:
            line += f", now {progress.current}"
        typer.echo(line)
    if state.last_run:
        typer.echo(f"Last run: {state.last_run}")


def results(
    ticker: Annotated[str | None, typer.Argument(help="Only this symbol.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The latest published watchlist results, with their age."""
    from wheelscan.core.symbols import normalize_symbol
    from wheelscan.store import Store

    symbol = normalize_symbol(ticker) if ticker else None
    published = Store().read_results()
    chosen = published.results
    if symbol is not None:
        chosen = {symbol: chosen[symbol]} if symbol in chosen else {}
    if as_json:
        from wheelscan.cli.store_json import results_document

        echo_json(results_document(published, symbol))
        _warn(published.warning)
        return
    _warn(published.warning)
    scan = published.scan
    if scan is None:
        typer.echo("No results yet: run `wheelscan refresh` or `wheelscan scan`.")
        return
    age = _ago(published.age_s)
    if published.expired:
        typer.echo(
            f"No current results: the last ones (scan {scan.get('id')}, finished "
            f"{_local(scan.get('finished_at'))}, {age}) are stale and expired after "
            f"{published.ttl_s / 60:.0f} min. Run `wheelscan refresh`."
        )
        return
    stale = f" — STALE (older than {published.ttl_s / 60:.0f} min)" if published.stale else ""
    typer.echo(
        f"Results of scan {scan.get('id')} ({scan.get('source')}), finished "
        f"{_local(scan.get('finished_at'))}, {age}{stale}"
    )
    if symbol is not None and not chosen:
        typer.echo(f"No results for {symbol} in this scan.")
        return
    _print_results(chosen, published.scan_times)


def _print_results(chosen: dict[str, Any], scan_times: dict[str, str]) -> None:
    from wheelscan.cli.render import candidates_table, stdout_console

    count = sum(len(result.get("candidates", [])) for result in chosen.values())
    console = stdout_console()
    if count:
        console.print(candidates_table({"results": dict(sorted(chosen.items()))}))
    console.print(f"{count} candidates from {len(chosen)} tickers", highlight=False)


def history(as_json: JsonOption = False) -> None:
    """The last 50 scans, newest first."""
    from wheelscan.store import Store

    entries, warning = Store().read_history()
    if as_json:
        echo_json(entries)
        _warn(warning)
        return
    _warn(warning)
    if not entries:
        typer.echo("No scans yet.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold")
    for name in ("Scan", "Kind", "State", "Started", "Duration", "Tickers", "Cand.", "Errors"):
        table.add_column(name)
    table.add_column("Source")
    for entry in entries:
        table.add_row(
            str(entry.get("id")),
            str(entry.get("kind")),
            str(entry.get("state")),
            _local(entry.get("started_at")),
            f"{float(entry.get('duration_s') or 0):.1f}s",
            str(entry.get("tickers")),
            str(entry.get("candidates")),
            str(len(entry.get("errors") or {})),
            str(entry.get("source")),
        )
    Console().print(table)


cache_app = typer.Typer(help="The scan cache.", no_args_is_help=True)


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete the published results, progress, history and any stale lock."""
    from wheelscan.store import Store, StoreError

    store = Store()
    try:
        holder = store.clear()
    except StoreError as error:
        if not store.reset_if_corrupt():
            typer.echo(f"wheelscan: error: {error}", err=True)
            raise typer.Exit(ExitCode.SCAN_FAILED) from None
        typer.echo(f"The cache was unreadable ({error}); removed its files in {store.directory}")
        return
    if holder is not None:
        typer.echo(
            f"wheelscan: error: scan {holder.scan_id} (pid {holder.pid} on {holder.host}) "
            "is running; not clearing",
            err=True,
        )
        raise typer.Exit(ExitCode.LOCKED)
    typer.echo(f"Cleared the cache in {store.directory}")


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(results)
    app.command()(history)
    app.add_typer(cache_app, name="cache")
