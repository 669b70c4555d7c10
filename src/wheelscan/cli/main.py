"""The `wheelscan` command: the typer app, its commands, the terminal app's command, `run`.

Every refusal is one `wheelscan: error:` line on stderr (cli/messages.py) and exit 2,
whether it is bad input found by a command (InputError) or a command line typer
cannot parse, and inside the app as well as from `run`, so typer's CliRunner
sees what a user sees.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from wheelscan import __version__
from wheelscan.cli.messages import PROGRAM, ExitCode, fail, message_line
from wheelscan.cli.options import CRITERIA_DEFAULTS_NOTE
from wheelscan.core.errors import InputError

if TYPE_CHECKING:
    from wheelscan.tui.app import WheelscanApp

DEBUG_ENV = "WHEELSCAN_DEBUG"
CONTEXT = {"help_option_names": ["-h", "--help"]}


def usage_failure(error: typer.TyperException) -> NoReturn:
    """typer's own refusal (an unknown option, a value that does not parse) as one line.

    With no arguments, a group prints its help first (its message is that help)."""
    code = int(getattr(error, "exit_code", ExitCode.BAD_INPUT)) or ExitCode.BAD_INPUT
    if type(error).__name__ == "NoArgsIsHelpError":
        raise SystemExit(code)
    fail(error.format_message() if hasattr(error, "format_message") else str(error), code)


class _FlagsTakeNoValue:
    """Help shows no value placeholder after a flag (`--json`, not `--json <bool>`)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if getattr(param, "is_flag", False):
                param.metavar = ""
        super().format_help(ctx, formatter)  # type: ignore[misc]


class Command(_FlagsTakeNoValue, TyperCommand):
    pass


class Group(_FlagsTakeNoValue, TyperGroup):
    """A group whose commands' bad input, and bad command lines, end as one line, exit 2."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            fail(str(error))
        except typer.TyperException as error:
            usage_failure(error)


app = typer.Typer(
    name=PROGRAM,
    cls=Group,
    help="Find cash-secured puts worth selling on your watchlist.",
    context_settings=CONTEXT,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wheelscan {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Find cash-secured puts worth selling on your watchlist (no command: the terminal app)."""
    if ctx.invoked_subcommand is None:
        app = build_app(source=None)
        require_terminal()
        app.run()


def require_terminal() -> None:
    """The app needs a terminal on stdin and stdout; without one (cron, a pipe) it would
    run unseen until killed, so it refuses (one line, exit 2), after the input checks."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError(
            "the terminal app needs a terminal (stdin and stdout are not one); "
            "use `wheelscan scan` or `wheelscan results` instead"
        )


def build_app(source: str | None) -> WheelscanApp:
    """Check config and source (one-line error, exit 2), then make the app.

    Criteria, source and TTLs come from config.toml (the command line wins);
    the watchlist is re-read at each scan, so edits made meanwhile count.
    """
    from wheelscan.config import effective_settings
    from wheelscan.core.sources import parse_source
    from wheelscan.yahoo.snapshot_dir import check_source

    settings = effective_settings(source=source)
    check_source(parse_source(settings.source))
    from wheelscan.tui.app import WheelscanApp  # the app's stack, once the input is good

    return WheelscanApp(settings)


def tui(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="The market the app scans (key s): yahoo, demo or snapshot:DIR.",
            show_default="config.toml's source, else yahoo",
        ),
    ] = None,
) -> None:
    """The terminal app: cached results, live scans, filter, details, export."""
    app = build_app(source)
    require_terminal()
    app.run()


def _house_classes(typer_app: typer.Typer) -> typer.Typer:
    """Give every command of `typer_app` the house Command class, its groups Group."""
    typer_app.info.cls = Group
    for command in typer_app.registered_commands:
        if command.cls in (None, TyperCommand):  # typer's own default
            command.cls = Command
    return typer_app


def _register_commands() -> None:
    from wheelscan.cli import (
        calls_cmd,
        plan_cmd,
        positions_cmd,
        reading,
        scans,
        settings_cmds,
        value_cmd,
    )

    app.command(cls=Command, epilog=CRITERIA_DEFAULTS_NOTE)(scans.scan)
    for function in (scans.refresh, reading.results, reading.status, reading.history):
        app.command(cls=Command)(function)
    app.command(cls=Command)(tui)
    app.command(cls=Command)(value_cmd.value)
    app.command(cls=Command)(calls_cmd.calls)
    app.command(cls=Command)(plan_cmd.plan)
    for sub_app in (
        reading.cache_app,
        settings_cmds.watchlist_app,
        settings_cmds.config_app,
        scans.snapshot_app,
        positions_cmd.positions_app,
    ):
        app.add_typer(_house_classes(sub_app))


_register_commands()


def run() -> None:
    """Console-script entry: every known failure is one line and its exit code, never a
    traceback (WHEELSCAN_DEBUG=1 shows one for an unexpected error)."""
    try:
        code = app(prog_name=PROGRAM, standalone_mode=False)
    except typer.TyperException as error:
        usage_failure(error)
    except (KeyboardInterrupt, typer.Abort):
        code = ExitCode.INTERRUPTED
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        fail(
            f"unexpected {type(error).__name__}: {error} (set {DEBUG_ENV}=1 for a traceback)",
            ExitCode.SCAN_FAILED,
        )
    if code == ExitCode.INTERRUPTED:
        from wheelscan.scan.stop import leave_at_once

        message_line("interrupted", label=None)
        leave_at_once(code)  # a cancelled scan's request threads would hold the exit
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
