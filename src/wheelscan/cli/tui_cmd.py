"""`wheelscan tui` (and bare `wheelscan`): the terminal app."""

from __future__ import annotations

from typing import Annotated

import typer

SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="yahoo, demo or snapshot:DIR (default: yahoo)."),
]


def launch_tui(source: str | None) -> None:
    """Check config and source (one-line error, exit 2), then run the app until the user quits.

    Criteria, source and TTLs come from config.toml (the command line wins);
    the watchlist is re-read at each scan, so edits made meanwhile count.
    """
    from wheelscan.config import effective_settings
    from wheelscan.tui.app import WheelscanApp
    from wheelscan.yahoo.source import make_source

    settings = effective_settings(source=source).scan_settings()
    make_source(settings.source)
    WheelscanApp(settings).run()


def tui(source: SourceOption = None) -> None:
    """The terminal app: cached results, live scans, filter, details, export."""
    launch_tui(source)


def register(app: typer.Typer) -> None:
    app.command()(tui)
