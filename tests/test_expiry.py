"""T to settlement (16:00, or 09:30 for an index's own AM-settled root), DTE, and OCC roots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracle
from wheelscan.core import expiry, occ

HOUR = 3600 / expiry.SECONDS_PER_YEAR


@given(
    as_of=st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
    days=st.integers(-3, 400),
    am=st.booleans(),
)
def test_years_and_dte_match_the_oracle_across_dst(as_of: datetime, days: int, am: bool) -> None:
    expiration = as_of.astimezone(expiry.NEW_YORK).date() + timedelta(days=days)
    years = expiry.years_to_expiry(as_of, expiration, am_settled=am)
    assert years == pytest.approx(
        oracle.years_between(as_of.timestamp(), expiration.isoformat(), am), abs=1e-12
    )
    assert expiry.days_to_expiry(as_of, expiration) == days
    # AM settlement is 6½ hours earlier on the same day, whatever the DST state.
    if am:
        pm = expiry.years_to_expiry(as_of, expiration)
        assert pm - years == pytest.approx(6.5 * HOUR, abs=1e-12)


def test_am_settled_expiration_day_after_the_open_has_no_time_left() -> None:
    friday = date(2026, 12, 18)
    as_of = datetime(2026, 12, 18, 10, 0, tzinfo=expiry.NEW_YORK)
    assert expiry.years_to_expiry(as_of, friday, am_settled=True) < 0
    assert expiry.years_to_expiry(as_of, friday) == pytest.approx(6 * HOUR)
    assert expiry.settlement_time(friday, am_settled=True).hour == 9
    assert expiry.days_to_expiry(as_of, friday) == 0


@pytest.mark.parametrize(
    ("symbol", "root", "expiration", "kind", "strike"),
    [
        ("QQQ261218P00600000", "QQQ", date(2026, 12, 18), "put", 600.0),
        ("QQQ1261218P00600000", "QQQ1", date(2026, 12, 18), "put", 600.0),
        ("SPXW261218C05912500", "SPXW", date(2026, 12, 18), "call", 5912.5),
        ("F270115P00012500", "F", date(2027, 1, 15), "put", 12.5),
        ("BRKB261218P00450000", "BRKB", date(2026, 12, 18), "put", 450.0),
    ],
)
def test_occ_symbols_parse(
    symbol: str, root: str, expiration: date, kind: str, strike: float
) -> None:
    assert occ.parse_occ(symbol) == occ.OccSymbol(root, expiration, kind, strike)
    assert occ.contract_root(symbol) == root


@pytest.mark.parametrize(
    "symbol",
    ["", "QQQ", "261218P00600000", "QQQ261318P00600000", "QQQ261218X00600000", "QQQ26121P8006"],
)
def test_what_is_not_an_occ_symbol(symbol: str) -> None:
    assert occ.parse_occ(symbol) is None


@given(
    root=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=6).filter(
        lambda r: not r.isdigit()
    ),
    day=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    kind=st.sampled_from(["put", "call"]),
    thousandths=st.integers(0, 99_999_999),
)
def test_occ_round_trip(root: str, day: date, kind: str, thousandths: int) -> None:
    symbol = f"{root}{day:%y%m%d}{kind[0].upper()}{thousandths:08d}"
    assert occ.parse_occ(symbol) == occ.OccSymbol(root, day, kind, thousandths / 1000)


def test_standard_roots_and_adjusted_contracts() -> None:
    contracts = ["QQQ261218P00600000", "QQQ1261218P00600000", "QQQ7261218P00600000", "", "Q"]
    flags = occ.standard_root_mask(contracts, "QQQ", "ETF")
    assert flags.tolist() == [True, False, False, False, False]
    spx = [
        "SPX261218P05900000",
        "SPXW261218P05900000",
        "SPXP261218P05900000",
        "SPX1261218P05900000",
    ]
    assert occ.standard_root_mask(spx, "^SPX", "INDEX").tolist() == [True, True, True, False]
    assert occ.am_settled_mask(spx, "^SPX", "INDEX").tolist() == [True, False, False, False]
    ndx = ["NDX261218P21000000", "NDXP261218P21000000"]
    assert occ.am_settled_mask(ndx, "^NDX", "INDEX").tolist() == [True, False]
    # An equity's own root is never AM-settled, and a W root is not its own.
    assert occ.am_settled_mask(contracts, "QQQ", "ETF").tolist() == [False] * 5
    assert occ.standard_root_mask(["AAPLW261218P00200000"], "AAPL", "EQUITY").tolist() == [False]
    assert occ.standard_root_mask(["BRKB261218P00450000"], "BRK-B", "EQUITY").tolist() == [True]
    assert occ.is_am_settled("RUT", "^RUT", "INDEX")
    assert not occ.is_am_settled("RUTW", "^RUT", "INDEX")
    assert not occ.is_am_settled("SPY", "SPY", "ETF")
