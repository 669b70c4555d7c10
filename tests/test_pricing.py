"""Figures without an option model (returns, moneyness, spread), and time to expiry across
DST and weekends; Black-76 against Hull's vectors is tests/test_black76.py."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wheelscan.core.pricing import (
    NEW_YORK,
    annualized_return_pct,
    cushion_pct,
    days_to_expiry,
    expiration_date,
    mid_and_spread_pct,
    otm_pct,
    years_to_expiry,
)


def test_expiration_epoch_is_utc_midnight_of_the_date() -> None:
    epoch = calendar.timegm((2026, 12, 4, 0, 0, 0))
    assert expiration_date(epoch) == date(2026, 12, 4)
    assert expiration_date(epoch + 86399) == date(2026, 12, 4)


def test_dte_counts_calendar_days_from_new_york_date() -> None:
    # 23:30 New York on Friday is already Saturday in UTC; DTE counts from Friday.
    as_of = datetime(2026, 11, 20, 23, 30, tzinfo=NEW_YORK)
    assert days_to_expiry(as_of, date(2026, 11, 23)) == 3
    assert days_to_expiry(as_of.astimezone(UTC), date(2026, 11, 23)) == 3


def test_weekend_quote_counts_the_weekend() -> None:
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=NEW_YORK)
    assert days_to_expiry(saturday, date(2026, 11, 27)) == 6
    # Saturday noon to Friday 16:00 is 6 days and 4 hours.
    assert years_to_expiry(saturday, date(2026, 11, 27)) == pytest.approx(
        (6 * 24 + 4) * 3600 / (365 * 86400)
    )


def test_years_across_dst_end_counts_the_extra_hour() -> None:
    # DST ends 2026-11-01: Friday 16:00 EDT to Friday 16:00 EST is 7 days + 1 hour.
    as_of = datetime(2026, 10, 30, 16, 0, tzinfo=NEW_YORK)
    assert days_to_expiry(as_of, date(2026, 11, 6)) == 7
    assert years_to_expiry(as_of, date(2026, 11, 6)) == pytest.approx(
        (7 * 24 + 1) * 3600 / (365 * 86400)
    )


def test_years_across_dst_start_loses_an_hour() -> None:
    as_of = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)  # DST starts 2026-03-08
    assert years_to_expiry(as_of, date(2026, 3, 13)) == pytest.approx(
        (7 * 24 - 1) * 3600 / (365 * 86400)
    )


def test_annualized_return_uses_at_least_one_day() -> None:
    bid, strike = np.array([1.0]), np.array([100.0])
    assert annualized_return_pct(bid, strike, 0)[0] == pytest.approx(365.0)
    assert annualized_return_pct(bid, strike, 7)[0] == pytest.approx(365.0 / 7)


def test_spread_pct_of_mid() -> None:
    mid, spread = mid_and_spread_pct(np.array([1.0]), np.array([1.2]))
    assert mid[0] == pytest.approx(1.1)
    assert spread[0] == pytest.approx(0.2 / 1.1 * 100)


def test_moneyness_and_cushion_as_percent_of_spot() -> None:
    strike, bid = np.array([95.0, 100.0, 104.0]), np.array([1.0, 2.5, 4.0])
    assert otm_pct(100.0, strike).tolist() == pytest.approx([5.0, 0.0, -4.0])
    # The cushion is how far spot may fall before the seller loses: to K − bid.
    assert cushion_pct(100.0, strike - bid).tolist() == pytest.approx([6.0, 2.5, 0.0])


@given(
    bid=st.floats(0.01, 50),
    strike=st.floats(1, 2000),
    dte=st.integers(-3, 400),
)
def test_annualized_return_is_simple_on_strike_collateral(
    bid: float, strike: float, dte: int
) -> None:
    got = annualized_return_pct(np.array([bid]), np.array([strike]), dte)[0]
    # The premium, as a share of the collateral, times how often DTE fits in a year.
    assert got == pytest.approx(100 * (bid * 100) / (strike * 100) * (365 / max(dte, 1)))
