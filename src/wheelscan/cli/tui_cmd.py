"""`wheelscan tui` (and bare `wheelscan`): the terminal app."""

from __future__ import annotations

import typer


def launch_tui(source: str | None) -> None:
    typer.echo("The terminal app is not built yet: try `wheelscan scan --source demo`.", err=True)
    raise typer.Exit(2)
