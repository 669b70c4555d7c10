"""Measurement 2: parse + math + criteria for many contracts, vectorised vs row by row.

The input is what the scan has after yfinance answered: one puts DataFrame per
expiration (built by yfinance's own `_options2df` from demo responses, before
the clock starts). The product path is the real one, put_chain_from_frame then
evaluate_chain, per chain, as the engine calls it. The reference is a
row-by-row loop over the same frames (`itertuples`, the fast way to loop a
DataFrame) doing the same math with the `math` module; the benchmark checks
that both give the same candidates and rejection counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import yfinance as yf

from benchmarks.common import FIXED_NOW, BenchResult, Target, bench_symbols, median, timed
from wheelscan.core.criteria import MIN_IV, evaluate_chain, merge_rejections
from wheelscan.core.models import REJECTION_REASONS, Candidate, Criteria, Underlying
from wheelscan.core.pricing import days_to_expiry, expiration_date, years_to_expiry
from wheelscan.core.valuation import badge_for
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.source import put_chain_from_frame, underlying_from_quote

RATIO_TARGET = 20.0
WINDOW_EXPIRATIONS = 4


@dataclass(frozen=True)
class Chain:
    frame: pd.DataFrame
    expiration: str
    underlying: Underlying


def make_chains(contracts: int) -> list[Chain]:
    """Demo puts frames, four expirations per symbol, `contracts` rows in all."""
    market = DemoMarket(now=FIXED_NOW)
    parser = yf.Ticker("AAA")
    chains: list[Chain] = []
    total = 0
    for symbol in bench_symbols(10**5):
        listed = market.options_json(symbol, None)["optionChain"]["result"][0]
        underlying = underlying_from_quote(symbol, listed["quote"], FIXED_NOW)
        for epoch in listed["expirationDates"][:WINDOW_EXPIRATIONS]:
            answer = market.options_json(symbol, epoch)["optionChain"]["result"][0]
            frame = parser._options2df(answer["options"][0]["puts"])
            frame = frame.iloc[: contracts - total].copy()
            expiration = expiration_date(epoch).isoformat()
            chains.append(Chain(frame, expiration, underlying))
            total += len(frame)
            if total >= contracts:
                return chains
    return chains


def vectorised(chains: list[Chain], criteria: Criteria) -> tuple[list[Candidate], dict[str, int]]:
    """The product: put_chain_from_frame + evaluate_chain, chain by chain."""
    candidates: list[Candidate] = []
    counts = []
    for chain in chains:
        found, rejected = evaluate_chain(
            put_chain_from_frame(chain.frame, chain.expiration), chain.underlying, criteria
        )
        candidates.extend(found)
        counts.append(rejected)
    return candidates, merge_rejections(counts)


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def row_by_row(chains: list[Chain], criteria: Criteria) -> tuple[list[Candidate], dict[str, int]]:
    """The same SPEC 2–3 math, one contract at a time in plain Python."""
    rejected = dict.fromkeys(REJECTION_REASONS, 0)
    candidates: list[Candidate] = []
    rate = criteria.risk_free_rate_pct / 100.0
    for chain in chains:
        spot = chain.underlying.price
        q = chain.underlying.dividend_yield
        expiry = datetime.strptime(chain.expiration, "%Y-%m-%d").date()
        dte = days_to_expiry(chain.underlying.as_of, expiry)
        years = years_to_expiry(chain.underlying.as_of, expiry)
        in_window = criteria.min_dte <= dte <= criteria.max_dte
        for row in chain.frame.itertuples(index=False):
            strike, bid, ask = _number(row.strike), _number(row.bid), _number(row.ask)
            iv, oi = _number(row.impliedVolatility), _number(row.openInterest)
            oi = 0.0 if math.isnan(oi) else oi
            delta = prob_otm = math.nan
            if strike > 0 and iv > 0 and years > 0:
                vol_sqrt_t = iv * math.sqrt(years)
                d1 = (math.log(spot / strike) + (rate - q + iv * iv / 2) * years) / vol_sqrt_t
                delta = -math.exp(-q * years) * _norm_cdf(-d1)
                prob_otm = _norm_cdf(d1 - vol_sqrt_t)
            annualized = bid / strike * 365.0 / max(dte, 1) * 100.0 if strike else math.nan
            mid = (bid + ask) / 2.0
            spread = (ask - bid) / mid * 100.0 if mid else math.nan
            if not in_window:
                reason = "dte"
            elif not strike < spot:
                reason = "itm"
            elif not bid > 0:
                reason = "no_bid"
            elif not (math.isfinite(ask) and ask >= bid and strike > 0 and math.isfinite(strike)):
                reason = "bad_quote"
            elif not iv >= MIN_IV:
                reason = "no_iv"
            elif not annualized >= criteria.min_return_pct:
                reason = "return"
            elif not delta >= -criteria.max_delta:
                reason = "delta"
            elif not oi >= criteria.min_open_interest:
                reason = "oi"
            elif not spread <= criteria.max_spread_pct:
                reason = "spread"
            else:
                reason = ""
            if reason:
                rejected[reason] += 1
                continue
            last, volume = _number(row.lastPrice), _number(row.volume)
            raw_oi = _number(row.openInterest)
            candidates.append(
                Candidate(
                    contract=str(row.contractSymbol),
                    expiration=chain.expiration,
                    dte=dte,
                    strike=strike,
                    bid=bid,
                    ask=ask,
                    mid=mid,
                    last=None if math.isnan(last) else last,
                    iv=iv,
                    delta=delta,
                    prob_otm=prob_otm,
                    annualized_return_pct=annualized,
                    otm_pct=(spot - strike) / spot * 100.0,
                    spread_pct=spread,
                    open_interest=None if math.isnan(raw_oi) else int(raw_oi),
                    volume=None if math.isnan(volume) else int(volume),
                    collateral=strike * 100.0,
                    breakeven=strike - bid,
                    badge=badge_for(strike, None),
                )
            )
    return candidates, rejected


def _same(a: list[Candidate], b: list[Candidate]) -> bool:
    if [c.contract for c in a] != [c.contract for c in b]:
        return False
    return all(
        math.isclose(x.delta, y.delta, abs_tol=1e-9)
        and math.isclose(x.annualized_return_pct, y.annualized_return_pct, rel_tol=1e-9)
        for x, y in zip(a, b, strict=True)
    )


def one_array(chains: list[Chain], contracts: int) -> list[Chain]:
    """The first chain repeated to `contracts` rows, as one frame: per-call costs amortised."""
    first = chains[0]
    copies = -(-contracts // len(first.frame))
    frame = pd.concat([first.frame] * copies, ignore_index=True).iloc[:contracts]
    return [Chain(frame, first.expiration, first.underlying)]


def _compare(
    chains: list[Chain], criteria: Criteria, repeats: int
) -> tuple[float, float, int, bool]:
    """Median seconds of each approach, run in turn; the candidate count; whether they agree."""
    vector_times, loop_times = [], []
    for _ in range(repeats):
        seconds, vector_out = timed(lambda: vectorised(chains, criteria))
        vector_times.append(seconds)
        seconds, loop_out = timed(lambda: row_by_row(chains, criteria))
        loop_times.append(seconds)
    agree = _same(vector_out[0], loop_out[0]) and vector_out[1] == loop_out[1]
    return median(vector_times), median(loop_times), len(vector_out[0]), agree


def run(contracts: int = 100_000, repeats: int = 3) -> BenchResult:
    criteria = Criteria()
    chains = make_chains(contracts)
    rows = sum(len(c.frame) for c in chains)
    vector_s, loop_s, candidates, agree = _compare(chains, criteria, repeats)
    ratio = loop_s / vector_s
    big = one_array(chains, contracts)
    big_vector_s, big_loop_s, _, big_agree = _compare(big, criteria, repeats)
    return BenchResult(
        "compute",
        f"2. Compute: parse + math + criteria, {rows} contracts",
        {
            "chains (one per expiration, as the scan sees them)": len(chains),
            "mean contracts per chain": rows / len(chains),
            "vectorised, per chain (s, median)": vector_s,
            "row-by-row loop (s, median)": loop_s,
            "vectorised contracts/s": rows / vector_s,
            "row-by-row contracts/s": rows / loop_s,
            "speed-up per chain (×)": ratio,
            "candidates": candidates,
            "same candidates and rejection counts": agree,
            "one 100k-row array: vectorised (s, median)": big_vector_s,
            "one 100k-row array: row-by-row (s, median)": big_loop_s,
            "one 100k-row array: vectorised contracts/s": len(big[0].frame) / big_vector_s,
            "one 100k-row array: speed-up (×)": big_loop_s / big_vector_s,
            "one 100k-row array: same results": big_agree,
        },
        [Target("vectorised vs row-by-row, per chain (×)", ratio, RATIO_TARGET, at_most=False)],
    )
