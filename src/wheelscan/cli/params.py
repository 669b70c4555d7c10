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

WeeksOption = Annotated[int | None, typer.Option(help="Max DTE = 7 × weeks.")]
MinDteOption = Annotated[int | None, typer.Option(help="Minimum days to expiry.")]
MaxDteOption = Annotated[
    int | None, typer.Option(help="Maximum days to expiry; wins over --weeks.")
]
MinReturnOption = Annotated[float | None, typer.Option(help="Minimum annualized return, %.")]
MaxDeltaOption = Annotated[float | None, typer.Option(help="Maximum |delta|, in (0, 1].")]
MinOiOption = Annotated[int | None, typer.Option(help="Minimum open interest.")]
MaxSpreadOption = Annotated[float | None, typer.Option(help="Maximum bid/ask spread, % of mid.")]
RateOption = Annotated[float | None, typer.Option(help="Risk-free rate, %.")]
