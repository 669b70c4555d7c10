"""Covered calls on uncovered shares (SPEC 9): which calls qualify, and why the others do not.

The calls of a held symbol's chains are priced the way core/criteria.py prices puts
(each expiration's forward from put–call parity or the carry, σ by Black-76 from the
call's own mid, delta to spot) and judged by `CallCriteria`. Every call gets either
a place among the candidates or exactly one reason, the first in the order of
`CALL_REJECTION_REASONS`. Pure: no I/O.

Returns are on the shares, not on collateral: the static return is bid / S × 365 /
DTE (the premium alone, shares kept), the if-called return (bid + K − adjusted
basis) / adjusted basis (premium and the gain to the strike, shares called away).
A call may be assigned early when its owner would rather have the dividend: an
ex-dividend date after as_of and on or before expiration, and the call's extrinsic
value (mid − max(S − K, 0)) below the dividend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from wheelscan.core import black76
from wheelscan.core.call_criteria import (
    CALL_REJECTION_REASONS,
    CallCriteria,
    ExDividend,
    dividend_before_expiry,
    strike_floor,
)
from wheelscan.core.chain_pricing import price_chains
from wheelscan.core.chains import OptionChain, Underlying
from wheelscan.core.criteria import (
    FIGURE_COLUMNS,
    first_reasons,
    option_figures,
    optional_float,
    optional_int,
)
from wheelscan.core.earnings import NextEarnings, spans_earnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.ledger import MULTIPLIER
from wheelscan.core.models import EARNINGS_EXCLUDE, OptionFigures, top_rejections
from wheelscan.core.positions import Position
from wheelscan.core.pricing import annualized_return_pct, mid_and_spread_pct


@dataclass(frozen=True)
class CallCandidate(OptionFigures):
    """A covered call that met the criteria, with its figures (SPEC 2 as puts, plus SPEC 9's).

    `annualized_return_pct` is the static return (bid on spot); `if_called_return_pct`
    is on the adjusted basis (None when that is not positive); `extrinsic` is mid −
    max(S − K, 0). `ex_dividend_before_expiry` and `early_assignment_risk` are None when
    the ex-dividend date could not be looked up; the risk is also None when a dividend
    falls before expiration but its amount is unknown.
    """

    if_called_return_pct: float | None
    otm_pct: float
    spread_pct: float
    open_interest: int | None
    volume: int | None
    extrinsic: float
    spans_earnings: bool
    ex_dividend_before_expiry: bool | None
    early_assignment_risk: bool | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallCandidate:
        return cls(**data)


@dataclass(frozen=True)
class CallEvaluation:
    """One held symbol's covered-call candidates and its rejected count per reason."""

    candidates: list[CallCandidate]
    rejected: dict[str, int]


def _early_assignment(
    before_expiry: np.ndarray, extrinsic: np.ndarray, dividend: ExDividend | None
) -> list[bool | None]:
    """Per call: True / False, or None when a dividend comes first but its amount is unknown."""
    if dividend is None or dividend.amount is None:
        return [None if before else False for before in before_expiry.tolist()]
    return (before_expiry & (extrinsic < dividend.amount)).tolist()


def _unknown(count: int) -> list[bool | None]:
    return [None] * count


def covered_calls(
    chains: Sequence[OptionChain],
    underlying: Underlying,
    position: Position,
    criteria: CallCriteria,
    rate_pct: float,
    dividend: ExDividend | None = None,
    *,
    dividend_known: bool = True,
) -> CoveredCalls:
    """The covered calls of `position` among the calls of `chains`: the candidates and
    rejected counts, with what the calls document shows beside them.

    `dividend` is the ex-dividend Yahoo lists (None: none); `dividend_known` False says
    it could not be looked up, and the dividend figures are then None. All calls are
    priced as one array, as the puts are (core.criteria.evaluate_chains); σ is solved
    only for the calls that pass every test before `no_iv`.
    """

    def found(evaluation: CallEvaluation) -> CoveredCalls:
        return CoveredCalls(
            position=position,
            min_strike_policy=criteria.min_strike,
            underlying_price=underlying.price,
            as_of=underlying.as_of,
            next_earnings=underlying.next_earnings,
            ex_dividend=dividend,
            ex_dividend_known=dividend_known,
            evaluation=evaluation,
        )

    rate = rate_pct / 100.0
    spot, as_of = underlying.price, underlying.as_of
    priced = price_chains(chains, underlying, rate).calls if chains else None
    if priced is None or len(priced.rows) == 0:
        return found(CallEvaluation([], dict.fromkeys(CALL_REJECTION_REASONS, 0)))
    floor = strike_floor(position, criteria.min_strike)
    dte_of_chain = [days_to_expiry(as_of, chain.expiration) for chain in chains]
    spans_of_chain = [spans_earnings(underlying.next_earnings, c.expiration) for c in chains]
    dividend_of_chain = [dividend_before_expiry(dividend, as_of, c.expiration) for c in chains]
    calls, years, forward, standard = priced.rows, priced.years, priced.forward, priced.standard
    dte = np.array(dte_of_chain)[priced.chain]
    spans = np.array(spans_of_chain)[priced.chain]
    strike, bid, ask, iv_yahoo = calls.strike, calls.bid, calls.ask, calls.iv
    last, open_interest, volume = calls.last, calls.open_interest, calls.volume
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mid, spread = mid_and_spread_pct(bid, ask)
        # One row per test, in the order of CALL_REJECTION_REASONS.
        before_iv = [
            (dte < criteria.min_dte) | (dte > criteria.max_dte) | ~(years > 0),
            ~standard,
            ~((strike > 0) & np.isfinite(strike) & (ask > 0) & np.isfinite(ask) & ~(ask < bid)),
            ~(strike > spot),
            np.zeros(strike.shape, dtype=bool) if floor is None else ~(strike >= floor),
            ~(bid > 0),
        ]
        alive = np.flatnonzero(~np.logical_or.reduce(before_iv))
        sigma = np.full(strike.shape, np.nan)
        delta = np.full(strike.shape, np.nan)
        sigma[alive] = black76.implied_vol(
            "call", mid[alive], forward[alive], strike[alive], years[alive], rate
        )
        delta[alive] = black76.delta(
            "call", spot, forward[alive], strike[alive], years[alive], rate, sigma[alive]
        )
        static = annualized_return_pct(bid, np.full(strike.shape, spot), dte)
        failed = np.array(
            [
                *before_iv,
                np.isnan(sigma),
                spans & (criteria.earnings == EARNINGS_EXCLUDE),
                ~(static >= criteria.min_return_pct),
                ~(delta <= criteria.max_delta),
            ]
        )
    is_rejected, rejected = first_reasons(failed, CALL_REJECTION_REASONS)
    rows = np.flatnonzero(~is_rejected)
    if rows.size == 0:
        return found(CallEvaluation([], rejected))
    f, k, t, b, s, m = forward[rows], strike[rows], years[rows], bid[rows], sigma[rows], mid[rows]
    adjusted = position.adjusted_basis
    with np.errstate(invalid="ignore", divide="ignore"):
        if_called = (
            (b + k - adjusted) / adjusted * 100.0
            if adjusted is not None and adjusted > 0
            else np.full(k.shape, np.nan)
        )
    extrinsic = m - np.maximum(spot - k, 0.0)
    chain_of_row = priced.chain[rows]
    before_expiry = np.array(dividend_of_chain, dtype=bool)[chain_of_row]
    columns = [
        k,
        b,
        ask[rows],
        m,
        last[rows],
        s,
        iv_yahoo[rows],
        delta[rows],
        black76.prob_otm("call", f, k, t, s),
        black76.pop("call", f, k, b, t, s),
        static[rows],
        if_called,
        (k - spot) / spot * 100.0,
        spread[rows],
        open_interest[rows],
        volume[rows],
        extrinsic,
    ]
    figures = np.stack(columns).T.tolist()
    if dividend_known:
        risks = _early_assignment(before_expiry, extrinsic, dividend)
        before: list[bool | None] = list(dividend_of_chain)
    else:
        risks, before = _unknown(rows.size), _unknown(len(chains))
    candidates = []
    for j, c, risk, row in zip(rows.tolist(), chain_of_row.tolist(), risks, figures, strict=True):
        called, away, spread_, interest, traded, extrinsic_ = row[FIGURE_COLUMNS:]
        day = chains[c].expiration.isoformat()
        candidates.append(
            CallCandidate(
                **option_figures(calls.contract[j], day, dte_of_chain[c], row),
                if_called_return_pct=optional_float(called),
                otm_pct=away,
                spread_pct=spread_,
                open_interest=optional_int(interest),
                volume=optional_int(traded),
                extrinsic=extrinsic_,
                spans_earnings=spans_of_chain[c],
                ex_dividend_before_expiry=before[c],
                early_assignment_risk=risk,
            )
        )
    return found(CallEvaluation(candidates, rejected))


def sort_calls(candidates: Sequence[CallCandidate]) -> list[CallCandidate]:
    """Best static return first, then the earlier expiration and the lower strike."""
    return sorted(candidates, key=lambda c: (-c.annualized_return_pct, c.expiration, c.strike))


def _per_share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class CoveredCalls:
    """The covered calls of one held symbol: the holding, the quote it was priced on, its
    candidates (best first) and rejected counts. `contracts` is how many calls the
    uncovered shares allow."""

    position: Position
    min_strike_policy: str
    underlying_price: float
    as_of: datetime
    next_earnings: NextEarnings | None
    ex_dividend: ExDividend | None
    ex_dividend_known: bool
    evaluation: CallEvaluation

    @property
    def contracts(self) -> int:
        return self.position.uncovered_shares // MULTIPLIER

    @property
    def min_strike(self) -> float | None:
        return strike_floor(self.position, self.min_strike_policy)

    def to_json(self) -> dict[str, Any]:
        position = self.position
        return {
            "shares": position.shares,
            "uncovered_shares": position.uncovered_shares,
            "contracts": self.contracts,
            "basis": _per_share(position.basis),
            "adjusted_basis": _per_share(position.adjusted_basis),
            "min_strike_policy": self.min_strike_policy,
            "min_strike": _per_share(self.min_strike),
            "underlying_price": self.underlying_price,
            "as_of": self.as_of.isoformat(),
            "next_earnings": self.next_earnings.to_json() if self.next_earnings else None,
            "ex_dividend": self.ex_dividend.to_json() if self.ex_dividend else None,
            "ex_dividend_known": self.ex_dividend_known,
            "rejected": dict(self.evaluation.rejected),
            "top_rejections": top_rejections(self.evaluation.rejected),
            "candidates": [c.to_json() for c in sort_calls(self.evaluation.candidates)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], position: Position) -> CoveredCalls:
        """`to_json`'s document read back for `position` (the one it was found for).
        Raises KeyError, TypeError or ValueError for another shape."""
        dividend = data["ex_dividend"]
        earnings = data["next_earnings"]
        return cls(
            position=position,
            min_strike_policy=data["min_strike_policy"],
            underlying_price=float(data["underlying_price"]),
            as_of=datetime.fromisoformat(data["as_of"]),
            next_earnings=None if earnings is None else NextEarnings.from_json(earnings),
            ex_dividend=None if dividend is None else ExDividend.from_json(dividend),
            ex_dividend_known=bool(data["ex_dividend_known"]),
            evaluation=CallEvaluation(
                [CallCandidate.from_json(c) for c in data["candidates"]],
                {str(reason): int(count) for reason, count in data["rejected"].items()},
            ),
        )


def needs_calls(position: Position) -> bool:
    """A symbol the calls view looks at: 100 uncovered shares or more."""
    return position.uncovered_shares >= MULTIPLIER
