"""Reproduce the figures of RELIABILITY.md.

    . .venv/bin/activate && python scripts/reliability.py [--scale K] [--cases a,b] [--seed S]

Runs each case in its own temporary WHEELSCAN_HOME, on real processes and files:
the fault matrix on 50-ticker scans (every fault kind, clearing and persisting),
the hostile-input properties, the store under load (scanners and readers), and
issue 13's trials (reliability_day.py, reliability_disks.py): SIGKILL then refresh
at once, a stopped writer among readers, live/demo/snapshot isolation, Ctrl-C,
hostile snapshot entries, read-only and full disks (root). `storm` (a persistent
fault storm with the production backoffs, about a minute) runs only when named.

Every trial has a deadline; the run stops starting trials once `--budget-s` is
spent (the default sizes fit inside it on 2 busy cores). `--scale` multiplies every
count (trials, examples, scans per scanner). Prints one JSON summary (trials, held,
failed, problems per case); exits 1 if any trial failed or a planned one did not run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reliability_day
import reliability_disks
from reliability_support import ROOT, Budget, Case

from faults import PERMANENT_KINDS, TRANSIENT_KINDS, CrumbExpiry, Fault, FaultyDemo
from test_store_load import run_load
from wheelscan.config import Settings
from wheelscan.core.models import ScanState
from wheelscan.scan.engine import RetryPolicy, ScanEngine
from wheelscan.yahoo.source import YahooSource

SYMBOLS = [f"F{i:02d}" for i in range(50)]
FAST = RetryPolicy(backoff_base_s=0.01, rate_limit_backoff_base_s=0.01, backoff_max_s=0.05)
DEMO = Settings(source="demo")
SCAN_DEADLINE_S = 120.0
"""One in-process 50-ticker scan of the fault matrix gets this long."""

Trial = Callable[[Case, Path, random.Random, Budget], None]


def _scan(transport: Any, retry: RetryPolicy | None = None, deadline: float = SCAN_DEADLINE_S):
    """An engine scan of SYMBOLS over `transport` in a thread; None past the deadline."""
    outcome: list[Any] = []
    engine = ScanEngine(YahooSource("demo", transport), DEMO, SYMBOLS, retry=retry or FAST)
    worker = threading.Thread(target=lambda: outcome.append(engine.run_blocking()), daemon=True)
    worker.start()
    worker.join(deadline)
    return outcome[0] if outcome else None


def fault_matrix(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    """Each fault kind on 25 of 50 tickers, clearing after 3 answers or persisting."""
    case.planned = 2 * len([*TRANSIENT_KINDS, *PERMANENT_KINDS]) + 1  # and the crumb expiry
    for kind in [*TRANSIENT_KINDS, *PERMANENT_KINDS]:
        for times in (3, None):
            if budget.spent:
                return
            transport = FaultyDemo({s: Fault(kind, times) for s in SYMBOLS[:25]})
            report = _scan(transport)
            case.count("faults_injected", sum(transport.injected.values()))
            clears = times is not None and kind in TRANSIENT_KINDS
            expected = set() if clears else set(SYMBOLS[:25])
            if report is None:
                case.record([f"{kind} times={times}: hung past {SCAN_DEADLINE_S:g} s"])
            elif report.state is not ScanState.SUCCEEDED or set(report.errors) != expected:
                case.record([f"{kind} times={times}: {report.state} {len(report.errors)} errors"])
            else:
                case.record([])
    crumb = CrumbExpiry(valid_for=20)
    report = _scan(crumb)
    case.count("faults_injected", crumb.rejected)
    if report is None or report.errors or crumb.crumbs_issued < 2:
        case.record([f"crumb expiry: {report and report.errors}"])
    else:
        case.record([])


def storm(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    """Persistent 429s, 503s and resets on 30 of 50 tickers, production backoffs."""
    kinds = ["429", "503", "reset"]
    transport = FaultyDemo({s: Fault(kinds[i % 3]) for i, s in enumerate(SYMBOLS[:30])})
    policy = RetryPolicy()
    bound = policy.max_attempts * policy.backoff_max_s * 2
    started = time.monotonic()
    report = _scan(transport, policy, deadline=bound)
    case.notes.update(
        wall_s=round(time.monotonic() - started, 1),
        faults_injected=sum(transport.injected.values()),
        deadline_s=bound,
    )
    if report is None:
        case.record([f"hung past {bound:g} s"])
    elif report.state is not ScanState.SUCCEEDED or len(report.errors) != 30:
        case.record([f"{report.state}, {len(report.errors)} tickers failed, not 30"])
    else:
        case.record([])


def hostile_input(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    """tests/test_hostile.py with `case.size` examples per generated property."""
    env = {**os.environ, "WHEELSCAN_HOSTILE_EXAMPLES": str(case.size)}
    env.pop("WHEELSCAN_HOME", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(
            [*command, "tests/test_hostile.py"], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=max(60.0, budget.ends - time.monotonic()),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        case.record(["pytest ran past the budget"])
        return
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    case.notes["pytest"] = last
    case.notes["generated_inputs_up_to"] = (case.size or 0) * 6  # six generated properties
    case.record([] if done.returncode == 0 else [last])


def store_load(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    """4 scanners each run `case.size` demo watchlist scans, handing the lock over, while
    8 readers poll `results --json` and `status --json`; then every reader reads once more."""
    bound = max(60.0, budget.ends - time.monotonic())
    load = run_load(root / "load", bound, scans_each=case.size)
    case.notes.update(
        reads_checked=load.reads,
        lock_acquisitions=load.acquisitions,
        scan_exit_codes={str(c): load.scan_codes.count(c) for c in sorted(set(load.scan_codes))},
        overlaps=load.overlaps,
    )
    if load.acquisitions != 4 * (case.size or 0):
        load.problems.append(f"{load.acquisitions} lock acquisitions, not {4 * (case.size or 0)}")
    if load.published_at_end is None or load.last_seen != [load.published_at_end] * 8:
        load.problems.append(f"readers' last reads {load.last_seen}, not {load.published_at_end}")
    case.record(load.problems + load.overlaps)


CASES: dict[str, tuple[Trial, int]] = {
    "fault_matrix": (fault_matrix, 1),
    "hostile_input": (hostile_input, 10),
    "store_load": (store_load, 2),
    "kill_then_refresh": (reliability_day.kill_then_refresh, 5),
    "stopped_writer": (reliability_day.stopped_writer, 4),
    "isolation": (reliability_day.isolation, 2),
    "interrupt": (reliability_day.interrupt, 4),
    "hostile_snapshot": (reliability_disks.hostile_snapshot, 8),
    "full_or_read_only": (reliability_disks.full_or_read_only, 3),
    "storm": (storm, 1),
}
"""Each case and its default size: trials, or examples per property (hostile_input), or
scans per scanner (store_load); the fault matrix and the storm have a fixed size."""
FIXED = {"fault_matrix", "storm"}
ONE_TRIAL = {"hostile_input", "store_load"}
NAMED_ONLY = {"storm"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    parser.add_argument("--cases", default="", help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--seed", type=int, default=13, help="random points and entries")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting trials after")
    args = parser.parse_args()
    chosen = [c for c in args.cases.split(",") if c] or [c for c in CASES if c not in NAMED_ONLY]
    unknown = set(chosen) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    budget, rng = Budget(args.budget_s), random.Random(args.seed)
    summary: dict[str, Any] = {"command": " ".join(["scripts/reliability.py", *sys.argv[1:]])}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WHEELSCAN_HOME"] = str(Path(tmp) / "in-process")
        for name in chosen:
            trial, size = CASES[name]
            scaled = size if name in FIXED else max(1, math.ceil(size * args.scale))
            case = Case(name, 1, scaled) if name in ONE_TRIAL else Case(name, scaled)
            (Path(tmp) / name).mkdir()
            trial(case, Path(tmp) / name, rng, budget)
            summary[name] = case.summary()
            print(f"{name}: {case.held}/{case.trials} held", file=sys.stderr, flush=True)
            failed |= case.trials != case.held or bool(case.problems)
            failed |= "skipped" not in case.notes and case.trials < case.planned
    summary["seconds"] = round(time.monotonic() - (budget.ends - args.budget_s), 1)
    print(json.dumps(summary, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
