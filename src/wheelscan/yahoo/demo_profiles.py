"""Who the demo market's symbols are, and what one trading day looks like for each.

The listed symbols come from data/demo_profiles.toml (the shipped watchlist and a few
more); any other symbol gets a profile derived from a hash of its name, so it looks
the same every time. A `DemoDay` is one symbol on one session: its price and IV move
around the profile's levels by a draw seeded with the symbol and the session date,
and its earnings and dividends follow the profile's 13-week cycles.

The demo market keeps synthetic hours: Monday to Friday, 09:30 to 16:00 New York,
no holidays. Outside them its quotes are the last close's.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np

from wheelscan.core.expiry import NEW_YORK

PROFILES_FILE = "data/demo_profiles.toml"
LIQUIDITY_TIERS = ("etf", "high", "medium", "low")
CYCLE = timedelta(weeks=13)
OPEN, CLOSE = time(9, 30), time(16, 0)
PRE_OPEN, POST_CLOSE = time(4, 0), time(20, 0)
REPORT_TIME = {"bmo": time(8, 0), "amc": time(16, 0)}
# A report this many days away or nearer is confirmed; a farther one is an estimated window.
CONFIRMED_WITHIN_DAYS = 35
# A declared ex-dividend date is shown this many days ahead; before that, the last one.
DECLARED_WITHIN_DAYS = 45
DEMO_MARK = "(DEMO)"


@dataclass(frozen=True)
class Profile:
    """One symbol's levels; see data/demo_profiles.toml for what each field means."""

    symbol: str
    name: str
    price: float
    iv: float
    skew: float
    smile: float
    liquidity: str
    strike_step: float
    type: str = "EQUITY"
    exchange: str = "NMS"
    dividend: float = 0.0
    ex_dividend: date | None = None
    pay_days: int = 14
    earnings: date | None = None
    earnings_time: str = "amc"
    earnings_move: float = 0.0
    eps: float | None = None
    shares: float | None = None
    operating_cash_flow: float | None = None
    capital_expenditure: float | None = None
    free_cash_flow: float | None = None
    adjusted: bool = False

    @property
    def weekly(self) -> bool:
        """Weekly expirations besides the monthlies (every tier but `low`)."""
        return self.liquidity != "low"


def seed(*parts: object) -> int:
    """A stable 64-bit seed from the parts' text (Python's hash() changes per process)."""
    text = "|".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _profile(symbol: str, table: dict[str, Any]) -> Profile:
    known = {f.name for f in fields(Profile)} - {"symbol"}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"{PROFILES_FILE} [symbols.{symbol}]: unknown keys {sorted(unknown)}")
    profile = Profile(symbol=symbol, **table)
    if profile.liquidity not in LIQUIDITY_TIERS:
        raise ValueError(f"{PROFILES_FILE} [symbols.{symbol}]: liquidity {profile.liquidity!r}")
    return profile


@cache
def listed_profiles() -> dict[str, Profile]:
    """The profiles of data/demo_profiles.toml, by symbol."""
    text = files("wheelscan").joinpath(PROFILES_FILE).read_text(encoding="utf-8")
    return {s: _profile(s, t) for s, t in tomllib.loads(text)["symbols"].items()}


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def derived_profile(symbol: str) -> Profile:
    """A plausible profile for a symbol the table does not list, from a hash of its name."""
    rng = np.random.default_rng(seed("profile", symbol))
    price = round(float(math.exp(rng.uniform(math.log(8), math.log(400)))), 2)
    liquidity = "medium" if rng.random() < 0.4 else "low"
    steps = (25, 100, 250) if liquidity == "medium" else (20, 60, 200)
    strike_step = (0.5, 1.0, 2.5, 5.0)[sum(price >= limit for limit in steps)]
    pays = rng.random() < 0.45
    dividend = round(price * rng.uniform(0.005, 0.05) / 4, 2) * 4 if pays else 0.0
    profitable = rng.random() < 0.75
    eps = price / rng.uniform(10, 45) if profitable else -price * rng.uniform(0.01, 0.05)
    shares = float(math.exp(rng.uniform(math.log(4e7), math.log(2e9))))
    capex = -shares * price * rng.uniform(0.005, 0.04)
    free_cash_flow = shares * eps * rng.uniform(0.5, 1.5)
    first_report = date(2026, 10, 12) + timedelta(days=int(rng.integers(0, 91)))
    first_ex = date(2026, 9, 1) + timedelta(days=int(rng.integers(0, 91)))
    return Profile(
        symbol=symbol,
        name=f"{symbol.title()} Holdings Inc.",
        price=price,
        iv=round(float(rng.uniform(0.22, 0.85)), 3),
        skew=round(float(rng.uniform(0.06, 0.14)), 3),
        smile=round(float(rng.uniform(0.04, 0.07)), 3),
        liquidity=liquidity,
        strike_step=strike_step,
        exchange="NMS" if rng.random() < 0.6 else "NYQ",
        dividend=round(dividend, 2),
        ex_dividend=_weekday_on_or_after(first_ex) if pays else None,
        pay_days=int(rng.integers(10, 31)),
        earnings=_weekday_on_or_after(first_report),
        earnings_time="bmo" if rng.random() < 0.5 else "amc",
        earnings_move=round(float(rng.uniform(0.04, 0.12)), 3),
        eps=round(float(eps), 2),
        shares=round(shares, -4),
        operating_cash_flow=round(free_cash_flow - capex, -5),
        capital_expenditure=round(capex, -5),
        free_cash_flow=round(free_cash_flow, -5),
        adjusted=bool(rng.random() < 0.2),
    )


