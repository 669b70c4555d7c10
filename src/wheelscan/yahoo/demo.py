"""A deterministic synthetic options market, written as Yahoo's raw JSON.

Each symbol gets its own spot, volatility and dividend, derived from a hash of
the symbol, so the same symbol always looks the same. Expirations are weekly
Fridays for six weeks plus monthly third Fridays for six months, counted from
"now". Puts are priced with Black–Scholes on a skewed volatility smile, quoted
with spreads that widen away from the money, and a few rows carry the faults
real Yahoo data has: a 1e-5 IV placeholder, a bid with ask 0, missing volume
or open interest, zero bids far from the money.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from scipy.special import ndtr

from wheelscan.core.pricing import NEW_YORK, years_to_expiry

WEEKLY_COUNT = 6
MONTHLY_COUNT = 6
RATE = 0.04


def _seed(symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")


def _strike_step(spot: float) -> float:
    if spot < 25:
        return 0.5
    if spot < 100:
        return 1.0
    if spot < 250:
        return 2.5
    return 5.0


def _fridays(start: date) -> list[date]:
    """Weekly Fridays on or after `start`, then third Fridays of the following months."""
    first_friday = start + timedelta(days=(4 - start.weekday()) % 7)
    weekly = [first_friday + timedelta(weeks=i) for i in range(WEEKLY_COUNT)]
    monthly = []
    year, month = start.year, start.month
    for _ in range(MONTHLY_COUNT + 1):
        first = date(year, month, 1)
        third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
        if third_friday >= start:
            monthly.append(third_friday)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(set(weekly) | set(monthly[:MONTHLY_COUNT]))


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class DemoMarket:
    """Answers Yahoo options requests for any symbol, from the symbol alone."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def profile(self, symbol: str) -> dict[str, float]:
        rng = np.random.default_rng(_seed(symbol))
        return {
            "spot": round(float(math.exp(rng.uniform(math.log(12), math.log(600)))), 2),
            "vol": float(rng.uniform(0.18, 0.70)),
            "dividend": float(rng.choice([0.0, 0.0, rng.uniform(0.002, 0.035)])),
        }

    def options_json(self, symbol: str, epoch: int | None) -> dict[str, Any]:
        now = self.now()
        profile = self.profile(symbol)
        expirations = _fridays(now.astimezone(NEW_YORK).date())
        epochs = [_epoch(d) for d in expirations]
        chosen = epochs[0] if epoch is None else epoch
        options = []
        if chosen in epochs:
            options.append(self._chain(symbol, profile, now, expirations[epochs.index(chosen)]))
        strikes = sorted({row["strike"] for o in options for row in o["puts"]})
        return {
            "optionChain": {
                "result": [
                    {
                        "underlyingSymbol": symbol,
                        "expirationDates": epochs,
                        "strikes": strikes,
                        "hasMiniOptions": False,
                        "quote": self._quote(symbol, profile, now),
                        "options": options,
                    }
                ],
                "error": None,
            }
        }

    @staticmethod
    def _quote(symbol: str, profile: dict[str, float], now: datetime) -> dict[str, Any]:
        spot = profile["spot"]
        quote: dict[str, Any] = {
            "language": "en-US",
            "quoteType": "EQUITY",
            "currency": "USD",
            "marketState": "REGULAR",
            "exchange": "NMS",
            "shortName": f"{symbol} Demo Corp",
            "symbol": symbol,
            "regularMarketPrice": spot,
            "regularMarketTime": int(now.timestamp()),
            "regularMarketPreviousClose": round(spot * 0.995, 2),
            "bid": round(spot - 0.01, 2),
            "ask": round(spot + 0.01, 2),
        }
        if profile["dividend"] > 0:
            quote["trailingAnnualDividendYield"] = round(profile["dividend"], 4)
        return quote

    def _chain(
        self, symbol: str, profile: dict[str, float], now: datetime, expiry: date
    ) -> dict[str, Any]:
        spot, base_vol, q = profile["spot"], profile["vol"], profile["dividend"]
        step = _strike_step(spot)
        strikes = np.arange(math.floor(spot * 0.6 / step), math.ceil(spot * 1.3 / step) + 1) * step
        years = max(years_to_expiry(now, expiry), 1.0 / (365 * 24))
        moneyness = np.log(spot / strikes)
        vol = np.clip(base_vol * (1 + 1.4 * moneyness + 2.0 * moneyness**2), 0.08, 3.0)
        vol_sqrt_t = vol * math.sqrt(years)
        d1 = (moneyness + (RATE - q + vol**2 / 2) * years) / vol_sqrt_t
        d2 = d1 - vol_sqrt_t
        disc_k = strikes * math.exp(-RATE * years)
        disc_s = spot * math.exp(-q * years)
        puts = disc_k * ndtr(-d2) - disc_s * ndtr(-d1)
        calls = disc_s * ndtr(d1) - disc_k * ndtr(d2)
        rng = np.random.default_rng(_seed(symbol) ^ _epoch(expiry))
        stamp = expiry.strftime("%y%m%d")
        last_trade = int((now - timedelta(minutes=5)).timestamp())
        stamps = {"expiration": _epoch(expiry), "lastTradeDate": last_trade}
        return {
            "expirationDate": _epoch(expiry),
            "hasMiniOptions": False,
            "calls": [
                self._row(f"{symbol}{stamp}C{int(k * 1000):08d}", k, p, v, k < spot, m, rng)
                | stamps
                for k, p, v, m in zip(strikes, calls, vol, moneyness, strict=True)
            ],
            "puts": [
                self._row(f"{symbol}{stamp}P{int(k * 1000):08d}", k, p, v, k > spot, m, rng)
                | stamps
                for k, p, v, m in zip(strikes, puts, vol, moneyness, strict=True)
            ],
        }

    @staticmethod
    def _row(
        contract: str,
        strike: float,
        price: float,
        vol: float,
        in_the_money: bool,
        moneyness: float,
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        half_spread = max(0.01, price * (0.02 + 0.25 * abs(moneyness)) / 2)
        bid = max(0.0, round(price - half_spread, 2))
        ask = round(max(price + half_spread, bid + 0.01), 2)
        if price < 0.03:
            bid = 0.0
        near = math.exp(-abs(moneyness) * 12)
        row: dict[str, Any] = {
            "contractSymbol": contract,
            "strike": float(strike),
            "currency": "USD",
            "lastPrice": round(max(0.01, price + rng.normal(0, half_spread / 2)), 2),
            "change": 0.0,
            "percentChange": 0.0,
            "volume": int(rng.integers(0, 2000) * near) + 1,
            "openInterest": int(rng.integers(10, 20000) * near),
            "bid": bid,
            "ask": ask,
            "contractSize": "REGULAR",
            "impliedVolatility": round(float(vol), 5),
            "inTheMoney": bool(in_the_money),
        }
        fault = rng.random()
        if fault < 0.02 or (in_the_money and fault < 0.2):
            row["impliedVolatility"] = 1e-05
        elif fault < 0.04:
            row["ask"] = 0.0
        elif fault < 0.08:
            del row["volume"]
        elif fault < 0.10:
            del row["openInterest"]
        return row
