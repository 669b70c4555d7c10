"""Reproduce the figures of RELIABILITY.md at full size.

    . .venv/bin/activate && python scripts/reliability.py [--quick]

Runs, each in its own temporary WHEELSCAN_HOME: the fault matrix on 50-ticker scans
(every fault kind, clearing and persisting), one persistent fault storm with the
default engine settings (wall time must stay bounded), the hostile-input properties
with many examples, the store under load for 60 s (4 scanners, 8 readers) and 20
SIGKILLs. Prints one JSON summary; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from faults import PERMANENT_KINDS, TRANSIENT_KINDS, CrumbExpiry, Fault, FaultyDemo  # noqa: E402
from test_store_load import run_kills, run_load  # noqa: E402
from wheelscan.config import Settings  # noqa: E402
from wheelscan.core.models import ScanState  # noqa: E402
from wheelscan.scan.engine import RetryPolicy, ScanEngine  # noqa: E402
from wheelscan.yahoo.source import YahooSource  # noqa: E402

SYMBOLS = [f"F{i:02d}" for i in range(50)]
FAST = RetryPolicy(backoff_base_s=0.01, rate_limit_backoff_base_s=0.01, backoff_max_s=0.05)
DEMO = Settings(source="demo")


def fault_matrix() -> dict[str, object]:
    injected = 0
    scans = 0
    failures: list[str] = []
    for kind in [*TRANSIENT_KINDS, *PERMANENT_KINDS]:
        for times in (3, None):
            transport = FaultyDemo({s: Fault(kind, times) for s in SYMBOLS[:25]})
            engine = ScanEngine(YahooSource("demo", transport), DEMO, SYMBOLS, retry=FAST)
            report = engine.run_blocking()
            scans += 1
            injected += sum(transport.injected.values())
            clears = times is not None and kind in TRANSIENT_KINDS
            expected_errors = set() if clears else set(SYMBOLS[:25])
            if report.state is not ScanState.SUCCEEDED or set(report.errors) != expected_errors:
                failures.append(f"{kind} times={times}: {report.state} {len(report.errors)} errors")
    crumb = CrumbExpiry(valid_for=20)
    report = ScanEngine(YahooSource("demo", crumb), DEMO, SYMBOLS, retry=FAST).run_blocking()
    injected += crumb.rejected
    if report.errors or crumb.crumbs_issued < 2:
        failures.append(f"crumb expiry: {report.errors}")
    return {"scans": scans + 1, "faults_injected": injected, "failures": failures}


def storm_with_default_settings() -> dict[str, object]:
    """Persistent 429s, 503s and resets on 30 of 50 tickers, production backoffs."""
    kinds = ["429", "503", "reset"]
    faults = {s: Fault(kinds[i % 3]) for i, s in enumerate(SYMBOLS[:30])}
    transport = FaultyDemo(faults)
    started = time.monotonic()
    report = ScanEngine(YahooSource("demo", transport), DEMO, SYMBOLS).run_blocking()
    elapsed = time.monotonic() - started
    settings = RetryPolicy()
    return {
        "wall_s": round(elapsed, 1),
        "faults_injected": sum(transport.injected.values()),
        "state": str(report.state),
        "failed_tickers": len(report.errors),
        "ok": report.state is ScanState.SUCCEEDED and len(report.errors) == 30,
        "bound_s": settings.max_attempts * settings.backoff_max_s * 2,
    }


def hostile(examples: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_hostile.py"],
        cwd=ROOT,
        env={**os.environ, "WHEELSCAN_HOSTILE_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
    )
    generated_properties = 6
    return {
        "examples_per_property": examples,
        "generated_inputs_up_to": examples * generated_properties,
        "pytest": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr,
        "ok": done.returncode == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    seconds, kills, examples = (8, 3, 30) if args.quick else (60, 20, 300)
    summary: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WHEELSCAN_HOME"] = str(Path(tmp) / "faults")
        summary["fault_matrix"] = fault_matrix()
        summary["default_settings_storm"] = storm_with_default_settings()
        summary["hostile_input"] = hostile(examples)
        load = run_load(Path(tmp) / "load", seconds)
        summary["store_load"] = {
            "seconds": seconds,
            "reads_checked": load.reads,
            "lock_acquisitions": load.acquisitions,
            "overlaps": load.overlaps,
            "problems": load.problems,
            "scan_exit_codes": {str(c): load.scan_codes.count(c) for c in set(load.scan_codes)},
        }
        killed = run_kills(Path(tmp) / "kills", kills)
        summary["sigkill"] = {
            "kills": killed.kills,
            "survived": killed.survived,
            "problems": killed.problems,
        }
    print(json.dumps(summary, indent=2))
    ok = (
        not summary["fault_matrix"]["failures"]  # type: ignore[index]
        and summary["default_settings_storm"]["ok"]  # type: ignore[index]
        and summary["hostile_input"]["ok"]  # type: ignore[index]
        and not load.overlaps
        and not load.problems
        and killed.survived == killed.kills
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
