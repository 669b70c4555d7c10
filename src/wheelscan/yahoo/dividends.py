"""A held symbol's next ex-dividend date and amount from Yahoo, at most once a day (SPEC 9).

One quoteSummary request per symbol per New York day, the one `Ticker.calendar`
makes (module `calendarEvents`: `exDividendDate`), with `defaultKeyStatistics` in
the same request for the amount (`lastDividendValue`, the latest dividend per
share, taken as the next one's). The answer, "no dividend listed" included, is
kept in the store under the source's namespace (store/daily.py), so a second
`calls` the same day makes no request.

Yahoo writes a dividend date as 00:00 UTC of that date, the way it writes
expirations; `Ticker.calendar` converts it in the machine's local time, a day early
west of Greenwich. The epoch is read here instead: a midnight-UTC epoch is that
UTC date, any other moment is the New York date it falls on.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from wheelscan.core.call_criteria import ExDividend
from wheelscan.core.expiry import NEW_YORK
from wheelscan.redact import redact
from wheelscan.store import Store, StoreError
from wheelscan.store.daily import read_daily, write_daily
from wheelscan.yahoo import _yfinance
from wheelscan.yahoo._yfinance import Ticker

KIND = "ex_dividend"
MODULES = ["calendarEvents", "defaultKeyStatistics"]


class DividendUnavailable(Exception):
    """Yahoo gave no usable answer (an HTTP error, a rate limit, a body of another shape)."""


def _raw(value: Any) -> float | None:
    """A finite number, also from Yahoo's formatted {"raw": ...} form; None otherwise."""
    if isinstance(value, Mapping):
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def dividend_date(epoch: float) -> date | None:
    """The date a Yahoo dividend epoch stands for (see the module docstring)."""
    try:
        moment = datetime.fromtimestamp(epoch, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if epoch % 86400 == 0:
        return moment.date()
    return moment.astimezone(NEW_YORK).date()


def ex_dividend_from_summary(answer: Any) -> ExDividend | None:
    """The ex-dividend date and amount of a decoded quoteSummary answer; None when it lists
    no ex-dividend date. Raises DividendUnavailable for an answer of another shape."""
    try:
        result = answer["quoteSummary"]["result"]
    except (KeyError, TypeError) as error:
        raise DividendUnavailable(f"unexpected quoteSummary answer ({error!r})") from None
    if not result:
        return None
    modules = result[0] if isinstance(result, list) and isinstance(result[0], Mapping) else {}
    events = modules.get("calendarEvents")
    statistics = modules.get("defaultKeyStatistics")
    epoch = _raw(events.get("exDividendDate")) if isinstance(events, Mapping) else None
    day = dividend_date(epoch) if epoch is not None else None
    if day is None:
        return None
    amount = _raw(statistics.get("lastDividendValue")) if isinstance(statistics, Mapping) else None
    return ExDividend(day, amount if amount is not None and amount > 0 else None)


def fetch_ex_dividend(session: object, symbol: str) -> ExDividend | None:
    """One request through yfinance on `session` (a YahooSource's). Raises DividendUnavailable."""
    try:
        answer = _yfinance.quote_summary(Ticker(symbol, session=session), MODULES)
    except Exception as error:  # whatever the session raised: a rate limit, a dropped line
        raise DividendUnavailable(redact(f"{type(error).__name__}: {error}")[:200]) from error
    if answer is None:
        raise DividendUnavailable("Yahoo answered the calendar request with an error")
    return ex_dividend_from_summary(answer)


def _to_json(dividend: ExDividend | None) -> dict[str, Any] | None:
    return None if dividend is None else dividend.to_json()


def _from_json(value: Any) -> ExDividend | None:
    if not isinstance(value, Mapping):
        return None
    try:
        day = date.fromisoformat(value["date"])
    except (KeyError, TypeError, ValueError):
        return None
    amount = _raw(value.get("amount"))
    return ExDividend(day, amount)


def kept_ex_dividend(store: Store, symbol: str, today: date) -> tuple[bool, ExDividend | None]:
    """(whether the store keeps `symbol`'s answer of `today`, that answer); never raises."""
    kept = read_daily(store, KIND, symbol, today)
    return (False, None) if kept is None else (True, _from_json(kept.value))


def keep_ex_dividend(store: Store, symbol: str, today: date, dividend: ExDividend | None) -> None:
    """Keep `symbol`'s answer (None: no dividend listed) for the rest of `today`.
    Raises StoreError."""
    write_daily(store, KIND, symbol, today, _to_json(dividend))


def next_ex_dividend(
    session: object, store: Store | None, symbol: str, today: date
) -> tuple[ExDividend | None, bool]:
    """(the ex-dividend Yahoo lists for `symbol`, whether a request was made).

    Today's kept answer when the store has one; else one request, kept for the rest
    of `today` (a store that cannot be written costs only the keeping). Raises
    DividendUnavailable when the request fails: nothing is kept, the next call asks again.
    """
    if store is not None:
        found, dividend = kept_ex_dividend(store, symbol, today)
        if found:
            return dividend, False
    dividend = fetch_ex_dividend(session, symbol)
    if store is not None:
        with contextlib.suppress(StoreError):  # unkept, it is asked again next time
            keep_ex_dividend(store, symbol, today, dividend)
    return dividend, True
