"""The command-line options several commands share, and the criteria options (SPEC 3) turned
into Criteria overrides.

typer only (cheap to import). Each criterion's help and default are its own
(`core.models.CRITERIA`). An option not given takes config.toml's value, else
the built-in default its help shows (`CRITERIA_DEFAULTS_NOTE` says so in help).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any

import typer

from wheelscan.core.models import CRITERIA, WEEKS, Criteria, Criterion
from wheelscan.core.sources import SOURCE_FORMS

DEFAULT_SORT = "ann"
DEFAULT_TOP = 20
CRITERIA_DEFAULTS_NOTE = "A criterion not given takes config.toml's value, else the default shown."


def _help(criterion: Criterion, extra: str = "", *, with_range: bool = False) -> str:
    shown_range = f", {criterion.valid.text}" if with_range else ""
    return f"{criterion.help[0].upper()}{criterion.help[1:]}{shown_range}{extra}."


def _default(criterion: Criterion) -> str | bool:
    """The built-in default `--help` shows (config.toml's value, when set, wins over it)."""
    if criterion.default is None:
        return False
    if isinstance(criterion.default, str):
        return criterion.default
    return f"{criterion.default:g}"


def _criterion_option(name: str, kind: type, extra: str = "", *, with_range: bool = False) -> Any:
    criterion = WEEKS if name == WEEKS.name else CRITERIA[name]
    metavar = {int: "N", float: "X"}.get(kind, "POLICY")
    return Annotated[
        kind | None,
        typer.Option(
            help=_help(criterion, extra, with_range=with_range),
            show_default=_default(criterion),
            metavar=metavar,
        ),
    ]


SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="SOURCE",
        help=f"Where quotes come from: {SOURCE_FORMS}.",
        show_default="config.toml's, else yahoo",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Scan even while the market is closed.")]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="If a scan is running, wait for it and report its result.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SortOption = Annotated[
    str | None,
    typer.Option(
        "--sort",
        metavar="FIELD",
        show_default=DEFAULT_SORT,
        help=(
            "Order the table by a candidate field, best first: ann, dte, strike, bid, delta, "
            "potm, otm, oi, spread, iv, ticker, expiration or any JSON field name; "
            "FIELD:asc or FIELD:desc sets the direction."
        ),
    ),
]
TopOption = Annotated[
    int | None,
    typer.Option(
        "--top",
        metavar="N",
        min=0,
        show_default=str(DEFAULT_TOP),
        help="Show the first N rows; 0 shows them all.",
    ),
]

WeeksOption = _criterion_option("weeks", int)
MinDteOption = _criterion_option("min_dte", int)
MaxDteOption = _criterion_option("max_dte", int, "; wins over --weeks")
MinBidOption = _criterion_option("min_bid", float)
MinReturnOption = _criterion_option("min_return_pct", float)
MaxDeltaOption = _criterion_option("max_delta", float, with_range=True)
MinOiOption = _criterion_option("min_open_interest", int)
MaxSpreadOption = _criterion_option("max_spread_pct", float)
RateOption = _criterion_option("risk_free_rate_pct", float)
EarningsOption = _criterion_option("earnings", str)

# CriteriaOptions field -> the Criteria field it sets (weeks sets max_dte, see `overrides`).
CRITERIA_OF_OPTION = {
    "min_dte": "min_dte",
    "max_dte": "max_dte",
    "min_bid": "min_bid",
    "min_return": "min_return_pct",
    "max_delta": "max_delta",
    "min_oi": "min_open_interest",
    "max_spread": "max_spread_pct",
    "rate": "risk_free_rate_pct",
    "earnings": "earnings",
}


@dataclass(frozen=True, kw_only=True)
class CriteriaOptions:
    """What the user typed, named as the options are; `None` means "not given"."""

    weeks: int | None = None
    min_dte: int | None = None
    max_dte: int | None = None
    min_bid: float | None = None
    min_return: float | None = None
    max_delta: float | None = None
    min_oi: int | None = None
    max_spread: float | None = None
    rate: float | None = None
    earnings: str | None = None

    @classmethod
    def of(cls, given: dict[str, Any]) -> CriteriaOptions:
        """The criteria options among a command's parameters (`locals()` of the command)."""
        return cls(**{f.name: given[f.name] for f in fields(cls)})

    def overrides(self) -> dict[str, Any]:
        """Criteria field -> value for every option given; `--max-dte` wins over `--weeks`."""
        if self.weeks is not None:
            WEEKS.check(self.weeks)
        given = {
            key: getattr(self, option)
            for option, key in CRITERIA_OF_OPTION.items()
            if getattr(self, option) is not None
        }
        if self.weeks is not None and "max_dte" not in given:
            given["max_dte"] = 7 * self.weeks
        return given

    def apply(self, base: Criteria) -> Criteria:
        """`base` with the given options on top."""
        return base.with_overrides(**self.overrides())
