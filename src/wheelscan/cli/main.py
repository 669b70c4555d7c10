"""The `wheelscan` command: the typer app, its sub-commands, and one-line errors."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from wheelscan import __version__
from wheelscan.cli.exit_codes import ExitCode
from wheelscan.core.errors import InputError

DEBUG_ENV = "WHEELSCAN_DEBUG"


class _InputErrorsExit2(TyperGroup):
    """Bad input from any command becomes one line on stderr and exit 2, inside the app,
    so typer's CliRunner sees what a user sees."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            typer.echo(f"wheelscan: error: {error}", err=True)
            raise typer.Exit(int(ExitCode.BAD_INPUT)) from None


app = typer.Typer(
    name="wheelscan",
    cls=_InputErrorsExit2,
    help="Find cash-secured puts worth selling on your watchlist.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wheelscan {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Find cash-secured puts worth selling on your watchlist."""
    if ctx.invoked_subcommand is None:
        from wheelscan.cli.tui_cmd import launch_tui

        launch_tui(source=None)


def _register_commands() -> None:
    from wheelscan.cli import (
        config_cmd,
        refresh_cmd,
        scan_cmd,
        snapshot_cmd,
        store_cmds,
        tui_cmd,
        watchlist_cmd,
    )

    scan_cmd.register(app)
    refresh_cmd.register(app)
    store_cmds.register(app)
    tui_cmd.register(app)
    config_cmd.register(app)
    watchlist_cmd.register(app)
    snapshot_cmd.register(app)


_register_commands()


def fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> typer.Exit:
    """Print a one-line error on stderr and return the Exit to raise."""
    typer.echo(f"wheelscan: error: {message}", err=True)
    return typer.Exit(int(code))


def run() -> None:
    """Console-script entry: known errors become one line and exit 2, never a traceback."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as error:
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        typer.echo(f"wheelscan: error: {message}", err=True)
        sys.exit(int(getattr(error, "exit_code", ExitCode.BAD_INPUT)) or ExitCode.BAD_INPUT)
    except InputError as error:
        typer.echo(f"wheelscan: error: {error}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("wheelscan: interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        typer.echo(
            f"wheelscan: unexpected error: {type(error).__name__}: {error} "
            f"(set {DEBUG_ENV}=1 for a traceback)",
            err=True,
        )
        sys.exit(ExitCode.SCAN_FAILED)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
