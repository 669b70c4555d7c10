"""Measurement 3: start-up of `wheelscan status --json` and `wheelscan results --json`.

Every command runs as a fresh process, round-robin (one of each in turn, so load
on the machine hits them alike), `runs` times; the figure is the median wall time.
References: `python -c pass` (the interpreter's own start) and `python -c` doing
the same store reads through wheelscan.store without the CLI (python + the store
read). Both read the demo namespace, where the populating refresh published.
Target: each command ≤ 1.5 × python's start + the store read's own cost
(the reference minus python's start). The store holds a published demo scan of
the default watchlist, made first with `wheelscan refresh --source demo`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BenchResult, Target, median

FACTOR = 1.5
STORE_READ = (
    "from wheelscan.store import Store; s = Store.for_source('demo'); s.read_results(); "
    "s.read_status(); s.close()"
)


def wheelscan_command() -> list[str]:
    """The console script next to this interpreter, else `python -m wheelscan`."""
    script = Path(sys.executable).with_name("wheelscan")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wheelscan"]


def wall_time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} exited {completed.returncode}")
    return elapsed


def run(runs: int = 60, populate: bool = True) -> BenchResult:
    cli = wheelscan_command()
    with tempfile.TemporaryDirectory(prefix="wheelscan-bench-") as home:
        env = os.environ | {
            "WHEELSCAN_HOME": home,
            "WHEELSCAN_DEMO_LATENCY": "0",
            "PYTHONPYCACHEPREFIX": str(Path(home) / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if populate:
            subprocess.run(
                [*cli, "refresh", "--source", "demo"], env=env, check=True, capture_output=True
            )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python + store read": [sys.executable, "-c", STORE_READ],
            "wheelscan status --json": [*cli, "status", "--json", "--source", "demo"],
            "wheelscan results --json": [*cli, "results", "--json", "--source", "demo"],
        }
        for command in commands.values():
            wall_time(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(wall_time(command, env))
    medians = {name: median(values) for name, values in times.items()}
    python_s = medians["python -c pass"]
    store_read_s = medians["python + store read"] - python_s
    allowed = FACTOR * python_s + store_read_s
    figures: dict[str, object] = {f"{name} (ms, median)": s * 1000 for name, s in medians.items()}
    figures["runs each"] = runs
    figures["allowed: 1.5 × python + store read (ms)"] = allowed * 1000
    targets = []
    reference_s = medians["python + store read"]
    for name in ("wheelscan status --json", "wheelscan results --json"):
        figures[f"{name} / python -c pass (×)"] = medians[name] / python_s
        figures[f"{name} / python + store read (×)"] = medians[name] / reference_s
        targets.append(Target(f"{name} (ms)", medians[name] * 1000, allowed * 1000))
    return BenchResult("startup", "3. Start-up (fresh process each run)", figures, targets)
