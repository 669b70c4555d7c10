"""Which puts qualify, and why the others do not (SPEC 3).

One function answers for a whole chain at once: every contract gets either
a place among the candidates or exactly one rejection reason, the first that
applies in the order of `REJECTION_REASONS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from wheelscan.core.models import REJECTION_REASONS, Candidate, Criteria, PutChain, Underlying
from wheelscan.core.pricing import (
    annualized_return_pct,
    days_to_expiry,
    mid_and_spread_pct,
    otm_pct,
    put_delta_and_prob_otm,
    years_to_expiry,
)
from wheelscan.core.valuation import badge_for

MIN_IV = 0.01


def _optional_int(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def _optional_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def evaluate_chain(
    chain: PutChain,
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> tuple[list[Candidate], dict[str, int]]:
    """Candidates of one expiration, and the count of rejected contracts per reason."""
    rejected = dict.fromkeys(REJECTION_REASONS, 0)
    n = len(chain)
    if n == 0:
        return [], rejected

    spot = underlying.price
    dte = days_to_expiry(underlying.as_of, chain.expiration)
    years = years_to_expiry(underlying.as_of, chain.expiration)
    strike, bid, ask, iv = chain.strike, chain.bid, chain.ask, chain.iv
    oi = np.nan_to_num(chain.open_interest, nan=0.0)

    delta, prob_otm = put_delta_and_prob_otm(
        spot, strike, years, criteria.risk_free_rate_pct / 100.0, underlying.dividend_yield, iv
    )
    annualized = annualized_return_pct(bid, strike, dte)
    mid, spread = mid_and_spread_pct(bid, ask)

    with np.errstate(invalid="ignore"):
        out_of_window = np.full(n, dte < criteria.min_dte or dte > criteria.max_dte)
        tests = [
            out_of_window,
            ~(strike < spot),
            ~(bid > 0),
            ~(np.isfinite(ask) & (ask >= bid) & (strike > 0) & np.isfinite(strike)),
            ~(iv >= MIN_IV),
            ~(annualized >= criteria.min_return_pct),
            ~(delta >= -criteria.max_delta),
            ~(oi >= criteria.min_open_interest),
            ~(spread <= criteria.max_spread_pct),
        ]
    still_in = np.ones(n, dtype=bool)
    for reason, failed in zip(REJECTION_REASONS, tests, strict=True):
        hit = still_in & failed
        rejected[reason] = int(hit.sum())
        still_in &= ~hit

    # Pull the candidates' figures out as Python lists in one go: indexing numpy
    # arrays element by element costs more than all the vectorised math above.
    rows = np.flatnonzero(still_in)
    strikes, bids = strike[rows].tolist(), bid[rows].tolist()
    expiration = chain.expiration.isoformat()
    candidates = [
        Candidate(
            contract=chain.contract[i],
            expiration=expiration,
            dte=dte,
            strike=k,
            bid=b,
            ask=a,
            mid=m,
            last=_optional_float(last),
            iv=v,
            delta=d,
            prob_otm=p,
            annualized_return_pct=annual,
            otm_pct=otm,
            spread_pct=sp,
            open_interest=_optional_int(interest),
            volume=_optional_int(traded),
            collateral=k * 100.0,
            breakeven=k - b,
            badge=badge_for(k, intrinsic_value),
        )
        for i, k, b, a, m, last, v, d, p, annual, otm, sp, interest, traded in zip(
            rows.tolist(),
            strikes,
            bids,
            ask[rows].tolist(),
            mid[rows].tolist(),
            chain.last[rows].tolist(),
            iv[rows].tolist(),
            delta[rows].tolist(),
            prob_otm[rows].tolist(),
            annualized[rows].tolist(),
            otm_pct(spot, strike[rows]).tolist(),
            spread[rows].tolist(),
            chain.open_interest[rows].tolist(),
            chain.volume[rows].tolist(),
            strict=True,
        )
    ]
    return candidates, rejected


def sort_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Expiration ascending, then strike descending (SPEC 7)."""
    return sorted(candidates, key=lambda c: (c.expiration, -c.strike))


def merge_rejections(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(REJECTION_REASONS, 0)
    for count in counts:
        for reason, value in count.items():
            total[reason] += value
    return total