@cache
def profile_for(symbol: str) -> Profile:
    """The listed profile of `symbol`, else one derived from its name."""
    return listed_profiles().get(symbol) or derived_profile(symbol)


def _previous_weekday(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day


def market_clock(now: datetime) -> tuple[str, datetime]:
    """(marketState, regularMarketTime): now while the demo market is open, else the last close."""
    local = now.astimezone(NEW_YORK)
    weekday, clock = local.weekday() < 5, local.time()
    if weekday and OPEN <= clock < CLOSE:
        return "REGULAR", now.astimezone(UTC).replace(microsecond=0)
    if weekday and PRE_OPEN <= clock < OPEN:
        state = "PRE"
    elif weekday and CLOSE <= clock < POST_CLOSE:
        state = "POST"
    else:
        state = "CLOSED"
    day = local.date() if weekday and clock >= CLOSE else _previous_weekday(local.date())
    return state, datetime.combine(day, CLOSE, tzinfo=NEW_YORK).astimezone(UTC)


def cycle_on_or_after(anchor: date, day: date) -> date:
    """The first date of anchor's 13-week cycle on or after `day`."""
    cycles = math.ceil((day - anchor) / CYCLE)
    return anchor + cycles * CYCLE


def _draws(symbol: str, session: date) -> tuple[float, float]:
    rng = np.random.default_rng(seed("day", symbol, session.isoformat()))
    shocks = np.clip(rng.standard_normal(2), -2.5, 2.5)
    return float(shocks[0]), float(shocks[1])


def day_price(profile: Profile, session: date) -> float:
    """The session's price: the profile's level moved by a draw of about a week's volatility."""
    price_shock, _ = _draws(profile.symbol, session)
    return round(profile.price * math.exp(0.08 * profile.iv * price_shock), 2)


@dataclass(frozen=True)
class Earnings:
    """The quote's earnings fields: the last report, and the next (a window when estimated)."""

    last: datetime
    start: datetime
    end: datetime

    @property
    def estimated(self) -> bool:
        return self.start != self.end


@dataclass(frozen=True)
class Dividend:
    """The dividend Yahoo shows: ex-date and pay date, both 00:00 UTC of the date."""

    ex_date: date
    pay_date: date
    amount: float


def _report(day: date, when: str) -> datetime:
    return datetime.combine(day, REPORT_TIME[when], tzinfo=NEW_YORK).astimezone(UTC)


def earnings_on(profile: Profile, session: date) -> Earnings | None:
    if profile.earnings is None:
        return None
    upcoming = cycle_on_or_after(profile.earnings, session)
    last = _report(upcoming - CYCLE, profile.earnings_time)
    if (upcoming - session).days <= CONFIRMED_WITHIN_DAYS:
        confirmed = _report(upcoming, profile.earnings_time)
        return Earnings(last=confirmed, start=confirmed, end=confirmed)
    start = _report(upcoming, profile.earnings_time)
    end = _report(upcoming + timedelta(weeks=1), profile.earnings_time)
    return Earnings(last=last, start=start, end=end)


def dividend_on(profile: Profile, session: date) -> Dividend | None:
    if profile.ex_dividend is None or profile.dividend <= 0:
        return None
    upcoming = cycle_on_or_after(profile.ex_dividend, session)
    ex_date = upcoming if (upcoming - session).days <= DECLARED_WITHIN_DAYS else upcoming - CYCLE
    pay_date = ex_date + timedelta(days=profile.pay_days)
    return Dividend(ex_date=ex_date, pay_date=pay_date, amount=round(profile.dividend / 4, 4))


@dataclass(frozen=True)
class DemoDay:
    """One symbol on one session, as the demo quotes it."""

    profile: Profile
    market_state: str
    as_of: datetime
    session: date
    price: float
    previous_close: float
    iv: float
    earnings: Earnings | None
    dividend: Dividend | None

    @property
    def dividend_yield(self) -> float:
        """trailingAnnualDividendYield: the annual dividend over today's price."""
        return self.profile.dividend / self.price

    def next_report(self) -> date | None:
        """The next earnings date on or after the session (the window's start when estimated)."""
        return None if self.earnings is None else self.earnings.start.astimezone(NEW_YORK).date()


def demo_day(symbol: str, now: datetime) -> DemoDay:
    """What the demo market shows for `symbol` at `now`."""
    profile = profile_for(symbol)
    state, as_of = market_clock(now)
    session = as_of.astimezone(NEW_YORK).date()
    _, iv_shock = _draws(symbol, session)
    return DemoDay(
        profile=profile,
        market_state=state,
        as_of=as_of,
        session=session,
        price=day_price(profile, session),
        previous_close=day_price(profile, _previous_weekday(session)),
        iv=profile.iv * math.exp(0.05 * iv_shock),
        earnings=earnings_on(profile, session),
        dividend=dividend_on(profile, session),
    )
