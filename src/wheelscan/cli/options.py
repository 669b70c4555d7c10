"""The command-line options several commands share, and the criteria options (SPEC 3) turned
into Criteria overrides.

typer only (cheap to import). Each criterion's help and default are its own
(`core.models.CRITERIA`). An option not given takes config.toml's value, else
the built-in default its help shows (`CRITERIA_DEFAULTS_NOTE` says so in help).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

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
# `scan` runs at any hour, so its --force changes nothing; kept (hidden) for old cron lines.
IgnoredForceOption = Annotated[
    bool,
    typer.Option("--force", hidden=True, help="Ignored: scan runs at any hour (refresh waits)."),
]
FreshOption = Annotated[
    bool,
    typer.Option("--fresh", help="Ask Yahoo for every answer, not the minutes-old ones kept."),
]
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

# The criteria options, in the order help lists them: parameter -> its typer option.
CRITERIA_PARAMETERS: dict[str, Any] = {
    "weeks": _criterion_option("weeks", int),
    "min_dte": _criterion_option("min_dte", int),
    "max_dte": _criterion_option("max_dte", int, "; wins over --weeks"),
    "min_bid": _criterion_option("min_bid", float),
    "min_return": _criterion_option("min_return_pct", float),
    "max_delta": _criterion_option("max_delta", float, with_range=True),
    "min_oi": _criterion_option("min_open_interest", int),
    "max_spread": _criterion_option("max_spread_pct", float),
    "rate": _criterion_option("risk_free_rate_pct", float),
    "earnings": _criterion_option("earnings", str),
}


def with_criteria_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` takes `criteria: CriteriaOptions`; the command line shows the criteria
    options in its place, and the command receives what they were given as one object."""
    signature = inspect.signature(command)
    hints = get_type_hints(command, include_extras=True)
    keyword = inspect.Parameter.KEYWORD_ONLY  # typer passes every parameter by name
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "criteria":
            parameters += [
                inspect.Parameter(name, keyword, default=None, annotation=option)
                for name, option in CRITERIA_PARAMETERS.items()
            ]
        else:
            parameters.append(parameter.replace(annotation=hints[parameter.name], kind=keyword))

    @functools.wraps(command)
    def with_options(**given: Any) -> None:
        criteria = CriteriaOptions(**{name: given.pop(name) for name in CRITERIA_PARAMETERS})
        command(criteria=criteria, **given)

    with_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_options


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
