"""Command-line options that several commands share (typer only: cheap to import)."""

from __future__ import annotations

from typing import Annotated

import typer

SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="yahoo, demo or snapshot:DIR (default: config, else yahoo)."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Scan even while the market is closed.")]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="If a scan is running, wait for it and report its result.")
]
