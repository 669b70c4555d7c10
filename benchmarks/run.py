"""Run wheelscan's benchmarks and print their figures, ratios and targets.

    python -m benchmarks                  # all five, full size (about 3 minutes)
    python -m benchmarks scan compute     # some of them
    python -m benchmarks --json out.json  # also write the figures as JSON
    python benchmarks/run.py …            # the same

Each measurement's configurations run side by side in one process (or its
children), so the ratios stand even on a busy machine; absolute times do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import app_stall, compute, memory, scan_speed, startup
from benchmarks.common import BenchResult

BENCHMARKS: dict[str, Callable[[], BenchResult]] = {
    "scan": scan_speed.run,
    "compute": compute.run,
    "startup": startup.run,
    "memory": memory.run,
    "app": app_stall.run,
}


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Benchmarks.")
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--json", type=Path, help="write the results to this file as JSON")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}: choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    print(f"# wheelscan benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    results = []
    for name in names:
        result = BENCHMARKS[name]()
        results.append(result)
        print("\n".join(result.lines()), flush=True)
    missed = [t.name for r in results for t in r.targets if not t.met]
    print(f"# targets missed: {', '.join(missed) if missed else 'none'}")
    if args.json:
        payload = {"machine": machine(), "results": [r.to_json() for r in results]}
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
