"""Yahoo's decoded options answer read into plain records: the quote, the calls, the puts.

yfinance's `option_chain` would turn every answer into two DataFrames (calls and
puts) that the scan reads back as arrays at once: about 2 ms of CPU per request,
ten times the pricing and criteria of the whole chain. The scan takes the decoded
answer instead and reads the fields it needs straight into numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from wheelscan.core.chains import OptionChain, OptionRows, Underlying
from wheelscan.core.earnings import next_earnings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.forward import carry_dividend_yield

# The numeric fields of a contract row, in the order OptionRows holds them.
_NUMBERS = ("strike", "bid", "ask", "lastPrice", "impliedVolatility", "openInterest", "volume")


class QuoteError(Exception):
    """A quote the scan cannot price against (no price or no time): that ticker's error."""


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _table(rows: list[dict[str, Any]]) -> np.ndarray:
    """The numeric fields as a (len(_NUMBERS), rows) float table, NaN for a missing field
    (None) or anything that is not a number.

    numpy converts clean columns in one call; a table holding junk (text, lists, huge
    integers) falls back to one value at a time.
    """
    columns = [[row.get(name) for row in rows] for name in _NUMBERS]
    try:
        table = np.array(columns, dtype=float)
        if table.shape == (len(_NUMBERS), len(rows)):
            return table
    except (TypeError, ValueError, OverflowError):
        pass
    cleaned = [[_float_or_nan(value) for value in column] for column in columns]
    return np.array(cleaned, dtype=float).reshape(len(_NUMBERS), len(rows))


def _texts(rows: list[dict[str, Any]], name: str) -> list[str]:
    """A text field of every row; "" where it is missing or not text."""
    return [value if isinstance(value := row.get(name), str) else "" for row in rows]


def option_rows(rows: Any, side: str) -> OptionRows:
    """One side (`calls` or `puts`) of an answer; rows that are not objects are
    unreadable and skipped.

    Raises TypeError when `rows` is not a list: the answer is not a chain at all.
    """
    if not isinstance(rows, list):
        raise TypeError(f"{side} is a {type(rows).__name__}, not a list")
    try:
        return _read(rows)
    except AttributeError:  # only a dict has .get: skip the rest, in a second pass
        return _read([row for row in rows if isinstance(row, dict)])


def _read(readable: list[dict[str, Any]]) -> OptionRows:
    strike, bid, ask, last, iv, open_interest, volume = _table(readable)
    return OptionRows(
        contract=_texts(readable, "contractSymbol"),
        strike=strike,
        bid=bid,
        ask=ask,
        last=last,
        iv=iv,
        open_interest=open_interest,
        volume=volume,
        contract_size=_texts(readable, "contractSize"),
        currency=_texts(readable, "currency"),
    )


def chain_from_answer(answer: Mapping[str, Any], expiration: str | date) -> OptionChain:
    """The calls and puts of one answer (yfinance's decoded `options[0]`).

    Raises KeyError without a `calls` or `puts` entry, TypeError when one is not a list.
    """
    if not isinstance(expiration, date):
        expiration = date.fromisoformat(expiration)
    return OptionChain(
        expiration=expiration,
        calls=option_rows(answer["calls"], "calls"),
        puts=option_rows(answer["puts"], "puts"),
    )


def _number(value: Any) -> float | None:
    """A finite number; None for a missing field, text, a bool, NaN or an infinity."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def underlying_from_quote(symbol: str, quote: Mapping[str, Any]) -> Underlying:
    """The quote's price (regularMarketPrice, no fallback) and time (regularMarketTime).

    SPEC 2: every figure is relative to the quote's own time, and a price from the
    bid/ask or a previous close can put a strike on the wrong side of the money, so a
    quote without either is the ticker's error (QuoteError).
    """
    price = _number(quote.get("regularMarketPrice"))
    if price is None or price <= 0:
        raise QuoteError("Yahoo's quote has no regularMarketPrice")
    stamp = _number(quote.get("regularMarketTime"))
    try:
        as_of = datetime.fromtimestamp(stamp, tz=UTC) if stamp and stamp > 0 else None
    except (OverflowError, OSError, ValueError):
        as_of = None
    if as_of is None:
        raise QuoteError("Yahoo's quote has no regularMarketTime")
    as_of = as_of.astimezone(NEW_YORK)
    return Underlying(
        symbol=symbol,
        price=price,
        as_of=as_of,
        dividend_yield=carry_dividend_yield(quote.get("trailingAnnualDividendYield")),
        quote_type=_text(quote.get("quoteType")),
        currency=_text(quote.get("currency")),
        market_state=_text(quote.get("marketState")),
        next_earnings=next_earnings(quote, as_of),
    )
