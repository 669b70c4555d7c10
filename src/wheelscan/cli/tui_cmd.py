"""`wheelscan tui` (and bare `wheelscan`): the terminal app."""

from __future__ import annotations

from typing import Annotated

import typer

SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="yahoo, demo or snapshot:DIR (default: yahoo)."),
]


def launch_tui(source: str | None) -> None:
    """Check the source (one-line error, exit 2), then run the app until the user quits."""
    from wheelscan.lifecycle import ScanSettings
    from wheelscan.tui.app import WheelscanApp
    from wheelscan.yahoo.source import make_source

    spec = source or "yahoo"
    make_source(spec)
    WheelscanApp(ScanSettings(source=spec)).run()


def tui(source: SourceOption = None) -> None:
    """The terminal app: cached results, live scans, filter, details, export."""
    launch_tui(source)


def register(app: typer.Typer) -> None:
    app.command()(tui)
