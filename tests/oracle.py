"""An independent, row-by-row computation of the SPEC v2 §2 figures, to check the product.

Written apart from src/wheelscan/core: plain Python floats, the normal CDF from
math.erfc, σ by plain bisection on the quoted price itself (no parity
transformation, no Newton), settlement times from UTC offsets, earnings from
dates compared as text. Slow on purpose: clarity over speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOW_SIGMA = 0.01
HIGH_SIGMA = 5.0
YEAR_SECONDS = 365.0 * 24 * 60 * 60
NY = ZoneInfo("America/New_York")


def cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def d_pair(f: float, k: float, t: float, sigma: float) -> tuple[float, float]:
    s = sigma * math.sqrt(t)
    d1 = (math.log(f) - math.log(k)) / s + 0.5 * s
    return d1, d1 - s


def black_put(f: float, k: float, t: float, r: float, sigma: float) -> float:
    d1, d2 = d_pair(f, k, t, sigma)
    return math.exp(-r * t) * (k * cdf(-d2) - f * cdf(-d1))


def black_call(f: float, k: float, t: float, r: float, sigma: float) -> float:
    d1, d2 = d_pair(f, k, t, sigma)
    return math.exp(-r * t) * (f * cdf(d1) - k * cdf(d2))


def bs_put(s: float, k: float, t: float, r: float, q: float, sigma: float) -> float:
    """Black–Scholes–Merton on spot with a continuous dividend yield (Hull 17.4)."""
    v = sigma * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + sigma * sigma / 2) * t) / v
    return k * math.exp(-r * t) * cdf(-(d1 - v)) - s * math.exp(-q * t) * cdf(-d1)


def implied_sigma(
    is_call: bool, premium: float, f: float, k: float, t: float, r: float
) -> float | None:
    """Bisection on [0.01, 5]: None when the premium lies outside the prices of the two ends."""
    if not (t > 0 and f > 0 and k > 0 and math.isfinite(premium)):
        return None
    price = black_call if is_call else black_put
    intrinsic = math.exp(-r * t) * max((f - k) if is_call else (k - f), 0.0)
    if premium <= intrinsic:
        return None
    low, high = LOW_SIGMA, HIGH_SIGMA
    if premium < price(f, k, t, r, low) - 1e-9 or premium > price(f, k, t, r, high) + 1e-9:
        return None
    for _ in range(200):
        middle = (low + high) / 2
        if price(f, k, t, r, middle) > premium:
            high = middle
        else:
            low = middle
        if high - low < 1e-15:
            break
    return (low + high) / 2


def settlement_seconds(expiration: str, am: bool) -> float:
    """Epoch seconds of 09:30 / 16:00 New York on an ISO date, via that day's UTC offset."""
    day = datetime.strptime(expiration, "%Y-%m-%d")
    local = day.replace(hour=9, minute=30) if am else day.replace(hour=16)
    offset = local.replace(tzinfo=NY).utcoffset()
    assert offset is not None
    return (local - offset).replace(tzinfo=UTC).timestamp()


def years_between(as_of_epoch: float, expiration: str, am: bool = False) -> float:
    return (settlement_seconds(expiration, am) - as_of_epoch) / YEAR_SECONDS


def ny_day(epoch: float) -> str:
    return (
        (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch))
        .astimezone(NY)
        .strftime("%Y-%m-%d")
    )


def clipped_yield(raw: Any) -> float:
    if type(raw) not in (int, float) or raw != raw or raw in (math.inf, -math.inf):
        return 0.0
    return min(0.15, max(0.0, float(raw)))


@dataclass
class Expiry:
    forward: float
    source: str
    atm_strike: float | None
    atm_iv: float | None
    expected_move: float | None


def _quoted(row: dict[str, Any]) -> bool:
    bid, ask, strike = row.get("bid"), row.get("ask"), row.get("strike")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (bid, ask, strike)):
        return False
    return bid > 0 and ask >= bid and strike > 0 and math.isfinite(ask)


def expiry_figures(
    calls: list[dict[str, Any]],
    puts: list[dict[str, Any]],
    spot: float,
    t: float,
    r: float,
    raw_yield: Any,
) -> Expiry:
    call_mid: dict[float, float] = {}
    for row in calls:
        if _quoted(row) and row["strike"] not in call_mid:
            call_mid[row["strike"]] = (row["bid"] + row["ask"]) / 2
    pairs: list[tuple[float, float, float]] = []
    seen: set[float] = set()
    for row in puts:
        k = row.get("strike")
        if _quoted(row) and k in call_mid and k not in seen:
            seen.add(k)
            pairs.append((float(k), call_mid[k], (row["bid"] + row["ask"]) / 2))
    pairs.sort()
    forward, source = spot * math.exp((r - clipped_yield(raw_yield)) * t), "carry"
    if pairs:
        smallest = min(abs(c - p) for _, c, p in pairs)
        near = [pair for pair in pairs if abs(pair[1] - pair[2]) <= smallest + 1e-9]
        best = near[0]
        for pair in near[1:]:
            if abs(pair[0] - spot) < abs(best[0] - spot):
                best = pair
        k, c, p = best
        candidate = k + math.exp(r * t) * (c - p)
        if abs(candidate / spot - 1) <= 0.02 + 0.10 * t:
            forward, source = candidate, "parity"
    if not pairs:
        return Expiry(forward, source, None, None, None)
    atm = pairs[0]
    for pair in pairs[1:]:
        if abs(pair[0] - forward) < abs(atm[0] - forward):
            atm = pair
    iv = implied_sigma(False, atm[2], forward, atm[0], t, r)
    return Expiry(forward, source, atm[0], iv, atm[1] + atm[2])


@dataclass
class Row:
    sigma: float | None
    delta: float | None
    prob_otm: float | None
    pop: float | None


def contract_figures(
    is_call: bool,
    premium: float,
    bid: float,
    spot: float,
    f: float,
    k: float,
    t: float,
    r: float,
) -> Row:
    sigma = implied_sigma(is_call, premium, f, k, t, r)
    if sigma is None:
        return Row(None, None, None, None)
    d1, d2 = d_pair(f, k, t, sigma)
    scale = f / spot * math.exp(-r * t)
    if is_call:
        breakeven_d2 = d_pair(f, k + bid, t, sigma)[1]
        return Row(sigma, scale * cdf(d1), cdf(-d2), cdf(-breakeven_d2))
    below = k - bid
    chance = 1.0 if below <= 0 else cdf(d_pair(f, below, t, sigma)[1])
    return Row(sigma, -scale * cdf(-d1), cdf(d2), chance)


def next_earnings(quote: dict[str, Any], as_of_epoch: float) -> tuple[str, bool] | None:
    today = ny_day(as_of_epoch)
    days = []
    for key in ("earningsTimestamp", "earningsTimestampStart", "earningsTimestampEnd"):
        value = quote.get(key)
        if type(value) in (int, float) and value == value and abs(value) < 1e11:
            day = ny_day(value)
            if day >= today:
                days.append(day)
    if not days:
        return None
    start, end = quote.get("earningsTimestampStart"), quote.get("earningsTimestampEnd")
    both = type(start) in (int, float) and type(end) in (int, float)
    return min(days), bool(both and start != end)
