"""Black–Scholes–Merton put figures and time to expiry (SPEC 2), vectorised over a chain.

Every time figure is measured from the quote's as-of time, never the wall clock,
so a replayed snapshot gives the same numbers next year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
from scipy.special import ndtr

NEW_YORK = ZoneInfo("America/New_York")
SECONDS_PER_YEAR = 365 * 86400
EXPIRY_CLOSE = time(16, 0)


def expiration_date(epoch: int) -> date:
    """Yahoo's expiration epochs are 00:00 UTC of the expiry date."""
    return datetime.fromtimestamp(epoch, tz=UTC).date()


def days_to_expiry(as_of: datetime, expiration: date) -> int:
    """Calendar days from as_of's New York date to the expiration date."""
    return (expiration - as_of.astimezone(NEW_YORK).date()).days


def years_to_expiry(as_of: datetime, expiration: date) -> float:
    """Years from as_of to 16:00 New York on the expiration date (365-day year)."""
    close = datetime.combine(expiration, EXPIRY_CLOSE, tzinfo=NEW_YORK)
    # Subtract in UTC: aware datetimes sharing one tzinfo subtract as wall clocks, losing DST.
    return (close.astimezone(UTC) - as_of.astimezone(UTC)).total_seconds() / SECONDS_PER_YEAR


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
