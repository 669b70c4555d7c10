"""A deterministic synthetic market that answers as Yahoo does (SPEC 1, `--source demo`).

`DemoMarket` writes Yahoo's raw JSON for the requests yfinance makes, so the demo
goes through the same parsing as live data (transports.DemoTransport serves it):

- `/v7/finance/options/SYM[?date=EPOCH]`: quote, expirations and one chain;
- `/v10/finance/quoteSummary/SYM?modules=…`: `calendarEvents` (`Ticker.calendar`:
  ex-dividend and pay dates, earnings) and `defaultKeyStatistics` (the dividend per
  share, `lastDividendValue`, and its ex-date, `lastDividendDate`);
- `/ws/fundamentals-timeseries/v1/finance/timeseries/SYM?type=…`: the cash-flow
  statements (`Ticker.get_cash_flow`);
- `/v7/finance/quote?symbols=…`: the quote block alone.

Who each symbol is comes from demo_profiles.py, one expiration's chain from
demo_chain.py. Everything depends on the symbol and the clock only: the same `now`
gives the same bytes; WHEELSCAN_DEMO_NOW pins the clock for a run in another process
(the app's scan child, a recorded terminal session). Expirations are Fridays (no
holidays): weeklies out to 60 days for every liquidity tier but `low`, and the monthly
third Fridays out to 120 days.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from wheelscan.core.expiry import NEW_YORK
from wheelscan.yahoo.demo_chain import chain_json
from wheelscan.yahoo.demo_profiles import (
    CYCLE,
    DEMO_MARK,
    DemoDay,
    Profile,
    demo_day,
    profile_for,
    seed,
)

NOW_ENV = "WHEELSCAN_DEMO_NOW"
WEEKLY_DAYS = 60
MONTHLY_DAYS = 120
QUOTE_SUMMARY_PATH = "/v10/finance/quoteSummary/"
TIMESERIES_PATH = "/ws/fundamentals-timeseries/v1/finance/timeseries/"
QUOTE_PATH = "/v7/finance/quote"
TIMESERIES_PREFIXES = {"trailing": ("TTM", 1), "annual": ("12M", 4), "quarterly": ("3M", 5)}
CASH_FLOW_FIELDS = {
    "FreeCashFlow": "free_cash_flow",
    "OperatingCashFlow": "operating_cash_flow",
    "CapitalExpenditure": "capital_expenditure",
}
EXCHANGE_NAMES = {"NMS": "NasdaqGS", "NGM": "NasdaqGM", "NYQ": "NYSE", "PCX": "NYSEArca"}
TYPE_NAMES = {"EQUITY": "Equity", "ETF": "ETF"}


def _epoch(day: date) -> int:
    """Yahoo's date epochs (expirations, ex-dividend and pay dates) are 00:00 UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def expirations(day: DemoDay) -> list[date]:
    """Listed expirations: Fridays whose 16:00 settlement is after the quote's time."""
    start = day.session if day.market_state == "REGULAR" else day.session + timedelta(days=1)
    monthly = set()
    year, month = start.year, start.month
    while (third := _third_friday(year, month)) <= start + timedelta(days=MONTHLY_DAYS):
        if third >= start:
            monthly.add(third)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    weekly = set()
    if day.profile.weekly:
        friday = start + timedelta(days=(4 - start.weekday()) % 7)
        while friday <= start + timedelta(days=WEEKLY_DAYS):
            weekly.add(friday)
            friday += timedelta(weeks=1)
    return sorted(monthly | weekly)


def _is_monthly(expiration: date) -> bool:
    return expiration == _third_friday(expiration.year, expiration.month)


def _dividend_fields(day: DemoDay) -> dict[str, Any]:
    profile = day.profile
    if profile.dividend <= 0:
        return {}
    fields: dict[str, Any] = {
        "trailingAnnualDividendRate": profile.dividend,
        "trailingAnnualDividendYield": round(day.dividend_yield, 6),
        "dividendRate": profile.dividend,
        "dividendYield": round(day.dividend_yield * 100, 2),
    }
    if day.dividend is not None:
        fields["dividendDate"] = _epoch(day.dividend.pay_date)
    return fields


