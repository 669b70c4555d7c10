"""A symbol's trailing cash flow from Yahoo, through yfinance (SPEC 4, the FCF method).

`Ticker.get_cash_flow(freq="trailing")` is the table `Ticker.ttm_cashflow` shows, with
Yahoo's own row names (`FreeCashFlow`) instead of prettified ones (`Free Cash Flow`).
It costs one GET of Yahoo's fundamentals-timeseries endpoint,
`https://query2.finance.yahoo.com/ws/fundamentals-timeseries/v1/finance/timeseries/SYM`
with `symbol=SYM`, `type=` every cash-flow row prefixed `trailing` (123 in yfinance 1.7),
`period1`, `period2` and the crumb; when that answer has no result, yfinance asks again
in three chunks of types. The options transports answer it offline like any other URL.

yfinance turns every failure of that request (an error status, a body that is not JSON,
a dropped connection) into an empty table, the answer for a symbol without statements;
`fetch_trailing_cash_flow` cannot tell them apart and says None for both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wheelscan.core.valuation import TrailingCashFlow, fcf_per_share

if TYPE_CHECKING:
    import pandas as pd
    import yfinance as yf

TIMESERIES_PATH = "/ws/fundamentals-timeseries/v1/finance/timeseries/"

_ROW_BY_FIELD = {
    "free_cash_flow": "FreeCashFlow",
    "operating_cash_flow": "OperatingCashFlow",
    "capital_expenditure": "CapitalExpenditure",
}


def _cell(table: pd.DataFrame, row: str, column: Any) -> float | None:
    if row not in table.index:
        return None
    value = float(table.at[row, column])
    return value if math.isfinite(value) else None


def cash_flow_from_table(table: pd.DataFrame) -> TrailingCashFlow | None:
    """The figures of yfinance's trailing cash-flow table (its one, newest column)."""
    if table.empty or len(table.columns) == 0:
        return None
    column = table.columns[0]
    figures = {name: _cell(table, row, column) for name, row in _ROW_BY_FIELD.items()}
    if all(value is None for value in figures.values()):
        return None
    as_of = column.date().isoformat() if hasattr(column, "date") else None
    return TrailingCashFlow(as_of=as_of, **figures)


def fetch_trailing_cash_flow(ticker: yf.Ticker) -> TrailingCashFlow | None:
    """One fundamentals request; None when Yahoo gave no cash flow (or the request failed)."""
    return cash_flow_from_table(ticker.get_cash_flow(freq="trailing"))


def fetch_symbol_cash_flow(session: object, symbol: str) -> TrailingCashFlow:
    """`symbol`'s trailing cash flow through `session` (a source's); `empty` when Yahoo gave
    none (or the request failed: see above)."""
    from wheelscan.yahoo._yfinance import Ticker

    return fetch_trailing_cash_flow(Ticker(symbol, session=session)) or TrailingCashFlow()


def fetch_fcf_per_share(ticker: yf.Ticker, quote: Mapping[str, Any]) -> float | None:
    """Trailing free cash flow ÷ the quote's sharesOutstanding; None when either is missing."""
    return fcf_per_share(fetch_trailing_cash_flow(ticker), quote.get("sharesOutstanding"))
