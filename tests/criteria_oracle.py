"""SPEC v2 §2–3 for one ticker, row by row over Yahoo's raw answers: the test oracle.

Written apart from src/wheelscan: it reads the quote and the rows as plain dicts,
takes σ, the forward and the per-contract figures from tests/oracle.py (bisection,
math.erfc), and walks SPEC 3's rules one contract at a time, stopping at the first
that applies. Slow on purpose.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

import oracle

REASONS = (
    "dte",
    "nonstandard",
    "bad_quote",
    "itm",
    "no_bid",
    "low_bid",
    "no_iv",
    "earnings",
    "return",
    "delta",
    "oi",
    "spread",
)


@dataclass(frozen=True)
class Rules:
    """SPEC 3's criteria, spelled out as the spec names them (not read from Criteria)."""

    min_dte: int = 1
    max_dte: int = 28
    min_bid: float = 0.05
    min_return_pct: float = 30.0
    max_delta: float = 0.20
    min_open_interest: float = 10
    max_spread_pct: float = 40.0
    rate_pct: float = 4.0
    earnings: str = "exclude"


@dataclass
class Outcome:
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # contract symbol -> reason
    rejected: Counter[str] = field(default_factory=Counter)
    expirations: list[dict[str, Any]] = field(default_factory=list)


def number(value: Any) -> float:
    """A JSON number as a float; NaN for anything else (missing, text, a bool)."""
    if type(value) in (int, float):
        try:
            return float(value)
        except OverflowError:
            return math.nan
    return math.nan


def _text(value: Any) -> str:
    return value if type(value) is str else ""


def _own_root(symbol: str) -> str:
    return "".join(ch for ch in symbol.upper() if ch.isalnum())


def _root(contract: str) -> str:
    return contract[: len(contract) - 15] if len(contract) > 15 else ""


def _is_standard(row: dict[str, Any], allowed: set[str], currency: str) -> bool:
    contract = _text(row.get("contractSymbol"))
    return (
        _root(contract) in allowed
        and _text(row.get("contractSize")) == "REGULAR"
        and _text(row.get("currency")) == currency
    )


