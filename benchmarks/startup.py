"""Measurement 3: start-up of `wheelscan status --json`, `results --json` and `plan --json`.

Every command runs as a fresh process, round-robin (one of each in turn, so load
on the machine hits them alike), `runs` times; the figure is the median wall time.
References: `python -c pass` (the interpreter's own start); `python -c` doing
the store reads through wheelscan.store without the CLI (python + store read, the
reference of the 2026-11 runs, when the readers read nothing else); and, per
command, `python -c` making the same reads as the command without the CLI: for
`status`, config.toml (the plain settings, which name the store's namespace) and
the store's status; for `results`, config.toml, the ledger (the `cash` object) and
the published results; for the plan, config.toml (every rulebook), the ledger and
the published results, without building the plan. All read the demo namespace,
where the populating refresh published. Target: each command ≤ 1.5 × python's
start + its reads' own cost (its reference minus python's start). The store holds a published
demo scan of the default watchlist and of the ledger's symbols, made first with
`wheelscan refresh --source demo` over a ledger the plan has work on (two short
puts, 200 shares, cash).
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
STATUS_READS = (
    "from wheelscan.config import reader_settings; from wheelscan.store import Store; "
    "c = reader_settings(source='demo'); s = Store.for_source(c['source']); s.read_status(); "
    "s.close()"
)
RESULTS_READS = (
    "from wheelscan.config import reader_settings; from wheelscan.positions import "
    "load_ledger; from wheelscan.store import Store; c = reader_settings(source='demo'); "
    "load_ledger(); s = Store.for_source(c['source']); s.read_results(c['results_ttl_minutes']); "
    "s.close()"
)
PLAN_READS = (
    "from wheelscan.config import effective_settings; from wheelscan.positions import "
    "load_ledger; from wheelscan.store import Store; c = effective_settings(source='demo'); "
    "load_ledger(); s = Store.for_source(c.source); s.read_results(); s.close()"
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


def wheel_ledger(home: Path) -> float:
    """A ledger the plan has work on, from the demo's listings today: a short put on SPY
    (out of the money) and on QQQ (in the money), 200 AMD shares. Returns a `cash` for
    new puts besides them."""
    from wheelscan.core.expiry import new_york_date
    from wheelscan.core.ledger import SELL, SHARES, Event
    from wheelscan.positions import POSITIONS_FILE, append_events
    from wheelscan.yahoo.demo import DemoMarket

    market = DemoMarket()
    today = new_york_date(market.now())
    events, collateral = [], 0.0
    for symbol, moneyness in (("SPY", 0.95), ("QQQ", 1.02)):
        day = market.expirations(symbol)[2]
        rows = market.chain_json(symbol, day)["puts"]
        spot = market.day(symbol).price
        quoted = [r for r in rows if "strike" in r and r.get("bid", 0) > 0]
        row = min(quoted, key=lambda r: abs(r["strike"] - spot * moneyness))
        events.append(Event(SELL, today, 1, row["bid"], contract=row["contractSymbol"]))
        collateral += row["strike"] * 100
    events.append(Event(SHARES, today, 200, market.day("AMD").price, "AMD"))
    append_events(events, home / POSITIONS_FILE)
    return collateral + 50_000.0


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
            cash = wheel_ledger(Path(home))
            for args in (["config", "set", "cash", str(cash)], ["refresh", "--source", "demo"]):
                subprocess.run([*cli, *args], env=env, check=True, capture_output=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python + store read": [sys.executable, "-c", STORE_READ],
            "python + status reads": [sys.executable, "-c", STATUS_READS],
            "python + results reads": [sys.executable, "-c", RESULTS_READS],
            "python + plan reads": [sys.executable, "-c", PLAN_READS],
            "wheelscan status --json": [*cli, "status", "--json", "--source", "demo"],
            "wheelscan results --json": [*cli, "results", "--json", "--source", "demo"],
            "wheelscan plan --json": [*cli, "plan", "--json", "--source", "demo"],
        }
        for command in commands.values():
            wall_time(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(wall_time(command, env))
    medians = {name: median(values) for name, values in times.items()}
    python_s = medians["python -c pass"]
    store_s = medians["python + store read"]
    figures: dict[str, object] = {f"{name} (ms, median)": s * 1000 for name, s in medians.items()}
    figures["runs each"] = runs
    targets = []
    for name, reference in (
        ("wheelscan status --json", "python + status reads"),
        ("wheelscan results --json", "python + results reads"),
        ("wheelscan plan --json", "python + plan reads"),
    ):
        reference_s = medians[reference]
        allowed = FACTOR * python_s + reference_s - python_s
        figures[f"{name}: allowed, 1.5 × python + ({reference} − python) (ms)"] = allowed * 1000
        figures[f"{name} / python -c pass (×)"] = medians[name] / python_s
        figures[f"{name} / python + store read (×)"] = medians[name] / store_s
        figures[f"{name} / {reference} (×)"] = medians[name] / reference_s
        targets.append(Target(f"{name} (ms)", medians[name] * 1000, allowed * 1000))
    return BenchResult("startup", "3. Start-up (fresh process each run)", figures, targets)
