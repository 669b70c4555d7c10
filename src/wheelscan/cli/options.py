"""Command-line criteria (SPEC 3) turned into Criteria overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wheelscan.core.models import WEEKS, Criteria

# CriteriaOptions field -> the Criteria field it sets (weeks sets max_dte, see `overrides`).
CRITERIA_OF_OPTION = {
    "min_dte": "min_dte",
    "max_dte": "max_dte",
    "min_return": "min_return_pct",
    "max_delta": "max_delta",
    "min_oi": "min_open_interest",
    "max_spread": "max_spread_pct",
    "rate": "risk_free_rate_pct",
}


@dataclass(frozen=True, kw_only=True)
class CriteriaOptions:
    """What the user typed, named as the options are; `None` means "not given"."""

    weeks: int | None = None
    min_dte: int | None = None
    max_dte: int | None = None
    min_return: float | None = None
    max_delta: float | None = None
    min_oi: int | None = None
    max_spread: float | None = None
    rate: float | None = None

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
