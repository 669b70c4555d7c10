"""Per-contract figures that need no option model (returns, moneyness, spread), vectorised.

The option model is Black-76 on the forward (core/black76.py); time to expiry lives in
core/expiry.py and is re-exported for the modules that import it from here.
"""

from __future__ import annotations

import numpy as np

from wheelscan.core.expiry import (
    NEW_YORK,
    SECONDS_PER_YEAR,
    days_to_expiry,
    expiration_date,
    years_to_expiry,
)

__all__ = [
    "NEW_YORK",
    "SECONDS_PER_YEAR",
    "annualized_return_pct",
    "cushion_pct",
    "days_to_expiry",
    "expiration_date",
    "mid_and_spread_pct",
    "otm_pct",
    "years_to_expiry",
]


def annualized_return_pct(bid: np.ndarray, strike: np.ndarray, dte: int | np.ndarray) -> np.ndarray:
    """Premium over collateral, annualised: bid / K × 365 / max(DTE, 1) × 100."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return bid / strike * 365.0 / np.maximum(dte, 1) * 100.0


def otm_pct(spot: float, strike: np.ndarray) -> np.ndarray:
    return (spot - strike) / spot * 100.0


def mid_and_spread_pct(bid: np.ndarray, ask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mid = (bid + ask) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (ask - bid) / mid * 100.0
    return mid, spread


def cushion_pct(spot: float, breakeven: np.ndarray) -> np.ndarray:
    """How far spot can fall before a short put loses at expiry: (S − breakeven)/S × 100."""
    return (spot - breakeven) / spot * 100.0
