"""The Black-76 figures of many contracts: the vectorised solver vs the oracle's row loop.

    python benchmarks/iv_solver.py [--contracts 100000]

Inputs are a fixed, seeded book of puts and calls quoted in cents (spot 5–1000,
strikes 70–130 % of spot, 1–60 days, a smile from 15 % to 80 %). The product
solves σ with `black76.implied_vol` and computes delta, prob_otm and pop over the
whole array; the oracle (tests/oracle.py) does the same one contract at a time,
bisecting σ. Both run in this process, one after the other, so the ratio stands
on a busy machine; the absolute times do not. The two must agree (checked).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

import oracle  # noqa: E402
from benchmarks.common import BenchResult, Target, timed  # noqa: E402
from wheelscan.core import black76  # noqa: E402

RATIO_TARGET = 20.0
RATE = 0.04


def make_book(contracts: int, seed: int = 20261123) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    spot = rng.uniform(5.0, 1000.0, contracts)
    forward_gap = rng.normal(0.0, 0.002, contracts)
    years = rng.integers(1, 61, contracts) / 365.0
    forward = spot * np.exp(RATE * years + forward_gap)
    strike = np.round(spot * rng.uniform(0.7, 1.3, contracts), 0)
    smile = 0.15 + 0.65 * rng.random(contracts) + 2.0 * np.log(strike / forward) ** 2
    is_call = rng.random(contracts) < 0.5
    fair = np.where(
        is_call,
        black76.price("call", forward, strike, years, RATE, smile),
        black76.price("put", forward, strike, years, RATE, smile),
    )
    half_spread = np.maximum(0.01, np.round(fair * rng.uniform(0.005, 0.05, contracts), 2))
    bid = np.maximum(np.round(fair - half_spread, 2), 0.0)
    ask = np.round(fair + half_spread, 2)
    return {
        "spot": spot,
        "forward": forward,
        "strike": strike,
        "years": years,
        "is_call": is_call,
        "bid": bid,
        "mid": (bid + ask) / 2.0,
    }


def product(book: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {name: np.empty(book["mid"].size) for name in ("sigma", "delta", "prob_otm", "pop")}
    for kind, rows in (("call", book["is_call"]), ("put", ~book["is_call"])):
        spot, f, k, t, bid, mid = (
            book[name][rows] for name in ("spot", "forward", "strike", "years", "bid", "mid")
        )
        sigma = black76.implied_vol(kind, mid, f, k, t, RATE)
        out["sigma"][rows] = sigma
        out["delta"][rows] = black76.delta(kind, spot, f, k, t, RATE, sigma)
        out["prob_otm"][rows] = black76.prob_otm(kind, f, k, t, sigma)
        out["pop"][rows] = black76.pop(kind, f, k, bid, t, sigma)
    return out


def row_loop(book: dict[str, np.ndarray]) -> list[oracle.Row]:
    columns = [book[name].tolist() for name in ("is_call", "mid", "bid", "spot", "forward")]
    strikes, years = book["strike"].tolist(), book["years"].tolist()
    return [
        oracle.contract_figures(is_call, mid, bid, spot, f, k, t, RATE)
        for is_call, mid, bid, spot, f, k, t in zip(*columns, strikes, years, strict=True)
    ]


def largest_gap(vectorised: dict[str, np.ndarray], rows: list[oracle.Row]) -> dict[str, float]:
    """The largest |product − oracle| per figure; inf when they disagree on which are no_iv."""
    gaps = {}
    for name in ("sigma", "delta", "prob_otm", "pop"):
        theirs = np.array(
            [math.nan if getattr(r, name) is None else getattr(r, name) for r in rows]
        )
        mine = vectorised[name]
        if not np.array_equal(np.isnan(mine), np.isnan(theirs)):
            gaps[name] = math.inf
            continue
        both = ~np.isnan(mine)
        gaps[name] = float(np.max(np.abs(mine[both] - theirs[both]), initial=0.0))
    return gaps


def run(contracts: int = 100_000) -> BenchResult:
    book = make_book(contracts)
    # The fastest of three for the vectorised side (a tenth of a second, easily disturbed
    # on a shared machine); the row loop runs once, for seconds.
    fast_s, vectorised = min((timed(lambda: product(book)) for _ in range(3)), key=lambda t: t[0])
    slow_s, rows = timed(lambda: row_loop(book))
    ratio = slow_s / fast_s
    gaps = largest_gap(vectorised, rows)
    result = BenchResult("iv_solver", "Black-76 σ, delta, prob_otm, pop: vectorised vs row loop")
    result.figures.update(
        {
            "contracts": contracts,
            "no_iv contracts": int(np.isnan(vectorised["sigma"]).sum()),
            "vectorised seconds": fast_s,
            "row loop (oracle, bisection) seconds": slow_s,
            "ratio": ratio,
            **{f"largest |{name} − oracle|": gap for name, gap in gaps.items()},
        }
    )
    result.targets.append(Target("row loop / vectorised", ratio, RATIO_TARGET, at_most=False))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    args = parser.parse_args(argv)
    print("\n".join(run(args.contracts).lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
