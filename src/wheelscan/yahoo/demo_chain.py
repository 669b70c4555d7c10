"""One expiration of the demo market: strikes, Black-76 prices, quotes, Yahoo's rows.

Calls and puts share one volatility per strike: the day's at-the-money IV (with the
earnings move added as variance when the report falls before expiry) shaped by the
profile's skew and smile in standardized moneyness. Both are priced with Black-76
on the forward S·e^((r−q)T), q the dividend yield, so put–call parity holds on the
mids. Quotes are rounded to the tick outward from the model price; widths, tick
sizes and open interest follow the profile's liquidity tier. A few rows carry the
faults Yahoo's have: a crossed quote, an ask of 0 or a placeholder ask as high as
the strike, no bid, a missing strike, volume or open interest, Yahoo's 1e-05 IV
placeholder, and for adjusted profiles an adjusted contract (root + "1") priced on
another deliverable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np

from wheelscan.core import black76
from wheelscan.core.expiry import years_to_expiry
from wheelscan.core.occ import underlying_root
from wheelscan.yahoo.demo_profiles import DemoDay, seed

RATE = 0.04  # the demo market's rate, SPEC 2's default risk_free_rate_pct
MIN_YEARS = 1.0 / (365 * 24)  # an expired chain is priced as if an hour were left
MAX_SMILE = 3.0  # no strike's IV above 3× (or below 0.6×) the at-the-money IV
MIN_SMILE = 0.6
MAX_VOL = 4.0
COARSE_STEP = {0.5: 1.0, 1.0: 5.0, 2.5: 5.0, 5.0: 10.0}
ADJUSTED_DELIVERABLE = 0.85  # an adjusted contract's deliverable, in shares of the stock
YAHOO_IV_PLACEHOLDER = 1e-05


@dataclass(frozen=True)
class Quoting:
    """A liquidity tier: ticks below/above $3, half-spread = absolute + relative × price."""

    small_tick: float
    large_tick: float
    half_spread: float
    relative_half_spread: float
    open_interest: float  # a near-the-money monthly's, before noise

    def tick(self, price: np.ndarray) -> np.ndarray:
        return np.where(price < 3.0, self.small_tick, self.large_tick)


QUOTING = {
    "etf": Quoting(0.01, 0.01, 0.005, 0.0025, 40_000),
    "high": Quoting(0.01, 0.05, 0.01, 0.006, 12_000),
    "medium": Quoting(0.01, 0.05, 0.01, 0.012, 4_000),
    "low": Quoting(0.05, 0.10, 0.03, 0.04, 300),
}


def atm_vol(day: DemoDay, years: float, spans_earnings: bool) -> float:
    """The day's at-the-money IV; a report before expiry adds move² to the total variance."""
    if not spans_earnings:
        return day.iv
    return min(math.sqrt(day.iv**2 + day.profile.earnings_move**2 / years), MAX_SMILE)


def smile_vol(
    day: DemoDay, atm: float, forward: float, strike: np.ndarray, years: float
) -> np.ndarray:
    """IV per strike: atm × (1 − skew·x + smile·x²), x = ln(K/F)/(atm·√T), clipped."""
    x = np.log(strike / forward) / (atm * math.sqrt(years))
    shape = 1.0 - day.profile.skew * x + day.profile.smile * x**2
    return np.minimum(atm * np.clip(shape, MIN_SMILE, MAX_SMILE), MAX_VOL)


def strikes(step: float, forward: float, atm: float, years: float) -> np.ndarray:
    """The step near the money, a coarser one farther out, spanning several σ each side."""
    spread = atm * math.sqrt(years)
    coarse = COARSE_STEP.get(step, step * 2)
    near = max(0.10, 2.0 * spread, 8 * step / forward)
    low = -max(0.30, 4.0 * spread, 12 * coarse / forward)
    high = max(0.20, 3.0 * spread, 8 * coarse / forward)

    def grid(increment: float, lo: float, hi: float) -> set[float]:
        first = math.ceil(forward * math.exp(lo) / increment)
        last = math.floor(forward * math.exp(hi) / increment)
        return {round(i * increment, 4) for i in range(max(first, 1), last + 1)}

    return np.array(sorted(grid(step, -near, near) | grid(coarse, low, high)))


