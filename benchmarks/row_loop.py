"""SPEC v2 §2–3 one contract at a time in plain Python: the row loop compute.py races.

What a careful script would write without numpy: per expiration, the put–call
parity forward from a dict of call mids; per put, the rules in order, σ by Newton's
method (bisection when a step leaves the bracket) only for the puts that get that
far, then delta, prob_otm and pop from the `math` module. One settlement series
per expiration (16:00): the benchmark's symbols are equities, not indexes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from wheelscan.core.chains import Underlying
from wheelscan.core.earnings import spans_earnings
from wheelscan.core.models import REJECTION_REASONS, Candidate, Criteria
from wheelscan.core.pricing import days_to_expiry, years_to_expiry
from wheelscan.core.valuation import badge_for

# The fields of a contract row, as the loops hand them over.
FIELDS = (
    "contractSymbol",
    "strike",
    "bid",
    "ask",
    "lastPrice",
    "impliedVolatility",
    "openInterest",
    "volume",
    "contractSize",
    "currency",
)
MIN_SIGMA, MAX_SIGMA = 0.01, 5.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _put(f: float, k: float, t: float, sigma: float) -> tuple[float, float]:
    """Undiscounted Black-76 put price and vega."""
    vol_t = sigma * math.sqrt(t)
    d1 = math.log(f / k) / vol_t + vol_t / 2.0
    price = k * norm_cdf(vol_t - d1) - f * norm_cdf(-d1)
    return price, f * math.exp(-d1 * d1 / 2.0) / _SQRT_2PI * math.sqrt(t)


def implied_sigma(mid: float, f: float, k: float, t: float, r: float) -> float:
    """σ in [0.01, 5] pricing the put at `mid`; NaN when none does (1e-9 slack at the ends)."""
    growth = math.exp(r * t)
    target, slack = mid * growth, 1e-9 * growth
    if not target > max(k - f, 0.0):
        return math.nan
    low_price, _ = _put(f, k, t, MIN_SIGMA)
    high_price, _ = _put(f, k, t, MAX_SIGMA)
    if target <= low_price:
        return MIN_SIGMA if low_price - target < slack else math.nan
    if target >= high_price:
        return MAX_SIGMA if target - high_price < slack else math.nan
    low, high = MIN_SIGMA, MAX_SIGMA
    sigma = min(max(_SQRT_2PI * (target - max(k - f, 0.0)) / f / math.sqrt(t), low), high)
    for _ in range(100):
        price, vega = _put(f, k, t, sigma)
        error = price - target
        if abs(error) < 1e-12 * max(k, 1.0):
            return sigma
        if error > 0:
            high = sigma
        else:
            low = sigma
        step = sigma - error / vega if vega > 0 else -1.0
        sigma = step if low < step < high else (low + high) / 2.0
        if high - low < 1e-15:
            break
    return sigma


class RowLoop:
    """The rules for one ticker's expirations, one contract at a time."""

    def __init__(self, criteria: Criteria) -> None:
        self.criteria = criteria
        self.rate = criteria.risk_free_rate_pct / 100.0
        self.rejected = dict.fromkeys(REJECTION_REASONS, 0)
        self.candidates: list[Candidate] = []
        self.forwards: list[float] = []

    def _standard(self, row: Sequence[object]) -> bool:
        symbol = row[0]
        return (
            isinstance(symbol, str)
            and symbol[:-15] == self.root
            and row[8] == "REGULAR"
            and row[9] == self.currency
        )

    def expiration(
        self,
        underlying: Underlying,
        day: str,
        calls: Sequence[Sequence[object]],
        puts: Sequence[Sequence[object]],
    ) -> None:
        """Judge the puts of one expiration (rows of FIELDS), given its calls."""
        expiry = datetime.strptime(day, "%Y-%m-%d").date()
        spot, r = underlying.price, self.rate
        self.root = "".join(ch for ch in underlying.symbol.upper() if ch.isalnum())
        self.currency = underlying.currency or ""
        dte = days_to_expiry(underlying.as_of, expiry)
        years = years_to_expiry(underlying.as_of, expiry)
        spans = spans_earnings(underlying.next_earnings, expiry)
        call_mid: dict[float, float] = {}
        for row in calls:
            k, bid, ask = number(row[1]), number(row[2]), number(row[3])
            if self._standard(row) and bid > 0 and ask >= bid and math.isfinite(ask) and k > 0:
                call_mid.setdefault(k, (bid + ask) / 2.0)
        pairs: dict[float, tuple[float, float]] = {}
        for row in puts:
            k, bid, ask = number(row[1]), number(row[2]), number(row[3])
            two_sided = bid > 0 and ask >= bid and math.isfinite(ask)
            if two_sided and k in call_mid and k not in pairs and self._standard(row):
                pairs[k] = (call_mid[k], (bid + ask) / 2.0)
        forward = spot * math.exp((r - underlying.dividend_yield) * years)
        if pairs:
            smallest = min(abs(c - p) for c, p in pairs.values())
            tied = sorted(k for k, (c, p) in pairs.items() if abs(c - p) <= smallest + 1e-9)
            star = min(tied, key=lambda k: abs(k - spot))
            parity = star + math.exp(r * years) * (pairs[star][0] - pairs[star][1])
            if abs(parity / spot - 1.0) <= 0.02 + 0.10 * years:
                forward = parity
            atm = min(sorted(pairs), key=lambda k: abs(k - forward))
            implied_sigma(pairs[atm][1], forward, atm, years, r)  # atm_iv, as the scan reports
        self.forwards.append(forward)
        in_window = self.criteria.min_dte <= dte <= self.criteria.max_dte and years > 0
        for row in puts:
            self.contract(row, day, dte, years, forward, spot, spans, in_window)

    def contract(
        self,
        row: Sequence[object],
        day: str,
        dte: int,
        years: float,
        forward: float,
        spot: float,
        spans: bool,
        in_window: bool,
    ) -> None:
        criteria, r = self.criteria, self.rate
        strike, bid, ask, last, iv, raw_oi, volume = map(number, row[1:8])
        mid = (bid + ask) / 2.0
        sigma = delta = annualized = spread = math.nan
        if not in_window:
            reason = "dte"
        elif not self._standard(row):
            reason = "nonstandard"
        elif not (strike > 0 and math.isfinite(strike) and ask > 0 and math.isfinite(ask)) or (
            ask < bid
        ):
            reason = "bad_quote"
        elif not strike < spot:
            reason = "itm"
        elif not bid > 0:
            reason = "no_bid"
        elif bid < criteria.min_bid:
            reason = "low_bid"
        elif math.isnan(sigma := implied_sigma(mid, forward, strike, years, r)):
            reason = "no_iv"
        elif spans and criteria.earnings == "exclude":
            reason = "earnings"
        elif not (annualized := bid / strike * 365.0 / max(dte, 1) * 100.0) >= (
            criteria.min_return_pct
        ):
            reason = "return"
        else:
            vol_t = sigma * math.sqrt(years)
            d1 = math.log(forward / strike) / vol_t + vol_t / 2.0
            delta = -forward / spot * math.exp(-r * years) * norm_cdf(-d1)
            oi = 0.0 if math.isnan(raw_oi) else raw_oi
            spread = (ask - bid) / mid * 100.0
            if not delta >= -criteria.max_delta:
                reason = "delta"
            elif not oi >= criteria.min_open_interest:
                reason = "oi"
            elif not spread <= criteria.max_spread_pct:
                reason = "spread"
            else:
                reason = ""
        if reason:
            self.rejected[reason] += 1
            return
        d2 = d1 - vol_t
        breakeven = strike - bid
        pop = 1.0
        if breakeven > 0:
            pop = norm_cdf((math.log(forward / breakeven) - vol_t * vol_t / 2.0) / vol_t)
        self.candidates.append(
            Candidate(
                contract=str(row[0]),
                expiration=day,
                dte=dte,
                strike=strike,
                bid=bid,
                ask=ask,
                mid=mid,
                last=last if math.isfinite(last) else None,
                iv=sigma,
                iv_yahoo=iv if math.isfinite(iv) else None,
                delta=delta,
                prob_otm=norm_cdf(d2),
                pop=pop,
                annualized_return_pct=annualized,
                otm_pct=(spot - strike) / spot * 100.0,
                cushion_pct=(spot - breakeven) / spot * 100.0,
                spread_pct=spread,
                open_interest=int(raw_oi) if math.isfinite(raw_oi) else None,
                volume=int(volume) if math.isfinite(volume) else None,
                collateral=strike * 100.0,
                breakeven=breakeven,
                spans_earnings=spans,
                badge=badge_for(strike, None),
            )
        )
