"""Yahoo's decoded put rows read into a PutChain: every field a float, junk as NaN."""

from __future__ import annotations

import math
from datetime import date

import pytest

from wheelscan.yahoo.rows import put_chain_from_rows

ROW = {
    "contractSymbol": "QQQ261204P00500000",
    "strike": 500.0,
    "bid": 1.5,
    "ask": 1.6,
    "lastPrice": 1.55,
    "impliedVolatility": 0.21,
    "openInterest": 1200,
    "volume": 30,
}


def test_a_clean_row_keeps_every_figure() -> None:
    chain = put_chain_from_rows([ROW], "2026-12-04")
    assert chain.expiration == date(2026, 12, 4)
    assert chain.contract == ["QQQ261204P00500000"]
    figures = [chain.strike, chain.bid, chain.ask, chain.last, chain.iv]
    assert [float(a[0]) for a in figures] == [500.0, 1.5, 1.6, 1.55, 0.21]
    assert (chain.open_interest[0], chain.volume[0]) == (1200.0, 30.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, math.nan),
        ("1.5", 1.5),
        ("abc", math.nan),
        ([1, 2], math.nan),
        ({}, math.nan),
        (10**400, math.nan),
        (True, 1.0),
        (math.inf, math.inf),
    ],
)
def test_a_damaged_field_reads_as_nan_and_leaves_its_neighbours_alone(
    value: object, expected: float
) -> None:
    chain = put_chain_from_rows([ROW, {**ROW, "bid": value}, ROW], "2026-12-04")
    bids = chain.bid.tolist()
    assert bids[0] == bids[2] == 1.5
    assert bids[1] == expected or (math.isnan(expected) and math.isnan(bids[1]))
    assert chain.strike.tolist() == [500.0, 500.0, 500.0]


def test_the_same_junk_in_every_row_cannot_turn_a_column_into_a_table() -> None:
    chain = put_chain_from_rows([{**ROW, "strike": [1, 2]}] * 3, "2026-12-04")
    assert chain.strike.shape == (3,)
    assert all(math.isnan(x) for x in chain.strike)


def test_missing_fields_are_nan_and_rows_that_are_not_objects_are_skipped() -> None:
    bare = {"contractSymbol": "X", "strike": 90.0}
    chain = put_chain_from_rows([None, 7, "x", bare, ROW], "2026-12-04")
    assert chain.contract == ["X", "QQQ261204P00500000"]
    assert math.isnan(chain.bid[0]) and math.isnan(chain.volume[0])
    assert chain.bid[1] == 1.5


def test_puts_that_are_not_a_list_are_not_a_chain() -> None:
    with pytest.raises(TypeError, match="not a list"):
        put_chain_from_rows({"strike": 1.0}, "2026-12-04")


def test_an_empty_list_is_an_empty_chain() -> None:
    chain = put_chain_from_rows([], date(2026, 12, 4))
    assert len(chain) == 0 and chain.strike.shape == (0,)
