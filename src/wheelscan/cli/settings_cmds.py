"""`wheelscan config …` (config.toml) and `wheelscan watchlist …` (watchlist.toml)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import plural, warn
from wheelscan.cli.options import (
    CRITERIA_DEFAULTS_NOTE,
    CriteriaOptions,
    JsonOption,
    SourceOption,
    with_criteria_options,
)
from wheelscan.core.errors import InputError

# A value may start with '-' (`set-value AAPL -5`): such a token is the value, not an option.
VALUE_MAY_LOOK_LIKE_AN_OPTION = {"ignore_unknown_options": True}

config_app = typer.Typer(
    name="config", help="Show or change settings (config.toml).", no_args_is_help=True
)


# The keys whose unset value the source decides (live Yahoo is paced, the demo is not).
SOURCE_DEFAULT_KEYS = frozenset({"rate_limit_per_s"})


def _shown(value: Any, key: str = "") -> str:
    if value is None:
        return "(source default)" if key in SOURCE_DEFAULT_KEYS else "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return str(value)


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isinf(value) else value


@config_app.command("show", epilog=CRITERIA_DEFAULTS_NOTE)
@with_criteria_options
def show(
    *,
    criteria: CriteriaOptions,
    source: SourceOption = None,
    force: Annotated[bool, typer.Option("--force", help="As if --force were given.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Print the effective settings: command line over config file over defaults.

    The scan options are accepted so you can see what a scan with them would use.
    """
    from wheelscan.config import effective_settings

    settings = effective_settings(criteria, source=source, allow_closed=force)
    rows = settings.rows()
    if as_json:
        document = {
            "path": str(settings.path),
            "exists": settings.path.exists(),
            "settings": {
                key: {"value": _json_value(value), "origin": origin} for key, value, origin in rows
            },
        }
        echo_json(document)
        return
    state = "" if settings.path.exists() else " (not created yet: defaults in use)"
    typer.echo(f"# {settings.path}{state}")
    width = max(len(key) for key, _, _ in rows)
    value_width = max(len(_shown(value, key)) for key, value, _ in rows)
    for key, value, origin in rows:
        typer.echo(f"{key:<{width}}  {_shown(value, key):<{value_width}}  {origin}")


@config_app.command("set", context_settings=VALUE_MAY_LOOK_LIKE_AN_OPTION)
def set_(
    key: Annotated[str, typer.Argument(help="A key `config show` lists (or weeks).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Set KEY to VALUE in config.toml (validated; comments and order are kept)."""
    from wheelscan.config import config_path, set_value

    stored, removed = set_value(key, value)
    note = f" (removed {', '.join(removed)}: it sets the same thing)" if removed else ""
    typer.echo(f"{key} = {_shown(stored, key)} in {config_path()}{note}")


@config_app.command("unset")
def unset(key: Annotated[str, typer.Argument(help="The key to remove.")]) -> None:
    """Remove KEY from config.toml, so its default applies again."""
    from wheelscan.config import config_path, unset_value

    removed = unset_value(key)
    verb = "removed from" if removed else "was not set in"
    typer.echo(f"{key} {verb} {config_path()}")


watchlist_app = typer.Typer(
    name="watchlist",
    help="List or edit the watchlist (watchlist.toml).",
    no_args_is_help=True,
)

NO_VALUE = ("none", "-", "")
SymbolsArgument = Annotated[list[str], typer.Argument(help="One or more symbols.")]


@watchlist_app.command("list")
def list_(as_json: JsonOption = False) -> None:
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
    typer.echo(f"# {plural(len(watchlist.entries), 'symbol')}, {active} active, from {origin}")
    for e in watchlist.entries:
        value = "" if e.intrinsic_value is None else f"{e.intrinsic_value:.2f}"
        state = "active" if e.active else "off"
        typer.echo(f"{e.symbol:<10} {state:<6} {value:>10}  {e.notes}".rstrip())


@watchlist_app.command("add")
def add(
    symbols: SymbolsArgument,
    notes: Annotated[str, typer.Option(help="A note kept with the symbol(s).")] = "",
    value: Annotated[
        float | None,
        typer.Option(metavar="DOLLARS", help="Intrinsic value (one symbol only)."),
    ] = None,
) -> None:
    """Add symbols (validated, upper-cased; one already listed is refused)."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    added = watchlist.add(symbols, notes=notes, value=value)
    watchlist.save()
    typer.echo(f"added {', '.join(added)} to {watchlist.path}")


@watchlist_app.command("remove")
def remove(symbols: SymbolsArgument) -> None:
    """Remove symbols (all or nothing: one that is not listed removes none)."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    removed = watchlist.remove(symbols)
    watchlist.save()
    typer.echo(f"removed {', '.join(removed)} from {watchlist.path}")


@watchlist_app.command("clear")
def clear(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Remove every symbol (the file stays, empty, so the default list does not return)."""
    from wheelscan.watchlist import WatchlistFile

    watchlist = WatchlistFile()
    count = len(watchlist.symbols())
    question = f"Remove all {plural(count, 'symbol')} from {watchlist.path}?"
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(f"`watchlist clear` removes {plural(count, 'symbol')}: add --yes")
        if not typer.confirm(question):
            typer.echo("nothing removed")
            return
    removed = watchlist.clear()
    watchlist.save()
    typer.echo(f"removed {plural(len(removed), 'symbol')} from {watchlist.path}")


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


@watchlist_app.command("set-value", context_settings=VALUE_MAY_LOOK_LIKE_AN_OPTION)
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


@watchlist_app.command("set-notes", context_settings=VALUE_MAY_LOOK_LIKE_AN_OPTION)
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
        Path,
        typer.Argument(help="One symbol per line, or a CSV with a symbol (and notes) column."),
    ],
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Skip symbols already listed.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Make the watchlist exactly FILE's symbols (listed ones keep values)."
        ),
    ] = False,
) -> None:
    """Add every symbol of FILE (all or nothing: a bad or duplicate symbol adds none).

    A broker CSV's footer (a "Total" row, lines after the last symbol) is skipped
    with a warning.
    """
    from wheelscan.watchlist import WatchlistFile
    from wheelscan.watchlist_import import read_symbol_file

    if replace and skip_existing:
        raise InputError("--replace keeps the symbols already listed: drop --skip-existing")
    read = read_symbol_file(file)
    if read.skipped_lines:
        lines = ", ".join(map(str, read.skipped_lines))
        warn(f"{file}: skipped {plural(len(read.skipped_lines), 'line')} with no symbol: {lines}")
    watchlist = WatchlistFile()
    if replace:
        added, removed = watchlist.replace(read.symbols)
        watchlist.save()
        kept = len(read.symbols) - len(added)
        typer.echo(
            f"{watchlist.path} now lists {plural(len(read.symbols), 'symbol')}: "
            f"{len(added)} added, {kept} kept, {len(removed)} removed"
        )
        return
    present = set(watchlist.symbols()) if skip_existing else set()
    added = watchlist.add({s: n for s, n in read.symbols.items() if s not in present})
    watchlist.save()
    skipped = len(read.symbols) - len(added)
    note = f" ({skipped} already listed, skipped)" if skipped else ""
    typer.echo(f"imported {plural(len(added), 'symbol')} into {watchlist.path}{note}")
