"""Which puts qualify, and why the others do not (SPEC 2–3).

Every put gets either a place among the candidates or exactly one rejection reason,
the first that applies in the order of `REJECTION_REASONS`. Each expiration's
forward comes first (put–call parity on its standard contracts, else the carry,
core/chain_pricing.py), then σ from each put's mid by Black-76 on that forward;
Yahoo's own implied volatility is only reported.

One call judges one ticker's chains, or many tickers' at once (`evaluate_tickers`):
a ticker's chains are short, so the fixed cost of each numpy call, paid once per
call however many rows it holds, is what re-evaluating a scan's cached answers costs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wheelscan.core import black76
from wheelscan.core.chain_pricing import Pricing, price_chains
from wheelscan.core.chains import OptionChain, Underlying
from wheelscan.core.earnings import spans_earnings
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.forward import expiration_figures
from wheelscan.core.models import (
    EARNINGS_EXCLUDE,
    REJECTION_REASONS,
    Candidate,
    Criteria,
    ExpirationSummary,
)
from wheelscan.core.pricing import annualized_return_pct, cushion_pct, mid_and_spread_pct, otm_pct
from wheelscan.core.valuation import badge_for


@dataclass(frozen=True)
class Evaluation:
    """A ticker's candidates, its rejected count per reason, and its expirations' figures."""

    candidates: list[Candidate]
    rejected: dict[str, int]
    expirations: list[ExpirationSummary]


@dataclass(frozen=True)
class TickerChains:
    """One ticker's fetched chains, its quote, and its intrinsic value (for the badges)."""

    chains: Sequence[OptionChain]
    underlying: Underlying
    intrinsic_value: float | None = None


