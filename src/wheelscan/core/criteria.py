"""Which puts qualify, and why the others do not (SPEC 3).

One function answers for a whole chain at once: every contract gets either
a place among the candidates or exactly one rejection reason, the first that
applies in the order of `REJECTION_REASONS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

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
_ARRAYS = ("strike", "bid", "ask", "iv", "last", "open_interest", "volume")


def _optional_int(value: float) -> int | None:
    """A count (open interest, volume); None when Yahoo left it out or sent no number."""
    return int(value) if math.isfinite(value) else None


def _optional_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def evaluate_chain(
    chain: PutChain,
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> tuple[list[Candidate], dict[str, int]]:
    """Candidates of one expiration, and the count of rejected contracts per reason."""
    return evaluate_chains([chain], underlying, criteria, intrinsic_value)


def evaluate_chains(
    chains: Sequence[PutChain],
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> tuple[list[Candidate], dict[str, int]]:
    """Candidates of one underlying's expirations, and the rejected count per reason.

    The chains are priced as one array: a ticker's window is a few short chains
    (tens of strikes each), and numpy's fixed cost per call would otherwise be
    paid once per expiration instead of once per ticker.
    """
    sizes = [len(chain) for chain in chains]
    if sum(sizes) == 0:
        return [], dict.fromkeys(REJECTION_REASONS, 0)

    spot = underlying.price
    dte_of_chain = [days_to_expiry(underlying.as_of, c.expiration) for c in chains]
    dte = np.repeat(dte_of_chain, sizes)
    years = np.repeat([years_to_expiry(underlying.as_of, c.expiration) for c in chains], sizes)
    strike, bid, ask, iv, last, open_interest, volume = (
        np.concatenate([getattr(c, name) for c in chains]) for name in _ARRAYS
    )
    delta, prob_otm = put_delta_and_prob_otm(
        spot, strike, years, criteria.risk_free_rate_pct / 100.0, underlying.dividend_yield, iv
    )
    annualized = annualized_return_pct(bid, strike, dte)
    mid, spread = mid_and_spread_pct(bid, ask)

    with np.errstate(invalid="ignore"):
        # One row per test, in the order of REJECTION_REASONS; a missing OI counts as 0.
        failed = np.array(
            [
                (dte < criteria.min_dte) | (dte > criteria.max_dte),
                ~(strike < spot),
                ~(bid > 0),
                ~(np.isfinite(ask) & (ask >= bid) & (strike > 0) & np.isfinite(strike)),
                ~(iv >= MIN_IV),
                ~(annualized >= criteria.min_return_pct),
                ~(delta >= -criteria.max_delta),
                ~(
                    np.where(np.isnan(open_interest), 0.0, open_interest)
                    >= criteria.min_open_interest
                ),
                ~(spread <= criteria.max_spread_pct),
            ]
        )
    is_rejected = failed.any(axis=0)
    first_failure = failed.argmax(axis=0)[is_rejected]
    counts = np.bincount(first_failure, minlength=len(REJECTION_REASONS)).tolist()
    rejected = dict(zip(REJECTION_REASONS, counts, strict=True))

    rows = np.flatnonzero(~is_rejected)
    if rows.size == 0:
        return [], rejected
    # Pull the candidates' figures out as Python lists in one go: indexing numpy
    # arrays element by element costs more than all the vectorised math above.
    expirations = [c.expiration.isoformat() for c in chains]
    chain_of_row = np.repeat(np.arange(len(chains)), sizes)[rows]
    first_row = np.cumsum([0, *sizes[:-1]])
    row_in_chain = (rows - first_row[chain_of_row]).tolist()
    chain_of_row = chain_of_row.tolist()
    otm = otm_pct(spot, strike)
    columns = (strike, bid, ask, mid, last, iv, delta, prob_otm, annualized, spread, otm)
    figures = np.stack([*columns, open_interest, volume])[:, rows].T.tolist()
    candidates = [
        Candidate(
            contract=chains[c].contract[j],
            expiration=expirations[c],
            dte=dte_of_chain[c],
            strike=k,
            bid=b,
            ask=a,
            mid=m,
            last=_optional_float(price),
            iv=v,
            delta=d,
            prob_otm=p,
            annualized_return_pct=annual,
            otm_pct=away,
            spread_pct=sp,
            open_interest=_optional_int(interest),
            volume=_optional_int(traded),
            collateral=k * 100.0,
            breakeven=k - b,
            badge=badge_for(k, intrinsic_value),
        )
        for j, c, (k, b, a, m, price, v, d, p, annual, sp, away, interest, traded) in zip(
            row_in_chain, chain_of_row, figures, strict=True
        )
    ]
    return candidates, rejected


def sort_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Expiration ascending, then strike descending (SPEC 7)."""
    return sorted(candidates, key=lambda c: (c.expiration, -c.strike))
