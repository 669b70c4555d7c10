"""Yahoo's put rows (decoded JSON, one dict per contract) as a PutChain of float arrays.

yfinance's `option_chain` would turn every answer into two DataFrames (calls and
puts) that the scan reads back as arrays at once: about 2 ms of CPU per request,
ten times the pricing and criteria of the whole chain. The scan takes the decoded
answer instead and reads the seven fields it needs straight into numpy.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

from wheelscan.core.models import PutChain


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _floats(values: list[Any]) -> np.ndarray:
    """Numbers as floats, NaN for a missing field (None) or anything that is not a number.

    numpy converts a clean column in one call; a column holding junk (text, lists,
    huge integers) falls back to one value at a time.
    """
    try:
        column = np.array(values, dtype=float)
        if column.ndim == 1:
            return column
    except (TypeError, ValueError, OverflowError):
        pass
    return np.array([_float_or_nan(value) for value in values], dtype=float)


def put_chain_from_rows(rows: Any, expiration: str | date) -> PutChain:
    """The puts of one expiration; rows that are not objects are unreadable and skipped.

    Raises TypeError when `rows` is not a list: the answer is not a chain at all.
    """
    if not isinstance(rows, list):
        raise TypeError(f"puts is a {type(rows).__name__}, not a list")
    if not isinstance(expiration, date):
        expiration = date.fromisoformat(expiration)
    try:
        return _chain(rows, expiration)
    except AttributeError:  # only a dict has .get: skip the rest, in a second pass
        return _chain([row for row in rows if isinstance(row, dict)], expiration)


def _chain(readable: list[dict[str, Any]], expiration: date) -> PutChain:
    return PutChain(
        expiration=expiration,
        contract=[str(row.get("contractSymbol", "")) for row in readable],
        strike=_floats([row.get("strike") for row in readable]),
        bid=_floats([row.get("bid") for row in readable]),
        ask=_floats([row.get("ask") for row in readable]),
        last=_floats([row.get("lastPrice") for row in readable]),
        iv=_floats([row.get("impliedVolatility") for row in readable]),
        open_interest=_floats([row.get("openInterest") for row in readable]),
        volume=_floats([row.get("volume") for row in readable]),
    )
