"""Option math against textbook values, and time to expiry across DST and weekends."""

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
    days_to_expiry,
    expiration_date,
    mid_and_spread_pct,
    put_delta_and_prob_otm,
    years_to_expiry,
)


@pytest.mark.parametrize(
    ("spot", "strike", "rate", "dividend", "sigma", "years", "n_d1", "put_delta"),
    [
        (42, 40, 0.10, 0.0, 0.20, 0.5, 0.7791, -0.2209),  # Hull 15.6
        (49, 50, 0.05, 0.0, 0.20, 0.3846, 0.522, -0.478),  # Hull 19.1
        (90, 87, 0.09, 0.03, 0.25, 0.5, 0.6736, -0.3215),  # Hull 19.9, with dividends
    ],
)
def test_put_delta_matches_hull(
    spot: float,
    strike: float,
    rate: float,
    dividend: float,
    sigma: float,
    years: float,
    n_d1: float,
    put_delta: float,
) -> None:
    delta, _ = put_delta_and_prob_otm(
        spot, np.array([strike]), years, rate, dividend, np.array([sigma])
    )
    assert delta[0] == pytest.approx(put_delta, abs=6e-4)
    # N(d1) read back from the delta: delta = e^(−qT)(N(d1) − 1)
    assert delta[0] / np.exp(-dividend * years) + 1 == pytest.approx(n_d1, abs=6e-4)


def test_prob_otm_is_n_of_d2() -> None:
    # Hull 15.6: d2 = 0.6278, N(d2) = 0.7349
    _, prob = put_delta_and_prob_otm(42, np.array([40.0]), 0.5, 0.10, 0.0, np.array([0.2]))
    assert prob[0] == pytest.approx(0.7349, abs=5e-4)


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


@given(
    spot=st.floats(1, 2000),
    moneyness=st.floats(0.3, 1.5),
    sigma=st.floats(0.01, 5),
    years=st.floats(1 / 365, 3),
    rate=st.floats(-0.02, 0.2),
    dividend=st.floats(0, 0.1),
)
def test_put_figures_stay_in_range(
    spot: float, moneyness: float, sigma: float, years: float, rate: float, dividend: float
) -> None:
    strikes = np.array([spot * moneyness, spot * moneyness * 1.01])
    delta, prob = put_delta_and_prob_otm(spot, strikes, years, rate, dividend, np.full(2, sigma))
    assert np.all((delta <= 0) & (delta >= -1))
    assert np.all((prob >= 0) & (prob <= 1))
    # A higher strike is never less likely to finish in the money.
    assert delta[1] <= delta[0] + 1e-12