def evaluate_chain(
    chain: OptionChain,
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> Evaluation:
    """The candidates and rejected counts of one expiration."""
    return evaluate_chains([chain], underlying, criteria, intrinsic_value)


def evaluate_chains(
    chains: Sequence[OptionChain],
    underlying: Underlying,
    criteria: Criteria,
    intrinsic_value: float | None = None,
) -> Evaluation:
    """The candidates of one underlying's expirations, the rejected count per reason and
    each expiration's forward, atm_iv and expected move."""
    return evaluate_tickers([TickerChains(chains, underlying, intrinsic_value)], criteria)[0]


def optional_int(value: float) -> int | None:
    """A count (open interest, volume); None when Yahoo left it out or sent no number."""
    return int(value) if math.isfinite(value) else None


def optional_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


FIGURE_COLUMNS = 11
"""A priced candidate's figures row starts with these columns, in this order: strike,
bid, ask, mid, last, iv, iv_yahoo, delta, prob_otm, pop, annualized_return_pct (the
OptionFigures fields after contract, expiration and dte); its own figures follow."""


def option_figures(
    contract: str, expiration: str, dte: int, row: Sequence[float]
) -> dict[str, Any]:
    """The OptionFigures fields of a put or covered-call candidate, from its figures `row`
    (FIGURE_COLUMNS); Yahoo's last price and IV are None when it sent none."""
    strike, bid, ask, mid, last, iv, iv_yahoo, delta, prob_otm, pop, annualized = row[
        :FIGURE_COLUMNS
    ]
    return {
        "contract": contract,
        "expiration": expiration,
        "dte": dte,
        "strike": strike,
        "bid": bid,
        "ask": ask,
        "mid": mid,
        "last": optional_float(last),
        "iv": iv,
        "iv_yahoo": optional_float(iv_yahoo),
        "delta": delta,
        "prob_otm": prob_otm,
        "pop": pop,
        "annualized_return_pct": annualized,
    }


def first_reasons(failed: np.ndarray, reasons: Sequence[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Which contracts are rejected, and how many per reason, each counted under the first
    test it fails: `failed` holds one row per reason (in `reasons`' order), one column
    per contract."""
    is_rejected = failed.any(axis=0)
    first_failure = failed.argmax(axis=0)[is_rejected]
    counts = np.bincount(first_failure, minlength=len(reasons)).tolist()
    return is_rejected, dict(zip(reasons, counts, strict=True))


def _counts_by_ticker(
    failed: np.ndarray, ticker_of_row: np.ndarray, tickers: int
) -> tuple[np.ndarray, list[dict[str, int]]]:
    """`first_reasons`, counted per ticker."""
    is_rejected = failed.any(axis=0)
    reasons = len(REJECTION_REASONS)
    keys = ticker_of_row[is_rejected] * reasons + failed.argmax(axis=0)[is_rejected]
    counts = np.bincount(keys, minlength=tickers * reasons).reshape(tickers, reasons).tolist()
    return is_rejected, [dict(zip(REJECTION_REASONS, row, strict=True)) for row in counts]


def evaluate_tickers(tickers: Sequence[TickerChains], criteria: Criteria) -> list[Evaluation]:
    """`evaluate_chains` for many tickers at once, in their order; the puts of every chain
    are judged as one array, and σ is solved in one call, only for the puts that pass
    every test before `no_iv` (and each expiration's at-the-money put, for its atm_iv)."""
    chains = [chain for ticker in tickers for chain in ticker.chains]
    quotes = [ticker.underlying for ticker in tickers for _ in ticker.chains]
    ticker_of_chain = [i for i, ticker in enumerate(tickers) for _ in ticker.chains]
    if not chains:
        return [Evaluation([], dict.fromkeys(REJECTION_REASONS, 0), []) for _ in tickers]
    rate = criteria.risk_free_rate_pct / 100.0
    pricing = price_chains(chains, quotes, rate)
    priced = pricing.puts
    puts, chain_of_row = priced.rows, priced.chain
    on_chain = list(zip(chains, quotes, strict=True))
    dte_of_chain = [days_to_expiry(q.as_of, c.expiration) for c, q in on_chain]
    spans_of_chain = [spans_earnings(q.next_earnings, c.expiration) for c, q in on_chain]
    dte = np.array(dte_of_chain)[chain_of_row]
    spans = np.array(spans_of_chain, dtype=bool)[chain_of_row]
    spot = np.array([q.price for q in quotes])[chain_of_row]
    years, forward = priced.years, priced.forward
    strike, bid, ask = puts.strike, puts.bid, puts.ask
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mid, spread = mid_and_spread_pct(bid, ask)
        # One row per test, in the order of REJECTION_REASONS.
        before_iv = [
            (dte < criteria.min_dte) | (dte > criteria.max_dte) | ~(years > 0),
            ~priced.standard,
            ~((strike > 0) & np.isfinite(strike) & (ask > 0) & np.isfinite(ask) & ~(ask < bid)),
            ~(strike < spot),
            ~(bid > 0),
            bid < criteria.min_bid,
        ]
        alive = np.flatnonzero(~np.logical_or.reduce(before_iv))
        atm = np.array([row for row in pricing.atm_put_row if row >= 0], dtype=np.int64)
        solve = np.union1d(alive, atm)
        sigma = np.full(strike.shape, np.nan)
        delta = np.full(strike.shape, np.nan)
        sigma[solve] = black76.implied_vol(
            "put", mid[solve], forward[solve], strike[solve], years[solve], rate
        )
        delta[alive] = black76.delta(
            "put", spot[alive], forward[alive], strike[alive], years[alive], rate, sigma[alive]
        )
        annualized = annualized_return_pct(bid, strike, dte)
        open_interest = puts.open_interest
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
    ticker_of_row = np.array(ticker_of_chain)[chain_of_row]
    is_rejected, rejected = _counts_by_ticker(failed, ticker_of_row, len(tickers))
    summaries = _summaries(chains, dte_of_chain, pricing, sigma, quotes, rate)
    expirations: list[list[ExpirationSummary]] = [[] for _ in tickers]
    for t, summary in zip(ticker_of_chain, summaries, strict=True):
        expirations[t].append(summary)
    found: list[list[Candidate]] = [[] for _ in tickers]
    rows = np.flatnonzero(~is_rejected)
    if rows.size == 0:
        return [Evaluation([], rejected[t], expirations[t]) for t in range(len(tickers))]
    f, k, t, b, s = forward[rows], strike[rows], years[rows], bid[rows], sigma[rows]
    columns = [
        k,
        b,
        ask[rows],
        mid[rows],
        puts.last[rows],
        s,
        puts.iv[rows],
        delta[rows],
        black76.prob_otm("put", f, k, t, s),
        black76.pop("put", f, k, b, t, s),
        annualized[rows],
        otm_pct(spot[rows], k),
        cushion_pct(spot[rows], k - b),
        spread[rows],
        open_interest[rows],
        puts.volume[rows],
    ]
    # Pull the candidates' figures out as Python lists in one go: indexing numpy
    # arrays element by element costs more than all the vectorised math above.
    figures = np.stack(columns).T.tolist()
    days = [c.expiration.isoformat() for c in chains]
    values = [tickers[i].intrinsic_value for i in ticker_of_chain]
    contracts = puts.contract
    for j, c, row in zip(rows.tolist(), chain_of_row[rows].tolist(), figures, strict=True):
        k, b = row[0], row[1]
        away, cushion, sp, interest, traded = row[FIGURE_COLUMNS:]
        found[ticker_of_chain[c]].append(
            Candidate(
                **option_figures(contracts[j], days[c], dte_of_chain[c], row),
                otm_pct=away,
                cushion_pct=cushion,
                spread_pct=sp,
                open_interest=optional_int(interest),
                volume=optional_int(traded),
                collateral=k * 100.0,
                breakeven=k - b,
                spans_earnings=spans_of_chain[c],
                badge=badge_for(k, values[c]),
            )
        )
    return [Evaluation(found[t], rejected[t], expirations[t]) for t in range(len(tickers))]


def _summaries(
    chains: Sequence[OptionChain],
    dte_of_chain: list[int],
    pricing: Pricing,
    put_sigma: np.ndarray,
    quotes: Sequence[Underlying],
    rate: float,
) -> list[ExpirationSummary]:
    """Each expiration's reported figures, atm_iv being its at-the-money put's own σ."""
    solved = [put_sigma[row] if row >= 0 else math.nan for row in pricing.atm_put_row]
    summaries = []
    for chain, dte, quote, estimate, sigma in zip(
        chains, dte_of_chain, quotes, pricing.reported, solved, strict=True
    ):
        (figure,) = expiration_figures(quote.price, rate, [estimate], [sigma])
        summaries.append(
            ExpirationSummary(
                expiration=chain.expiration.isoformat(),
                dte=dte,
                forward=figure.forward,
                forward_source=figure.forward_source,
                atm_iv=figure.atm_iv,
                expected_move=figure.expected_move,
                expected_move_pct=figure.expected_move_pct,
            )
        )
    return summaries


def sort_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Expiration ascending, then strike descending (SPEC 7)."""
    return sorted(candidates, key=lambda c: (c.expiration, -c.strike))
