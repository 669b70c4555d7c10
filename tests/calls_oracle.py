"""SPEC v2 §9's covered calls for one holding, row by row over Yahoo's raw answers: the oracle.

Written apart from src/wheelscan: plain dicts and floats, σ by bisection and N() by
math.erfc from tests/oracle.py, the forward from the same module's parity search,
and SPEC 9's rules walked one call at a time, stopping at the first that applies.
The holding's basis and adjusted basis are given by the test (worked out by hand
from its ledger), never read from the product. Slow on purpose.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import oracle
from criteria_oracle import _is_standard, _own_root, _text, number

REASONS = (
    "dte",
    "nonstandard",
    "bad_quote",
    "itm",
    "below_basis",
    "no_bid",
    "no_iv",
    "earnings",
    "return",
    "delta",
)


@dataclass(frozen=True)
class CallRules:
    """SPEC 9's covered-call criteria as the spec states them (not read from CallCriteria)."""

    min_dte: int = 1
    max_dte: int = 28
    max_delta: float = 0.30
    min_return_pct: float = 12.0
    min_strike: str = "adjusted"
    earnings: str = "exclude"
    rate_pct: float = 4.0


@dataclass(frozen=True)
class Holding:
    basis: float
    adjusted_basis: float


@dataclass
class CallOutcome:
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)


def evaluate_calls(
    symbol: str,
    quote: dict[str, Any],
    answers: list[tuple[str, list[Any], list[Any]]],
    holding: Holding,
    rules: CallRules,
    dividend: tuple[str, float | None] | None = None,
) -> CallOutcome:
    """`answers`: (expiration YYYY-MM-DD, calls rows, puts rows); `dividend`: (ex-date,
    amount per share or None) as Yahoo lists it, or None. Equities and ETFs only."""
    spot = float(quote["regularMarketPrice"])
    stamp = float(quote["regularMarketTime"])
    r = rules.rate_pct / 100.0
    today = oracle.ny_day(stamp)
    currency = _text(quote.get("currency"))
    allowed = {_own_root(symbol)}
    earnings = oracle.next_earnings(quote, stamp)
    floor = {
        "adjusted": holding.adjusted_basis,
        "basis": holding.basis,
        "none": None,
    }[rules.min_strike]
    outcome = CallOutcome()
    for day, raw_calls, raw_puts in answers:
        calls = [row for row in raw_calls if type(row) is dict]
        puts = [row for row in raw_puts if type(row) is dict]
        dte = (date.fromisoformat(day) - date.fromisoformat(today)).days
        t = oracle.years_between(stamp, day)
        standard = [
            [
                {k: number(v) for k, v in row.items()}
                for row in rows
                if _is_standard(row, allowed, currency)
            ]
            for rows in (calls, puts)
        ]
        forward = oracle.expiry_figures(
            *standard, spot, t, r, quote.get("trailingAnnualDividendYield")
        ).forward
        spans = earnings is not None and earnings[0] <= day
        ex_before = dividend is not None and today < dividend[0] <= day
        for row in calls:
            contract = _text(row.get("contractSymbol"))
            is_standard = _is_standard(row, allowed, currency)
            reason, found = _judge(
                row, dte, t, forward, spans, is_standard, spot, r, floor, holding, rules
            )
            if reason:
                outcome.rejected[reason] += 1
                outcome.reasons[contract] = reason
                continue
            extrinsic = found["mid"] - max(spot - found["strike"], 0.0)
            if not ex_before:
                risk: bool | None = False
            elif dividend is None or dividend[1] is None:
                risk = None
            else:
                risk = extrinsic < dividend[1]
            outcome.candidates[contract] = found | {
                "expiration": day,
                "dte": dte,
                "extrinsic": extrinsic,
                "ex_dividend_before_expiry": ex_before,
                "early_assignment_risk": risk,
            }
    return outcome


def _judge(
    row: dict[str, Any],
    dte: int,
    t: float,
    forward: float,
    spans: bool,
    standard: bool,
    spot: float,
    r: float,
    floor: float | None,
    holding: Holding,
    rules: CallRules,
) -> tuple[str, dict[str, Any]]:
    k, bid, ask = number(row.get("strike")), number(row.get("bid")), number(row.get("ask"))
    if not (rules.min_dte <= dte <= rules.max_dte) or not t > 0:
        return "dte", {}
    if not standard:
        return "nonstandard", {}
    if not (k > 0 and math.isfinite(k)) or not (ask > 0 and math.isfinite(ask)) or ask < bid:
        return "bad_quote", {}
    if not k > spot:
        return "itm", {}
    if floor is not None and k < floor:
        return "below_basis", {}
    if not bid > 0:
        return "no_bid", {}
    mid = (bid + ask) / 2
    figures = oracle.contract_figures(True, mid, bid, spot, forward, k, t, r)
    if figures.sigma is None:
        return "no_iv", {}
    if spans and rules.earnings == "exclude":
        return "earnings", {}
    static = bid / spot * 365 / dte * 100
    if not static >= rules.min_return_pct:
        return "return", {}
    assert figures.delta is not None
    if figures.delta > rules.max_delta:
        return "delta", {}
    adjusted = holding.adjusted_basis
    raw_oi, raw_volume = number(row.get("openInterest")), number(row.get("volume"))
    return "", {
        "strike": k,
        "bid": bid,
        "ask": ask,
        "mid": mid,
        "iv": figures.sigma,
        "delta": figures.delta,
        "prob_otm": figures.prob_otm,
        "pop": figures.pop,
        "annualized_return_pct": static,
        "if_called_return_pct": (bid + k - adjusted) / adjusted * 100 if adjusted > 0 else None,
        "otm_pct": (k - spot) / spot * 100,
        "spread_pct": (ask - bid) / mid * 100,
        "open_interest": None if math.isnan(raw_oi) else int(raw_oi),
        "volume": None if math.isnan(raw_volume) else int(raw_volume),
        "spans_earnings": spans,
    }
