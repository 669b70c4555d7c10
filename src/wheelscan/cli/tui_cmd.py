"""`wheelscan tui` (and bare `wheelscan`): the terminal app."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from wheelscan.cli.params import SourceOption

if TYPE_CHECKING:
    from wheelscan.tui.app import WheelscanApp


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


def launch_tui(source: str | None) -> None:
    """Run the app until the user quits."""
    build_app(source).run()


def tui(source: SourceOption = None) -> None:
    """The terminal app: cached results, live scans, filter, details, export."""
    launch_tui(source)


def register(app: typer.Typer) -> None:
    app.command()(tui)
