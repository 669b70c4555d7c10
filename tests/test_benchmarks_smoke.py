"""Each benchmark still runs and reports sane figures, at a tiny size. No timing assertions:
the figures themselves are for BENCHMARKS.md (`python -m benchmarks`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import app_stall, compute, memory, run, scan_speed, startup  # noqa: E402


def test_scan_counts_requests_at_the_transport_and_both_ways_agree() -> None:
    result = scan_speed.run(tickers=3, latency=0.0)
    figures = result.figures
    assert figures["engine requests (transport)"] == figures["requests SPEC 1.3 allows"]
    assert figures["engine requests reported by the scan"] == figures["requests SPEC 1.3 allows"]
    assert figures["engine redundant requests"] == 0
    assert figures["baseline redundant requests"] == 3, "one extra request per ticker"
    assert figures["baseline requests (transport)"] == figures["engine requests (transport)"] + 3
    assert figures["baseline max in flight"] == 1
    assert figures["same candidates in both"] is True
    assert figures["ticker errors"] == 0


def test_scan_with_latency_is_judged_by_its_three_targets() -> None:
    result = scan_speed.run(tickers=2, latency=0.01, concurrency=2)
    assert [t.name for t in result.targets] == [
        "speed-up vs sequential baseline (×)",
        "engine time / physical limit (×)",
        "redundant requests",
    ]
    assert result.figures["engine max in flight"] <= 2


def test_compute_paths_agree() -> None:
    result = compute.run(contracts=400, repeats=1)
    figures = result.figures
    assert figures["same candidates and rejection counts"] is True
    assert figures["one 100k-row chain: same results"] is True
    for name in compute.APPROACHES:
        assert figures[f"{name} contracts/s"] > 0
    assert [t.name for t in result.targets] == ["vectorised vs row-by-row yfinance loop (×)"]


def test_both_row_loops_match_the_product_on_every_rejection_reason() -> None:
    tickers = compute.make_tickers(3000)
    criteria = compute.Criteria(min_return_pct=5, max_delta=0.3, min_open_interest=100)
    product = compute.product(tickers, criteria)
    assert sum(1 for count in product[1].values() if count) >= 6
    assert len(product[0]) > 0
    for loop in (compute.plain_loop, compute.yfinance_loop):
        assert compute.same_outcome(product, loop(tickers, criteria))


def test_startup_runs_each_command() -> None:
    result = startup.run(runs=1, populate=False)
    assert result.figures["runs each"] == 1
    assert result.figures["python -c pass (ms, median)"] > 0
    assert len(result.targets) == 3


def test_memory_measures_a_real_scan_in_a_child() -> None:
    result = memory.run(tickers=3)
    figures = result.figures
    assert figures["CLI exit status"] == 0
    assert figures["engine-only exit status"] == 0
    assert figures["tickers in the CLI JSON results"] == 3
    assert figures["`wheelscan scan … --json` peak RSS (MB)"] > 10


def test_app_stall_probe_sees_the_scan_finish() -> None:
    result = app_stall.run(tickers=(3,), latency=0.0, timeout_s=60)
    assert result.figures["3 tickers: ticker nodes in the tree at the end"] == 3
    assert result.figures["3 tickers: scan outcome"] == "SUCCEEDED"
    assert result.figures["3 tickers: timer firings while scanning"] > 0
    figures = {name.removeprefix("3 tickers: "): value for name, value in result.figures.items()}
    reloaded = figures["until the published results are reloaded and drawn (s)"]
    assert reloaded >= figures["scan process, wall time until the tree is full (s)"]
    # the loop's CPU between two firings is at most the wall time between them
    stall = figures["largest stall while scanning (ms)"]
    assert figures["loop CPU in the largest stall (ms)"] <= stall + 1000 * app_stall.PROBE_S


def test_app_stall_command_line_refuses_a_run_count_of_zero() -> None:
    with pytest.raises(SystemExit) as exit_info:
        app_stall.main(["--runs", "0"])
    assert exit_info.value.code == 2


def test_runner_refuses_an_unknown_benchmark() -> None:
    with pytest.raises(SystemExit) as exit_info:
        run.main(["nonsense"])
    assert exit_info.value.code == 2
