"""Which puts qualify, and why the others do not (SPEC 2–3).

One function answers for a ticker's chains at once: every put gets either a place
among the candidates or exactly one rejection reason, the first that applies in
the order of `REJECTION_REASONS`. Each expiration's forward comes first (put–call
parity on its standard contracts, else the carry), then σ from each put's mid by
Black-76 on that forward; Yahoo's own implied volatility is only reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from wheelscan.core import black76
from wheelscan.core.chains import OptionChain, OptionRows, Underlying
from wheelscan.core.earnings import spans_earnings
from wheelscan.core.expiry import days_to_expiry, years_to_expiry
from wheelscan.core.forward import (
    ForwardEstimate,
    estimate_forward,
    expiration_figures,
    quote_pairs,
)
from wheelscan.core.models import (
    EARNINGS_EXCLUDE,
    REJECTION_REASONS,
    Candidate,
    Criteria,
    ExpirationSummary,
)
from wheelscan.core.occ import INDEX, am_settled_mask, standard_root_mask
from wheelscan.core.pricing import annualized_return_pct, cushion_pct, mid_and_spread_pct, otm_pct
from wheelscan.core.valuation import badge_for

REGULAR = "REGULAR"
Side = Literal["puts", "calls"]
_PUT_COLUMNS = ("strike", "bid", "ask", "iv", "last", "open_interest", "volume")


@dataclass(frozen=True)
class Evaluation:
    """A ticker's candidates, its rejected count per reason, and its expirations' figures."""

    candidates: list[Candidate]
    rejected: dict[str, int]
    expirations: list[ExpirationSummary]


def standard_mask(rows: OptionRows, underlying: Underlying) -> np.ndarray:
    """Per contract: 100 shares of this underlying in its currency (SPEC 3 `nonstandard`):
    contractSize REGULAR, the quote's currency, and the underlying's own root (an
    adjusted QQQ1 or a mini contract is not)."""
    roots = standard_root_mask(rows.contract, underlying.symbol, underlying.quote_type)
    currency = underlying.currency or ""
    terms = [
        size == REGULAR and money == currency
        for size, money in zip(rows.contract_size, rows.currency, strict=True)
    ]
    return roots & np.array(terms, dtype=bool)


@dataclass(frozen=True)
class Series:
    """What each contract of one side of a chain is priced with: its T, its expiration's
    forward, and whether it is a standard contract."""

    years: np.ndarray
    forward: np.ndarray
    standard: np.ndarray
    reported: ForwardEstimate


def price_series(
    chain: OptionChain, underlying: Underlying, rate: float, side: Side = "puts"
) -> Series:
    """The forward of each settlement series of one chain, spread over its `side`.

    A chain holds one series (16:00), or for an index two: the index's own AM-settled
    root and its PM series (SPX and SPXW on a third Friday). Each series' forward comes
    from its own standard calls and puts, whichever side is priced. The one reported
    for the expiration is the PM series', unless only AM contracts are listed.
    """
    calls, puts = chain.calls, chain.puts
    put_standard = standard_mask(puts, underlying)
    call_standard = standard_mask(calls, underlying)
    spot, q, as_of = underlying.price, underlying.dividend_yield, underlying.as_of
    is_index = underlying.quote_type == INDEX
    put_am = am_settled_mask(puts.contract, underlying.symbol, underlying.quote_type)
    call_am = am_settled_mask(calls.contract, underlying.symbol, underlying.quote_type)
    estimates: dict[bool, ForwardEstimate] = {}
    for am in (False, True) if is_index else (False,):
        years = years_to_expiry(as_of, chain.expiration, am_settled=am)
        call_rows = call_standard & (call_am == am)
        put_rows = put_standard & (put_am == am)
        pairs = quote_pairs(
            calls.strike[call_rows],
            calls.bid[call_rows],
            calls.ask[call_rows],
            puts.strike[put_rows],
            puts.bid[put_rows],
            puts.ask[put_rows],
        )
        estimates[am] = estimate_forward(spot, years, rate, q, pairs)
    pm = estimates[False]
    am_estimate = estimates.get(True, pm)
    only_am = is_index and not ((call_standard & ~call_am).any() or (put_standard & ~put_am).any())
    am, standard = (call_am, call_standard) if side == "calls" else (put_am, put_standard)
    return Series(
        years=np.where(am, am_estimate.years, pm.years),
        forward=np.where(am, am_estimate.forward, pm.forward),
        standard=standard,
        reported=am_estimate if only_am else pm,
    )


def evaluate_chain(
    chain: OptionChain,
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> Evaluation:
    """The candidates and rejected counts of one expiration."""
    return evaluate_chains([chain], underlying, criteria, intrinsic_value)


def optional_int(value: float) -> int | None:
    """A count (open interest, volume); None when Yahoo left it out or sent no number."""
    return int(value) if math.isfinite(value) else None


def optional_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def first_reasons(failed: np.ndarray, reasons: Sequence[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Which contracts are rejected, and how many per reason, each counted under the first
    test it fails: `failed` holds one row per reason (in `reasons`' order), one column
    per contract."""
    is_rejected = failed.any(axis=0)
    first_failure = failed.argmax(axis=0)[is_rejected]
    counts = np.bincount(first_failure, minlength=len(reasons)).tolist()
    return is_rejected, dict(zip(reasons, counts, strict=True))


