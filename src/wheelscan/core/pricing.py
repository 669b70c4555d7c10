"""Per-contract figures that need no option model (returns, moneyness, spread), vectorised.

The SPEC v1 Black–Scholes–Merton put figures stay here for the scan until it moves to
Black-76 on the forward (core/black76.py); time to expiry lives in core/expiry.py and
is re-exported for the modules that import it from here.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

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
    "put_delta_and_prob_otm",
    "years_to_expiry",
]


def put_delta_and_prob_otm(
    spot: float,
    strike: np.ndarray,
    years: float | np.ndarray,
    rate: float,
    dividend_yield: float,
    sigma: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """BSM put delta −e^(−qT)·N(−d1) and prob_otm N(d2); NaN where the inputs cannot price.

    `rate` and `dividend_yield` are fractions (0.04, not 4); `years` is one figure
    or one per contract (a ticker's expirations evaluated together).
    """
    strike = np.asarray(strike, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    years = np.asarray(years, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vol_sqrt_t = sigma * np.sqrt(np.where(years > 0, years, np.nan))
        d1 = (np.log(spot / strike) + (rate - dividend_yield + sigma**2 / 2) * years) / vol_sqrt_t
        delta = -np.exp(-dividend_yield * years) * ndtr(-d1)
        prob_otm = ndtr(d1 - vol_sqrt_t)
    return delta, prob_otm


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
