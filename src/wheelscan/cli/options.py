"""Command-line criteria (SPEC 3) turned into a Criteria."""

from __future__ import annotations

from dataclasses import dataclass

from wheelscan.core.models import Criteria, CriteriaError


@dataclass(frozen=True)
class CriteriaOptions:
    """What the user typed; `None` means "not given, keep the configured value"."""

    weeks: int | None = None
    min_dte: int | None = None
    max_dte: int | None = None
    min_return: float | None = None
    max_delta: float | None = None
    min_oi: int | None = None
    max_spread: float | None = None
    rate: float | None = None

    def apply(self, base: Criteria) -> Criteria:
        """`base` with the given options on top; `--max-dte` wins over `--weeks`."""
        if self.weeks is not None and self.weeks < 1:
            raise CriteriaError(f"--weeks must be 1 or more, got {self.weeks}")
        max_dte = self.max_dte
        if max_dte is None and self.weeks is not None:
            max_dte = 7 * self.weeks
        return base.with_overrides(
            min_dte=self.min_dte,
            max_dte=max_dte,
            min_return_pct=self.min_return,
            max_delta=self.max_delta,
            min_open_interest=self.min_oi,
            max_spread_pct=self.max_spread,
            risk_free_rate_pct=self.rate,
        )