def _company_fields(day: DemoDay) -> dict[str, Any]:
    """Earnings dates and EPS: Yahoo gives them for stocks, not for ETFs."""
    profile, earnings = day.profile, day.earnings
    fields: dict[str, Any] = {}
    if earnings is not None:
        fields |= {
            "earningsTimestamp": int(earnings.last.timestamp()),
            "earningsTimestampStart": int(earnings.start.timestamp()),
            "earningsTimestampEnd": int(earnings.end.timestamp()),
            "isEarningsDateEstimate": earnings.estimated,
        }
    if profile.eps is not None:
        forward_eps = round(profile.eps * 1.1 if profile.eps > 0 else profile.eps * 0.8, 2)
        fields |= {"epsTrailingTwelveMonths": profile.eps, "epsForward": forward_eps}
        if profile.eps > 0:
            fields["trailingPE"] = round(day.price / profile.eps, 4)
        if forward_eps > 0:
            fields["forwardPE"] = round(day.price / forward_eps, 4)
    return fields


def quote_json(day: DemoDay) -> dict[str, Any]:
    """The options answer's `quote` block (and /v7/finance/quote's), with "(DEMO)" names."""
    profile, price = day.profile, day.price
    rng = np.random.default_rng(seed("quote", profile.symbol, day.session))
    name = f"{profile.name} {DEMO_MARK}"
    open_ = round(day.previous_close * (1 + rng.normal(0, 0.002)), 2)
    high = round(max(price, open_) * (1 + abs(rng.normal(0, 0.004))), 2)
    low = round(min(price, open_) * (1 - abs(rng.normal(0, 0.004))), 2)
    average_volume = int(3e7 * (50 / max(price, 5)) ** 0.5 * (1 if profile.weekly else 0.05))
    is_open = day.market_state == "REGULAR"
    half_spread = 0.01 if profile.weekly else round(max(0.01, price * 0.001), 2)
    change = round(price - day.previous_close, 2)
    new_york = day.as_of.astimezone(NEW_YORK)
    quote: dict[str, Any] = {
        "language": "en-US",
        "region": "US",
        "quoteType": profile.type,
        "typeDisp": TYPE_NAMES.get(profile.type, profile.type),
        "quoteSourceName": "Delayed Quote",
        "currency": "USD",
        "exchange": profile.exchange,
        "fullExchangeName": EXCHANGE_NAMES.get(profile.exchange, profile.exchange),
        "exchangeTimezoneName": "America/New_York",
        "exchangeTimezoneShortName": new_york.tzname(),
        "gmtOffSetMilliseconds": int(new_york.utcoffset().total_seconds() * 1000),
        "market": "us_market",
        "marketState": day.market_state,
        "shortName": name,
        "longName": name,
        "symbol": profile.symbol,
        "regularMarketPrice": price,
        "regularMarketTime": int(day.as_of.timestamp()),
        "regularMarketChange": change,
        "regularMarketChangePercent": round(change / day.previous_close * 100, 4),
        "regularMarketPreviousClose": day.previous_close,
        "regularMarketOpen": open_,
        "regularMarketDayHigh": high,
        "regularMarketDayLow": low,
        "regularMarketDayRange": f"{low} - {high}",
        "regularMarketVolume": int(average_volume * rng.uniform(0.6, 1.4)),
        "bid": round(price - half_spread, 2) if is_open else 0.0,
        "ask": round(price + half_spread, 2) if is_open else 0.0,
        "bidSize": int(rng.integers(1, 30)) if is_open else 0,
        "askSize": int(rng.integers(1, 30)) if is_open else 0,
        "fiftyTwoWeekLow": round(min(low, profile.price * 0.72), 2),
        "fiftyTwoWeekHigh": round(max(high, profile.price * 1.12), 2),
        "fiftyDayAverage": round(profile.price * 0.98, 2),
        "twoHundredDayAverage": round(profile.price * 0.93, 2),
        "averageDailyVolume3Month": average_volume,
        "averageDailyVolume10Day": int(average_volume * 1.05),
        "priceHint": 2,
        "tradeable": False,
        "hasPrePostMarketData": True,
        "sourceInterval": 15,
        "exchangeDataDelayedBy": 0,
    }
    if profile.shares is not None:
        quote["sharesOutstanding"] = int(profile.shares)
        quote["marketCap"] = int(profile.shares * price)
    return quote | _dividend_fields(day) | _company_fields(day)


