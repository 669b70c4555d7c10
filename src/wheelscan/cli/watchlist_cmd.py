"""`wheelscan watchlist …`: list and edit the symbols a watchlist scan covers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wheelscan.cli.json_output import echo_json

watchlist_app = typer.Typer(
    name="watchlist",
    help="List or edit the watchlist (watchlist.toml).",
    no_args_is_help=True,
)

NO_VALUE = ("none", "-", "")


@watchlist_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show every symbol: active or not, intrinsic value, notes."""
    from wheelscan.watchlist import load_watchlist

    watchlist = load_watchlist()
    if as_json:
        document = {
            "path": str(watchlist.path),
            "default": watchlist.is_default,
            "tickers": [e.to_json() for e in watchlist.entries],
        }
        echo_json(document)
        return
    origin = "the default list (no file yet)" if watchlist.is_default else str(watchlist.path)
    active = len(watchlist.active_symbols())
    typer.echo(f"# {len(watchlist.entries)} symbols, {active} active, from {origin}")
    for e in watchlist.entries:
        value = "" if e.intrinsic_value is None else f"{e.intrinsic_value:.2f}"
        state = "active" if e.active else "off"
        typer.echo(f"{e.symbol:<10} {state:<6} {value:>10}  {e.notes}".rstrip())


@watchlist_app.command("add")
def add(
    symbols: Annotated[list[str], typer.Argument(help="One or more symbols.")],
    notes: Annotated[str, typer.Option(help="A note kept with the symbol(s).")] = "",
    value: Annotated[float | None, typer.Option(help="Intrinsic value, dollars.")] = None,
) -> None:
    """Add symbols (validated, upper-cased; one already listed is refused)."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    added = watchlist.add(symbols, notes=notes, value=value)
    watchlist.save()
    typer.echo(f"added {', '.join(added)} to {watchlist.path}")


@watchlist_app.command("remove")
def remove(symbol: Annotated[str, typer.Argument(help="The symbol to drop.")]) -> None:
    """Remove a symbol from the watchlist."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    removed = watchlist.remove(symbol)
    watchlist.save()
    typer.echo(f"removed {removed} from {watchlist.path}")


def _set_active(symbol: str, active: bool) -> None:
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    changed = watchlist.set_active(symbol, active)
    watchlist.save()
    typer.echo(f"{changed} {'enabled' if active else 'disabled'}")


@watchlist_app.command("enable")
def enable(symbol: Annotated[str, typer.Argument(help="The symbol to scan again.")]) -> None:
    """Include a symbol in watchlist scans."""
    _set_active(symbol, True)


@watchlist_app.command("disable")
def disable(symbol: Annotated[str, typer.Argument(help="The symbol to skip.")]) -> None:
    """Keep a symbol on the list but leave it out of watchlist scans."""
    _set_active(symbol, False)


@watchlist_app.command("set-value")
def set_value(
    symbol: Annotated[str, typer.Argument(help="A symbol on the watchlist.")],
    value: Annotated[str, typer.Argument(help="Intrinsic value in dollars, or 'none'.")],
) -> None:
    """Set the intrinsic value that decides each candidate's badge (good: strike ≤ value)."""
    from wheelscan.watchlist import WatchlistError, WatchlistFile

    amount: float | None = None
    if value.strip().lower() not in NO_VALUE:
        try:
            amount = float(value)
        except ValueError:
            raise WatchlistError(f"intrinsic value must be a number, got {value!r}") from None
    watchlist = WatchlistFile()
    changed = watchlist.set_value(symbol, amount)
    watchlist.save()
    shown = "cleared" if amount is None else f"= {amount:.2f}"
    typer.echo(f"{changed} intrinsic value {shown}")


@watchlist_app.command("set-notes")
def set_notes(
    symbol: Annotated[str, typer.Argument(help="A symbol on the watchlist.")],
    notes: Annotated[str, typer.Argument(help="The note ('' to clear).")],
) -> None:
    """Replace a symbol's notes."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    changed = watchlist.set_notes(symbol, notes)
    watchlist.save()
    typer.echo(f"{changed} notes updated")


@watchlist_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="One symbol per line, or a CSV with a symbol column.")
    ],
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Skip symbols already listed.")
    ] = False,
) -> None:
    """Add every symbol of FILE (all or nothing: a bad or duplicate symbol adds none)."""
    from wheelscan.watchlist import WatchlistFile, read_symbol_file

    symbols = read_symbol_file(file)
    watchlist = WatchlistFile()
    present = set(watchlist.symbols()) if skip_existing else set()
    added = watchlist.add([s for s in symbols if s not in present])
    watchlist.save()
    skipped = len(symbols) - len(added)
    note = f" ({skipped} already listed, skipped)" if skipped else ""
    typer.echo(f"imported {len(added)} symbols into {watchlist.path}{note}")


def register(app: typer.Typer) -> None:
    app.add_typer(watchlist_app)
