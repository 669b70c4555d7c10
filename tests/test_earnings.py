"""next_earnings from the quote's three timestamps, and spans_earnings, against tests/oracle.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracle
from wheelscan.core import earnings
from wheelscan.core.expiry import NEW_YORK

AS_OF = datetime(2026, 11, 23, 15, 45, tzinfo=NEW_YORK)


def _epoch(year: int, month: int, day: int, hour: int = 12) -> int:
    return int(datetime(year, month, day, hour, tzinfo=NEW_YORK).timestamp())


def test_the_earliest_upcoming_date_wins_and_the_past_is_ignored() -> None:
    quote = {
        "earningsTimestamp": _epoch(2026, 10, 28),  # last quarter's report, still listed
        "earningsTimestampStart": _epoch(2027, 1, 27),
        "earningsTimestampEnd": _epoch(2027, 2, 2),
    }
    found = earnings.next_earnings(quote, AS_OF)
    assert found == earnings.NextEarnings(date(2027, 1, 27), estimated=True)
    assert found.to_json() == {"date": "2027-01-27", "estimated": True}


def test_a_confirmed_date_and_today_counts() -> None:
    today = _epoch(2026, 11, 23, 7)  # before the open, as_of is 15:45 the same day
    quote = {
        "earningsTimestamp": today,
        "earningsTimestampStart": today,
        "earningsTimestampEnd": today,
    }
    assert earnings.next_earnings(quote, AS_OF) == earnings.NextEarnings(
        date(2026, 11, 23), estimated=False
    )


def test_the_date_is_new_yorks_not_utcs() -> None:
    # 20:30 New York on 2026-12-03 is already 2026-12-04 in UTC.
    late = _epoch(2026, 12, 3, 20) + 1800
    assert datetime.fromtimestamp(late, UTC).date() == date(2026, 12, 4)
    found = earnings.next_earnings({"earningsTimestamp": late}, AS_OF)
    assert found == earnings.NextEarnings(date(2026, 12, 3), estimated=False)


@pytest.mark.parametrize(
    "quote",
    [
        {},
        {"earningsTimestamp": _epoch(2026, 11, 20)},
        {"earningsTimestamp": "soon", "earningsTimestampStart": None},
        {"earningsTimestamp": float("nan"), "earningsTimestampEnd": True},
        {"earningsTimestamp": 10**30},
    ],
)
def test_nothing_upcoming_is_none(quote: dict[str, Any]) -> None:
    assert earnings.next_earnings(quote, AS_OF) is None
    assert not earnings.spans_earnings(None, date(2030, 1, 1))


def test_spans_earnings_includes_the_expiration_day() -> None:
    report = earnings.NextEarnings(date(2026, 12, 4), estimated=False)
    assert earnings.spans_earnings(report, date(2026, 12, 4))
    assert earnings.spans_earnings(report, date(2026, 12, 11))
    assert not earnings.spans_earnings(report, date(2026, 12, 3))


STAMPS = st.one_of(
    st.none(),
    st.integers(_epoch(2026, 9, 1), _epoch(2027, 6, 1)),
    st.floats(_epoch(2026, 9, 1), _epoch(2027, 6, 1)),
    st.just("2026-12-01"),
)


@given(st.fixed_dictionaries({field: STAMPS for field in earnings.EARNINGS_FIELDS}))
def test_next_earnings_matches_the_oracle(quote: dict[str, Any]) -> None:
    expected = oracle.next_earnings(quote, AS_OF.timestamp())
    found = earnings.next_earnings(quote, AS_OF)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.date.isoformat(), found.estimated) == expected