def evaluate_chains(
    chains: Sequence[OptionChain],
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> Evaluation:
    """The candidates of one underlying's expirations, the rejected count per reason and
    each expiration's forward, atm_iv and expected move.

    The puts of every chain are priced as one array: a ticker's window is a few short
    chains (tens of strikes each), and numpy's fixed cost per call would otherwise be
    paid once per expiration instead of once per ticker. σ is solved only for the puts
    that pass every test before `no_iv`.
    """
    rate = criteria.risk_free_rate_pct / 100.0
    spot = underlying.price
    sizes = [len(chain.puts) for chain in chains]
    dte_of_chain = [days_to_expiry(underlying.as_of, chain.expiration) for chain in chains]
    priced = [price_series(chain, underlying, rate) for chain in chains]
    expirations = _summaries(
        chains, dte_of_chain, [series.reported for series in priced], spot, rate
    )
    if sum(sizes) == 0:
        return Evaluation([], dict.fromkeys(REJECTION_REASONS, 0), expirations)

    spans_of_chain = [spans_earnings(underlying.next_earnings, c.expiration) for c in chains]
    dte = np.repeat(dte_of_chain, sizes)
    spans = np.repeat(spans_of_chain, sizes)
    years = np.concatenate([series.years for series in priced])
    forward = np.concatenate([series.forward for series in priced])
    standard = np.concatenate([series.standard for series in priced])
    strike, bid, ask, iv_yahoo, last, open_interest, volume = (
        np.concatenate([getattr(chain.puts, name) for chain in chains]) for name in _PUT_COLUMNS
    )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mid, spread = mid_and_spread_pct(bid, ask)
        # One row per test, in the order of REJECTION_REASONS.
        before_iv = [
            (dte < criteria.min_dte) | (dte > criteria.max_dte) | ~(years > 0),
            ~standard,
            ~((strike > 0) & np.isfinite(strike) & (ask > 0) & np.isfinite(ask) & ~(ask < bid)),
            ~(strike < spot),
            ~(bid > 0),
            bid < criteria.min_bid,
        ]
        alive = np.flatnonzero(~np.logical_or.reduce(before_iv))
        sigma = np.full(strike.shape, np.nan)
        delta = np.full(strike.shape, np.nan)
        sigma[alive] = black76.implied_vol(
            "put", mid[alive], forward[alive], strike[alive], years[alive], rate
        )
        delta[alive] = black76.delta(
            "put", spot, forward[alive], strike[alive], years[alive], rate, sigma[alive]
        )
        annualized = annualized_return_pct(bid, strike, dte)
        failed = np.array(
            [
                *before_iv,
                np.isnan(sigma),
                spans & (criteria.earnings == EARNINGS_EXCLUDE),
                ~(annualized >= criteria.min_return_pct),
                ~(delta >= -criteria.max_delta),
                ~(
                    np.where(np.isnan(open_interest), 0.0, open_interest)
                    >= criteria.min_open_interest
                ),
                ~(spread <= criteria.max_spread_pct),
            ]
        )
    is_rejected, rejected = first_reasons(failed, REJECTION_REASONS)

    rows = np.flatnonzero(~is_rejected)
    if rows.size == 0:
        return Evaluation([], rejected, expirations)
    f, k, t, b, s = forward[rows], strike[rows], years[rows], bid[rows], sigma[rows]
    columns = [
        k,
        b,
        ask[rows],
        mid[rows],
        last[rows],
        s,
        iv_yahoo[rows],
        delta[rows],
        black76.prob_otm("put", f, k, t, s),
        black76.pop("put", f, k, b, t, s),
        annualized[rows],
        otm_pct(spot, k),
        cushion_pct(spot, k - b),
        spread[rows],
        open_interest[rows],
        volume[rows],
    ]
    # Pull the candidates' figures out as Python lists in one go: indexing numpy
    # arrays element by element costs more than all the vectorised math above.
    figures = np.stack(columns).T.tolist()
    chain_of_row = np.repeat(np.arange(len(chains)), sizes)[rows]
    first_row = np.cumsum([0, *sizes[:-1]])
    row_in_chain = (rows - first_row[chain_of_row]).tolist()
    days = [c.expiration.isoformat() for c in chains]
    candidates = [
        Candidate(
            contract=chains[c].puts.contract[j],
            expiration=days[c],
            dte=dte_of_chain[c],
            strike=k,
            bid=b,
            ask=a,
            mid=m,
            last=optional_float(price),
            iv=v,
            iv_yahoo=optional_float(v_yahoo),
            delta=d,
            prob_otm=p,
            pop=profit,
            annualized_return_pct=annual,
            otm_pct=away,
            cushion_pct=cushion,
            spread_pct=sp,
            open_interest=optional_int(interest),
            volume=optional_int(traded),
            collateral=k * 100.0,
            breakeven=k - b,
            spans_earnings=spans_of_chain[c],
            badge=badge_for(k, intrinsic_value),
        )
        for j, c, (
            k,
            b,
            a,
            m,
            price,
            v,
            v_yahoo,
            d,
            p,
            profit,
            annual,
            away,
            cushion,
            sp,
            interest,
            traded,
        ) in zip(row_in_chain, chain_of_row.tolist(), figures, strict=True)
    ]
    return Evaluation(candidates, rejected, expirations)


def _summaries(
    chains: Sequence[OptionChain],
    dte_of_chain: list[int],
    estimates: list[ForwardEstimate],
    spot: float,
    rate: float,
) -> list[ExpirationSummary]:
    """Each expiration's reported figures; atm_iv for all of them in one solve."""
    figures = expiration_figures(spot, rate, estimates)
    return [
        ExpirationSummary(
            expiration=chain.expiration.isoformat(),
            dte=dte,
            forward=figure.forward,
            forward_source=figure.forward_source,
            atm_iv=figure.atm_iv,
            expected_move=figure.expected_move,
            expected_move_pct=figure.expected_move_pct,
        )
        for chain, dte, figure in zip(chains, dte_of_chain, figures, strict=True)
    ]


def sort_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Expiration ascending, then strike descending (SPEC 7)."""
    return sorted(candidates, key=lambda c: (c.expiration, -c.strike))
