"""Measurement 4: peak RSS of a large demo scan, each in its own subprocess.

Three children: the real command (`wheelscan scan SYMBOLS… --source demo --json`,
WHEELSCAN_HOME in a temp dir), the engine alone with the JSON document, and a
bare import of the scan stack for scale. Each child reports its own VmHWM (the
high-water mark of its resident set, /proc/self/status) when it exits. Not the
kernel's ru_maxrss: that one carries over the pre-exec image of the forking
parent, so a child of a big benchmark process reads as big as its parent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Target, bench_symbols

RSS_TARGET_MB = 250.0
REPO = Path(__file__).resolve().parents[1]


REPORT = """
import atexit, os, sys

def _report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["WHEELSCAN_BENCH_RSS_FILE"], "w") as out:
        out.write(peak)

atexit.register(_report)
"""
CLI = (
    REPORT
    + """
sys.argv = ["wheelscan", *sys.argv[1:]]
from wheelscan.cli.fast import run
run()
"""
)
ENGINE_ONLY = REPORT + "from benchmarks.memory import child; child(int(sys.argv[1]))"
IMPORT_ONLY = REPORT + "import wheelscan.scan.engine, wheelscan.yahoo.source"


def peak_rss_mb(code: str, args: list[str], env: dict[str, str], stdout: Any) -> tuple[float, int]:
    """Run `python -c code args…`; the child's own peak resident set in MB, and its status."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        env = env | {"WHEELSCAN_BENCH_RSS_FILE": report.name}
        status = subprocess.run(
            [sys.executable, "-c", code, *args], env=env, cwd=REPO, stdout=stdout, check=False
        ).returncode
        text = Path(report.name).read_text().strip()
    return (int(text) / 1024 if text else float("nan")), status


def child(tickers: int) -> None:
    """The engine and the JSON document, nothing else: what the CLI adds shows by difference."""
    from wheelscan.config import Settings
    from wheelscan.core.models import ScanKind
    from wheelscan.core.scan_record import report_document
    from wheelscan.scan.engine import ScanEngine
    from wheelscan.yahoo.source import make_source

    engine = ScanEngine(make_source("demo"), Settings(source="demo"), bench_symbols(tickers))
    print(len(json.dumps(report_document(engine.run_blocking(), "bench", ScanKind.ADHOC))))


def run(tickers: int = 500) -> BenchResult:
    symbols = bench_symbols(tickers)
    with tempfile.TemporaryDirectory(prefix="wheelscan-bench-") as home:
        env = os.environ | {
            "WHEELSCAN_HOME": home,
            "WHEELSCAN_DEMO_LATENCY": "0",
            "PYTHONPATH": str(REPO),
        }
        out_path = Path(home) / "scan.json"
        with out_path.open("wb") as out:
            cli_mb, cli_status = peak_rss_mb(
                CLI, ["scan", *symbols, "--source", "demo", "--json"], env, out
            )
        try:
            scanned = len(json.loads(out_path.read_bytes())["results"])
        except (ValueError, KeyError):
            scanned = -1
        engine_mb, engine_status = peak_rss_mb(ENGINE_ONLY, [str(tickers)], env, subprocess.DEVNULL)
        import_mb, _ = peak_rss_mb(IMPORT_ONLY, [], env, subprocess.DEVNULL)
    return BenchResult(
        "memory",
        f"4. Memory: peak RSS of a {tickers}-ticker demo scan",
        {
            "`wheelscan scan … --json` peak RSS (MB)": cli_mb,
            "CLI exit status": cli_status,
            "tickers in the CLI JSON results": scanned,
            "engine + JSON document only, peak RSS (MB)": engine_mb,
            "engine-only exit status": engine_status,
            "importing the scan stack only, peak RSS (MB)": import_mb,
        },
        [Target("CLI scan peak RSS (MB)", cli_mb, RSS_TARGET_MB)],
    )