def evaluate(
    symbol: str,
    quote: dict[str, Any],
    answers: list[tuple[str, list[Any], list[Any]]],
    rules: Rules,
) -> Outcome:
    """`answers`: (expiration YYYY-MM-DD, calls rows, puts rows) per fetched expiration."""
    spot = float(quote["regularMarketPrice"])
    stamp = float(quote["regularMarketTime"])
    r = rules.rate_pct / 100.0
    raw_yield = quote.get("trailingAnnualDividendYield")
    today = date.fromisoformat(oracle.ny_day(stamp))
    quote_type = quote.get("quoteType")
    currency = _text(quote.get("currency"))
    own = _own_root(symbol)
    is_index = quote_type == "INDEX"
    allowed = {own, own + "W", own + "P"} if is_index else {own}
    earnings = oracle.next_earnings(quote, stamp)
    outcome = Outcome()
    for day, raw_calls, raw_puts in answers:
        calls = [row for row in raw_calls if type(row) is dict]
        puts = [row for row in raw_puts if type(row) is dict]
        dte = (date.fromisoformat(day) - today).days
        series = {}
        for am in (False, True):
            in_series = [
                [
                    row
                    for row in rows
                    if _is_standard(row, allowed, currency)
                    and (is_index and _root(_text(row.get("contractSymbol"))) == own) == am
                ]
                for rows in (calls, puts)
            ]
            t = oracle.years_between(stamp, day, am)
            numeric = [
                [{k: number(v) for k, v in row.items()} for row in rows] for rows in in_series
            ]
            series[am] = (t, oracle.expiry_figures(*numeric, spot, t, r, raw_yield), in_series)
        pm_listed = any(series[False][2])
        _, shown, _ = series[False] if pm_listed or not is_index else series[True]
        outcome.expirations.append(
            {
                "expiration": day,
                "dte": dte,
                "forward": shown.forward,
                "forward_source": shown.source,
                "atm_iv": shown.atm_iv,
                "expected_move": shown.expected_move,
                "expected_move_pct": None
                if shown.expected_move is None
                else shown.expected_move / spot * 100,
            }
        )
        spans = earnings is not None and earnings[0] <= day
        for row in puts:
            contract = _text(row.get("contractSymbol"))
            am = is_index and _root(contract) == own
            t, figures, _ = series[am]
            standard = _is_standard(row, allowed, currency)
            reason, found = _judge(row, dte, t, figures.forward, spans, standard, spot, r, rules)
            if reason:
                outcome.rejected[reason] += 1
                outcome.reasons[contract] = reason
            else:
                outcome.candidates[contract] = found | {"expiration": day, "dte": dte}
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
    rules: Rules,
) -> tuple[str, dict[str, Any]]:
    """The first reason that applies to one put, or "" and its figures."""
    k, bid, ask = number(row.get("strike")), number(row.get("bid")), number(row.get("ask"))
    raw_oi = number(row.get("openInterest"))
    if not (rules.min_dte <= dte <= rules.max_dte) or not t > 0:
        return "dte", {}
    if not standard:
        return "nonstandard", {}
    if not (k > 0 and math.isfinite(k)) or not (ask > 0 and math.isfinite(ask)) or ask < bid:
        return "bad_quote", {}
    if not k < spot:
        return "itm", {}
    if not bid > 0:
        return "no_bid", {}
    if bid < rules.min_bid:
        return "low_bid", {}
    mid = (bid + ask) / 2
    figures = oracle.contract_figures(False, mid, bid, spot, forward, k, t, r)
    if figures.sigma is None:
        return "no_iv", {}
    if spans and rules.earnings == "exclude":
        return "earnings", {}
    annual = bid / k * 365 / max(dte, 1) * 100
    if not annual >= rules.min_return_pct:
        return "return", {}
    assert figures.delta is not None
    if figures.delta < -rules.max_delta:
        return "delta", {}
    if not (0.0 if math.isnan(raw_oi) else raw_oi) >= rules.min_open_interest:
        return "oi", {}
    spread = (ask - bid) / mid * 100
    if not spread <= rules.max_spread_pct:
        return "spread", {}
    return "", {
        "strike": k,
        "bid": bid,
        "ask": ask,
        "mid": mid,
        "iv": figures.sigma,
        "iv_yahoo": _finite_or_none(number(row.get("impliedVolatility"))),
        "delta": figures.delta,
        "prob_otm": figures.prob_otm,
        "pop": figures.pop,
        "annualized_return_pct": annual,
        "otm_pct": (spot - k) / spot * 100,
        "cushion_pct": (spot - (k - bid)) / spot * 100,
        "spread_pct": spread,
        "collateral": k * 100,
        "breakeven": k - bid,
        "spans_earnings": spans,
    }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def assert_matches(evaluation: Any, outcome: Outcome, tolerance: float = 1e-9) -> None:
    """The product's evaluation (or TickerResult) has the oracle's counts, candidates and
    figures, and its expirations' figures, to `tolerance`."""
    assert evaluation.rejected == {r: outcome.rejected.get(r, 0) for r in REASONS}
    got = {c.contract: c for c in evaluation.candidates}
    assert set(got) == set(outcome.candidates)
    for contract, figures in outcome.candidates.items():
        for name, value in figures.items():
            mine = getattr(got[contract], name)
            if isinstance(value, float) and isinstance(mine, float):
                assert mine == pytest.approx(value, abs=tolerance, rel=tolerance), (contract, name)
            else:
                assert mine == value, (contract, name)
    assert len(evaluation.expirations) == len(outcome.expirations)
    for mine, theirs in zip(evaluation.expirations, outcome.expirations, strict=True):
        for name, value in theirs.items():
            got_value = getattr(mine, name)
            if isinstance(value, float):
                assert got_value == pytest.approx(value, abs=tolerance), name
            else:
                assert got_value == value, name