def occ_symbol(root: str, expiration: date, kind: str, strike: float) -> str:
    flag = "C" if kind == "call" else "P"
    return f"{root}{expiration:%y%m%d}{flag}{round(strike * 1000):08d}"


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class _Book:
    """Model prices and quotes of one kind at every strike, as arrays."""

    strike: np.ndarray
    theo: np.ndarray
    vol: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    open_interest: np.ndarray
    volume: np.ndarray
    in_the_money: np.ndarray


def _quote(
    quoting: Quoting, theo: np.ndarray, distance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask around `theo`, rounded outward to the tick; no bid below one tick."""
    tick = quoting.tick(theo)
    half = (quoting.half_spread + quoting.relative_half_spread * theo) * (1 + 0.15 * distance)
    bid = np.floor((theo - half) / tick + 1e-9) * tick
    bid = np.where(bid >= tick, bid, 0.0)
    ask = np.maximum(np.ceil((theo + half) / tick - 1e-9) * tick, tick)
    return np.round(bid, 2), np.round(ask, 2)


def _book(
    day: DemoDay,
    kind: Literal["call", "put"],
    strike: np.ndarray,
    forward: float,
    years: float,
    atm: float,
    rng: np.random.Generator,
    monthly: bool,
    quoting: Quoting,
) -> _Book:
    vol = smile_vol(day, atm, forward, strike, years)
    theo = np.maximum(black76.price(kind, forward, strike, years, RATE, vol), 0.0)
    distance = np.abs(np.log(strike / forward)) / (atm * math.sqrt(years))
    bid, ask = _quote(quoting, theo, distance)
    in_the_money = strike < day.price if kind == "call" else strike > day.price
    step = day.profile.strike_step
    round_strike = np.isclose(np.mod(strike, 5 * step), 0.0) | np.isclose(
        np.mod(strike, 5 * step), 5 * step
    )
    interest = (
        quoting.open_interest
        * np.exp(-0.5 * (distance / 1.5) ** 2)
        * (1.0 if monthly else 0.35)
        * np.where(round_strike, 1.8, 1.0)
        * np.where(in_the_money, 0.5, 1.0)
        * rng.lognormal(0.0, 0.6, strike.size)
    )
    open_interest = np.floor(interest).astype(int)
    volume = np.floor(interest * rng.uniform(0.0, 0.3, strike.size)).astype(int)
    return _Book(strike, theo, vol, bid, ask, open_interest, volume, in_the_money)


def _rows(
    contracts: list[str],
    book: _Book,
    rng: np.random.Generator,
    expiration: date,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Yahoo's rows for a book, about one in thirty with one of Yahoo's faults."""
    n = book.strike.size
    last = np.maximum(0.01, np.round(book.theo * np.exp(rng.normal(0.0, 0.04, n)), 2))
    previous = np.maximum(0.01, np.round(last * np.exp(rng.normal(0.0, 0.1, n)), 2))
    traded = book.volume > 0
    age = np.where(traded, rng.uniform(0, 45 * 60, n), rng.integers(1, 10, n) * 86400 + 3600)
    placeholder = (book.bid == 0) | (book.in_the_money & (rng.random(n) < 0.2))
    iv_yahoo = np.where(
        placeholder, YAHOO_IV_PLACEHOLDER, np.round(book.vol * np.exp(rng.normal(0, 0.02, n)), 8)
    )
    fault = rng.random(n)
    drop_volume = ~traded | (rng.random(n) < 0.03)  # Yahoo leaves out a volume of 0
    drop_interest = rng.random(n) < 0.012
    columns = zip(
        contracts,
        book.strike.tolist(),
        last.tolist(),
        np.round(last - previous, 2).tolist(),
        np.round((last - previous) / previous * 100, 6).tolist(),
        book.volume.tolist(),
        book.open_interest.tolist(),
        book.bid.tolist(),
        book.ask.tolist(),
        (int(as_of.timestamp()) - age.astype(int)).tolist(),
        iv_yahoo.tolist(),
        book.in_the_money.tolist(),
        fault.tolist(),
        drop_volume.tolist(),
        drop_interest.tolist(),
        strict=True,
    )
    rows = []
    for (
        contract,
        strike,
        price,
        change,
        pct,
        volume,
        interest,
        bid,
        ask,
        traded_at,
        iv,
        itm,
        *f,
    ) in columns:
        row: dict[str, Any] = {
            "contractSymbol": contract,
            "strike": strike,
            "currency": "USD",
            "lastPrice": price,
            "change": change,
            "percentChange": pct,
            "volume": volume,
            "openInterest": interest,
            "bid": bid,
            "ask": ask,
            "contractSize": "REGULAR",
            "expiration": _epoch(expiration),
            "lastTradeDate": traded_at,
            "impliedVolatility": iv,
            "inTheMoney": itm,
        }
        _break(row, *f)
        rows.append(row)
    return rows


def _break(row: dict[str, Any], fault: float, drop_volume: bool, drop_interest: bool) -> None:
    if fault < 0.006 and 0 < row["bid"] < row["ask"]:
        row["bid"], row["ask"] = row["ask"], row["bid"]  # crossed: ask < bid
    elif 0.006 <= fault < 0.012 and row["bid"] > 0:
        row["ask"] = 0.0
    elif 0.012 <= fault < 0.015:
        del row["strike"]
    elif 0.015 <= fault < 0.025:
        row["bid"] = 0.0
    elif 0.025 <= fault < 0.029 and row["bid"] > 0 and not row["inTheMoney"]:
        row["ask"] = row["strike"]  # a placeholder ask no volatility prices
    if drop_volume:
        del row["volume"]
    if drop_interest:
        del row["openInterest"]


def _by_strike(row: dict[str, Any]) -> tuple[int, str]:
    """Yahoo's order: by strike (read from the symbol, as a row may lack it), then symbol."""
    return int(row["contractSymbol"][-8:]), row["contractSymbol"]


def chain_json(day: DemoDay, expiration: date, monthly: bool) -> dict[str, Any]:
    """Yahoo's `options[0]` for one expiration: calls and puts, sorted by strike."""
    profile = day.profile
    years = max(years_to_expiry(day.as_of, expiration), MIN_YEARS)
    report = day.next_report()
    atm = atm_vol(day, years, report is not None and report <= expiration)
    forward = day.price * math.exp((RATE - day.dividend_yield) * years)
    grid = strikes(profile.strike_step, forward, atm, years)
    quoting = QUOTING[profile.liquidity]
    rng = np.random.default_rng(seed("chain", profile.symbol, day.session, expiration))
    root = underlying_root(profile.symbol)
    sides: dict[str, list[dict[str, Any]]] = {}
    for kind in ("call", "put"):
        book = _book(day, kind, grid, forward, years, atm, rng, monthly, quoting)
        contracts = [occ_symbol(root, expiration, kind, k) for k in book.strike.tolist()]
        rows = _rows(contracts, book, rng, expiration, day.as_of)
        if profile.adjusted and monthly:
            rows += _adjusted_rows(day, kind, grid, forward, years, atm, rng, expiration)
        rows.sort(key=_by_strike)
        sides[f"{kind}s"] = rows
    return {
        "expirationDate": _epoch(expiration),
        "hasMiniOptions": False,
        "calls": sides["calls"],
        "puts": sides["puts"],
    }


def _adjusted_rows(
    day: DemoDay,
    kind: Literal["call", "put"],
    grid: np.ndarray,
    forward: float,
    years: float,
    atm: float,
    rng: np.random.Generator,
    expiration: date,
) -> list[dict[str, Any]]:
    """A few contracts left over from a corporate action, on another deliverable."""
    step = 5 * day.profile.strike_step
    near = grid[(np.abs(np.log(grid / forward)) < 0.1) & np.isclose(np.mod(grid, step), 0.0)]
    if near.size == 0:
        return []
    deliverable = forward * ADJUSTED_DELIVERABLE
    book = _book(day, kind, near, deliverable, years, atm, rng, True, QUOTING["low"])
    root = underlying_root(day.profile.symbol) + "1"
    contracts = [occ_symbol(root, expiration, kind, k) for k in book.strike.tolist()]
    return _rows(contracts, book, rng, expiration, day.as_of)
