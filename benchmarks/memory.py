"""Measurement 4: peak RSS of a large demo scan, each in its own subprocess.

Three children, measured with os.wait4 (the kernel's ru_maxrss of that child):
the real command (`python -m wheelscan scan SYMBOLS… --source demo --json`,
WHEELSCAN_HOME in a temp dir), the engine alone with the JSON document (this
module run with `--child N`), and a bare import of the scan stack for scale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import BenchResult, Target, bench_symbols

RSS_TARGET_MB = 250.0
REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb(command: list[str], env: dict[str, str], stdout: int | object) -> tuple[float, int]:
    """Run `command`; its peak resident set in MB and its exit status."""
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=stdout)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, process.returncode


def child(tickers: int) -> None:
    """The engine and the JSON document, nothing else: what the CLI adds shows by difference."""
    from wheelscan.core.document import scan_document
    from wheelscan.core.models import Criteria
    from wheelscan.engine import ScanEngine, run_scan
    from wheelscan.yahoo.source import make_source

    report = run_scan(ScanEngine(make_source("demo")), bench_symbols(tickers), Criteria())
    print(len(json.dumps(scan_document(report, "bench", "adhoc"))))


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
                [sys.executable, "-m", "wheelscan", "scan", *symbols, "--source", "demo", "--json"],
                env,
                out,
            )
        try:
            scanned = len(json.loads(out_path.read_bytes())["results"])
        except (ValueError, KeyError):
            scanned = -1
        engine_mb, engine_status = peak_rss_mb(
            [sys.executable, "-m", "benchmarks.memory", "--child", str(tickers)],
            env,
            subprocess.DEVNULL,
        )
        import_mb, _ = peak_rss_mb(
            [sys.executable, "-c", "import wheelscan.engine, wheelscan.yahoo.source"],
            env,
            subprocess.DEVNULL,
        )
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


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
