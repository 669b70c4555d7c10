"""Yahoo's decoded answer read into records: both sides of every chain, every field a float
or text, junk as NaN or ""; the quote's price and time required."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from wheelscan.core.earnings import NextEarnings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.yahoo.rows import QuoteError, chain_from_answer, option_rows, underlying_from_quote

ROW = {
    "contractSymbol": "QQQ261204P00500000",
    "strike": 500.0,
    "currency": "USD",
    "bid": 1.5,
    "ask": 1.6,
    "lastPrice": 1.55,
    "impliedVolatility": 0.21,
    "openInterest": 1200,
    "volume": 30,
    "contractSize": "REGULAR",
}
CALL = {**ROW, "contractSymbol": "QQQ261204C00500000", "bid": 9.5, "ask": 9.7}
QUOTE = {
    "regularMarketPrice": 612.34,
    "regularMarketTime": 1795466702,  # Monday 2026-11-23 15:45:02 New York
    "quoteType": "ETF",
    "currency": "USD",
    "marketState": "REGULAR",
    "trailingAnnualDividendYield": 0.005362,
}


def test_a_clean_row_keeps_every_figure() -> None:
    rows = option_rows([ROW], "puts")
    assert rows.contract == ["QQQ261204P00500000"]
    figures = [rows.strike, rows.bid, rows.ask, rows.last, rows.iv]
    assert [float(a[0]) for a in figures] == [500.0, 1.5, 1.6, 1.55, 0.21]
    assert (rows.open_interest[0], rows.volume[0]) == (1200.0, 30.0)
    assert (rows.contract_size, rows.currency) == (["REGULAR"], ["USD"])


def test_an_answer_gives_its_calls_and_its_puts() -> None:
    chain = chain_from_answer({"calls": [CALL, CALL], "puts": [ROW]}, "2026-12-04")
    assert chain.expiration == date(2026, 12, 4)
    assert chain.calls.contract == ["QQQ261204C00500000"] * 2
    assert chain.calls.bid.tolist() == [9.5, 9.5]
    assert chain.puts.bid.tolist() == [1.5]


@pytest.mark.parametrize("missing", ["calls", "puts"])
def test_an_answer_without_either_side_is_not_a_chain(missing: str) -> None:
    answer = {"calls": [CALL], "puts": [ROW]}
    del answer[missing]
    with pytest.raises(KeyError):
        chain_from_answer(answer, "2026-12-04")
    with pytest.raises(TypeError, match=f"{missing} is a dict, not a list"):
        chain_from_answer({**answer, missing: {"strike": 1.0}}, "2026-12-04")


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
    rows = option_rows([ROW, {**ROW, "bid": value}, ROW], "puts")
    bids = rows.bid.tolist()
    assert bids[0] == bids[2] == 1.5
    assert bids[1] == expected or (math.isnan(expected) and math.isnan(bids[1]))
    assert rows.strike.tolist() == [500.0, 500.0, 500.0]
    assert rows.ask.tolist() == [1.6, 1.6, 1.6]


def test_the_same_junk_in_every_row_cannot_turn_a_column_into_a_table() -> None:
    rows = option_rows([{**ROW, "strike": [1, 2]}] * 3, "puts")
    assert rows.strike.shape == (3,)
    assert all(math.isnan(x) for x in rows.strike)
    assert rows.bid.tolist() == [1.5] * 3


def test_missing_fields_are_nan_or_empty_and_rows_that_are_not_objects_are_skipped() -> None:
    bare = {"contractSymbol": "X", "strike": 90.0, "contractSize": 100, "currency": None}
    rows = option_rows([None, 7, "x", bare, ROW], "puts")
    assert rows.contract == ["X", "QQQ261204P00500000"]
    assert math.isnan(rows.bid[0]) and math.isnan(rows.volume[0])
    assert rows.bid[1] == 1.5
    assert rows.contract_size == ["", "REGULAR"] and rows.currency == ["", "USD"]


def test_an_empty_list_is_an_empty_side() -> None:
    rows = option_rows([], "calls")
    assert len(rows) == 0 and rows.strike.shape == (0,) and rows.contract_size == []


def test_the_quote_gives_price_time_and_what_the_figures_need() -> None:
    quote = {
        **QUOTE,
        "earningsTimestampStart": 1796904000,  # 2026-12-10 07:00 New York
        "earningsTimestampEnd": 1797336000,  # 2026-12-15
    }
    underlying = underlying_from_quote("QQQ", quote)
    assert underlying.price == 612.34
    assert underlying.as_of == datetime(2026, 11, 23, 15, 45, 2, tzinfo=NEW_YORK)
    assert underlying.dividend_yield == 0.005362
    assert (underlying.quote_type, underlying.currency, underlying.market_state) == (
        "ETF",
        "USD",
        "REGULAR",
    )
    assert underlying.next_earnings == NextEarnings(date(2026, 12, 10), estimated=True)


@pytest.mark.parametrize("price", [None, 0, -3.0, "612", math.nan, math.inf, True])
def test_a_quote_without_a_usable_price_fails_even_with_a_bid_and_ask(price: object) -> None:
    quote = {**QUOTE, "regularMarketPrice": price, "bid": 612.0, "ask": 612.5}
    if price is None:
        del quote["regularMarketPrice"]
    with pytest.raises(QuoteError, match="regularMarketPrice"):
        underlying_from_quote("QQQ", quote)


@pytest.mark.parametrize("stamp", [None, 0, -5, "1795466702", math.nan, 1e20])
def test_a_quote_without_its_time_fails(stamp: object) -> None:
    quote = {**QUOTE, "regularMarketTime": stamp}
    if stamp is None:
        del quote["regularMarketTime"]
    with pytest.raises(QuoteError, match="regularMarketTime"):
        underlying_from_quote("QQQ", quote)


@pytest.mark.parametrize(("raw", "used"), [(None, 0.0), (-0.01, 0.0), (0.4, 0.15), ("2", 0.0)])
def test_the_carry_dividend_yield_is_clipped_and_optional(raw: object, used: float) -> None:
    quote = {**QUOTE, "trailingAnnualDividendYield": raw, "quoteType": None, "currency": 5}
    underlying = underlying_from_quote("QQQ", quote)
    assert underlying.dividend_yield == used
    assert underlying.quote_type is None and underlying.currency is None
