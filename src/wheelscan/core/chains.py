"""What one options answer holds once read: the quote, and an expiration's calls and puts.

Importing it loads no numpy (the arrays are annotations only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from wheelscan.core.earnings import NextEarnings

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class OptionRows:
    """One side (calls or puts) of one expiration as parallel arrays, NaN where Yahoo left a
    field out; `contract_size` and `currency` are "" where missing."""

    contract: list[str]
    strike: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    last: np.ndarray
    iv: np.ndarray
    open_interest: np.ndarray
    volume: np.ndarray
    contract_size: list[str]
    currency: list[str]

    def __len__(self) -> int:
        return len(self.contract)


@dataclass(frozen=True)
class OptionChain:
    """One expiration's answer: its calls and its puts."""

    expiration: date
    calls: OptionRows
    puts: OptionRows


@dataclass(frozen=True)
class Underlying:
    """The quote a chain is priced against (SPEC 2): price and time are required.

    `dividend_yield` is the carry forward's q, already clipped to [0, 0.15];
    `quote_type` (EQUITY, ETF, INDEX) decides the index settlement rules,
    `currency` the contracts' expected currency.
    """

    symbol: str
    price: float
    as_of: datetime
    dividend_yield: float = 0.0
    quote_type: str | None = None
    currency: str | None = None
    market_state: str | None = None
    next_earnings: NextEarnings | None = None