def pinned_now() -> datetime | None:
    """The clock WHEELSCAN_DEMO_NOW pins (ISO 8601 with an offset), for runs in another process."""
    raw = os.environ.get(NOW_ENV, "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{NOW_ENV}={raw!r} is not an ISO 8601 time with a UTC offset")
    return moment


class DemoMarket:
    """Answers Yahoo's requests for any symbol from the symbol and the clock alone.

    `now` fixes the clock (tests, benchmarks); without it WHEELSCAN_DEMO_NOW does, and
    without that it is the wall clock.
    """

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or pinned_now()

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def profile(self, symbol: str) -> Profile:
        return profile_for(symbol)

    def day(self, symbol: str) -> DemoDay:
        """What the market shows for `symbol` now: price, IV, earnings, dividend."""
        return demo_day(symbol, self.now())

    def expirations(self, symbol: str) -> list[date]:
        return expirations(self.day(symbol))

    def chain_json(self, symbol: str, expiration: date) -> dict[str, Any]:
        """One expiration's calls and puts, listed or not (an expired one is priced too)."""
        return chain_json(self.day(symbol), expiration, _is_monthly(expiration))

    def options_json(self, symbol: str, epoch: int | None) -> dict[str, Any]:
        """Yahoo's options answer: the nearest chain without `epoch`, none for an unlisted one."""
        day = self.day(symbol)
        listed = expirations(day)
        by_epoch = {_epoch(expiration): expiration for expiration in listed}
        chosen = by_epoch.get(_epoch(listed[0]) if epoch is None else epoch)
        options = [] if chosen is None else [chain_json(day, chosen, _is_monthly(chosen))]
        strikes = sorted({row["strike"] for o in options for row in o["puts"] if "strike" in row})
        result = {
            "underlyingSymbol": symbol,
            "expirationDates": list(by_epoch),
            "strikes": strikes,
            "hasMiniOptions": False,
            "quote": quote_json(day),
            "options": options,
        }
        return {"optionChain": {"result": [result], "error": None}}

    def calendar_json(self, symbol: str) -> dict[str, Any]:
        """quoteSummary's calendarEvents module, as `Ticker.calendar` reads it."""
        return self.summary_json(symbol, ["calendarEvents"])

    def summary_json(self, symbol: str, modules: list[str]) -> dict[str, Any]:
        """quoteSummary's answer for `modules` (those the demo knows: calendarEvents,
        defaultKeyStatistics); one it does not know is left out, as Yahoo does."""
        day = self.day(symbol)
        result: dict[str, Any] = {}
        if "calendarEvents" in modules:
            result["calendarEvents"] = _calendar_events(day)
        if "defaultKeyStatistics" in modules:
            result["defaultKeyStatistics"] = _key_statistics(day)
        return {"quoteSummary": {"result": [result], "error": None}}

    def timeseries_json(self, symbol: str, types: list[str]) -> dict[str, Any]:
        """fundamentals-timeseries: the cash-flow rows asked for; the others carry only meta."""
        day = self.day(symbol)
        return {"timeseries": {"result": [_series(day, kind) for kind in types], "error": None}}

    def answer(self, url: str) -> tuple[int, bytes] | None:
        """(status, JSON body) for the calendar, fundamentals and quote URLs; else None."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        path = parts.path
        if path.startswith(QUOTE_SUMMARY_PATH):
            symbol = unquote(path[len(QUOTE_SUMMARY_PATH) :])
            modules = ",".join(query.get("modules", [])).split(",")
            return 200, json.dumps(self.summary_json(symbol, modules)).encode()
        if path.startswith(TIMESERIES_PATH):
            symbol = unquote(path[len(TIMESERIES_PATH) :])
            types = [t for t in ",".join(query.get("type", [])).split(",") if t]
            return 200, json.dumps(self.timeseries_json(symbol, types)).encode()
        if path.rstrip("/") == QUOTE_PATH:
            symbols = [s for s in ",".join(query.get("symbols", [])).split(",") if s]
            quotes = [quote_json(self.day(symbol)) for symbol in symbols]
            return 200, json.dumps({"quoteResponse": {"result": quotes, "error": None}}).encode()
        return None


def _calendar_events(day: DemoDay) -> dict[str, Any]:
    """The calendarEvents module: earnings (stocks only), ex-dividend and pay dates."""
    events: dict[str, Any] = {"maxAge": 1}
    if day.profile.type == "EQUITY" and day.earnings is not None:
        earnings = day.earnings
        dates = [earnings.start, earnings.end] if earnings.estimated else [earnings.start]
        eps = day.profile.eps or 0.0
        estimate = round(eps / 4 * 1.05, 2)
        revenue = round((day.profile.shares or 0.0) * day.price / 6 / 4, -6)
        events["earnings"] = {
            "earningsDate": [int(moment.timestamp()) for moment in dates],
            "earningsCallDate": [int(dates[0].timestamp()) + 1800],
            "isEarningsDateEstimate": earnings.estimated,
            "earningsAverage": estimate,
            "earningsLow": round(estimate - abs(estimate) * 0.08, 2),
            "earningsHigh": round(estimate + abs(estimate) * 0.08, 2),
            "revenueAverage": int(revenue),
            "revenueLow": int(revenue * 0.96),
            "revenueHigh": int(revenue * 1.04),
        }
    if day.dividend is not None:
        events["exDividendDate"] = _epoch(day.dividend.ex_date)
        events["dividendDate"] = _epoch(day.dividend.pay_date)
    return events


def _key_statistics(day: DemoDay) -> dict[str, Any]:
    """The defaultKeyStatistics module's dividend fields: the latest dividend per share
    (the profile's annual dividend over four) and the ex-date it went with, the last one
    on or before the session; nothing for a symbol that pays none."""
    statistics: dict[str, Any] = {"maxAge": 1}
    dividend = day.dividend
    if dividend is None:
        return statistics
    last_ex = dividend.ex_date if dividend.ex_date <= day.session else dividend.ex_date - CYCLE
    statistics["lastDividendValue"] = dividend.amount
    statistics["lastDividendDate"] = _epoch(last_ex)
    return statistics


def _quarter_end_before(day: date) -> date:
    """The last calendar quarter's end that has been reported by `day` (a 30-day lag)."""
    seen = day - timedelta(days=30)
    month = (seen.month - 1) // 3 * 3 + 1  # first month of seen's quarter
    return date(seen.year, month, 1) - timedelta(days=1)


def _previous_quarter_end(end: date) -> date:
    return date(end.year, end.month - 2, 1) - timedelta(days=1)


def _periods(latest: date, prefix: str) -> list[tuple[date, float]]:
    """(asOfDate, share of the trailing figure) for each period of a statement, newest first."""
    _, count = TIMESERIES_PREFIXES[prefix]
    if prefix == "trailing":
        return [(latest, 1.0)]
    if prefix == "annual":
        year = latest.year if latest.month == 12 else latest.year - 1
        return [(date(year - k, 12, 31), 0.92**k) for k in range(count)]
    ends = [latest]
    while len(ends) < count:
        ends.append(_previous_quarter_end(ends[-1]))
    return [(end, 0.25 * 0.98**k) for k, end in enumerate(ends)]


def _format_value(value: float) -> str:
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:.2f}"


def _series(day: DemoDay, kind: str) -> dict[str, Any]:
    meta = {"meta": {"symbol": [day.profile.symbol], "type": [kind]}}
    prefix = next((p for p in TIMESERIES_PREFIXES if kind.startswith(p)), None)
    field = CASH_FLOW_FIELDS.get(kind[len(prefix) :]) if prefix else None
    value = getattr(day.profile, field) if field else None
    if prefix is None or value is None or day.profile.type != "EQUITY":
        return meta
    period_type, _ = TIMESERIES_PREFIXES[prefix]
    periods = _periods(_quarter_end_before(day.session), prefix)
    points = [
        {
            "dataId": 26000 + i,
            "asOfDate": end.isoformat(),
            "periodType": period_type,
            "currencyCode": "USD",
            "reportedValue": {"raw": round(value * share), "fmt": _format_value(value * share)},
        }
        for i, (end, share) in enumerate(periods)
    ]
    return meta | {"timestamp": [_epoch(end) for end, _ in periods], kind: points}
