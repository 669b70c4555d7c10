"""Command-line options that several commands share (typer only: cheap to import).

The criteria options' help is each criterion's own (`core.models.CRITERIA`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from wheelscan.core.models import CRITERIA, WEEKS, Criterion
from wheelscan.core.sources import SOURCE_FORMS


def _help(criterion: Criterion, extra: str = "", *, with_range: bool = False) -> str:
    shown_range = f", {criterion.valid.text}" if with_range else ""
    return f"{criterion.help[0].upper()}{criterion.help[1:]}{shown_range}{extra}."


SourceOption = Annotated[
    str | None,
    typer.Option("--source", help=f"{SOURCE_FORMS} (default: config, else yahoo)."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Scan even while the market is closed.")]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="If a scan is running, wait for it and report its result.")
]

WeeksOption = Annotated[int | None, typer.Option(help=_help(WEEKS))]
MinDteOption = Annotated[int | None, typer.Option(help=_help(CRITERIA["min_dte"]))]
MaxDteOption = Annotated[
    int | None, typer.Option(help=_help(CRITERIA["max_dte"], "; wins over --weeks"))
]
MinReturnOption = Annotated[float | None, typer.Option(help=_help(CRITERIA["min_return_pct"]))]
MaxDeltaOption = Annotated[
    float | None, typer.Option(help=_help(CRITERIA["max_delta"], with_range=True))
]
MinOiOption = Annotated[int | None, typer.Option(help=_help(CRITERIA["min_open_interest"]))]
MaxSpreadOption = Annotated[float | None, typer.Option(help=_help(CRITERIA["max_spread_pct"]))]
RateOption = Annotated[float | None, typer.Option(help=_help(CRITERIA["risk_free_rate_pct"]))]
