"""Measurement 5: the terminal app's largest event-loop stall while a scan streams in.

The app runs headless under `App.run_test()` on the demo source (latency on,
WHEELSCAN_HOME in a temp dir holding a watchlist of N tickers). `s` starts the
app's scan process (`wheelscan refresh --force`), which the app follows through
the store. A Textual interval timer fires every 10 ms on the app's event loop;
any gap between two firings beyond 10 ms is time the loop was blocked. The probe
runs until the scan has ended, the app has reloaded the published results it
ended with and drawn them (the end of a scan is part of it streaming in). The
same probe runs first with the app idle for 1 s, so the machine's own noise
shows beside the figure. Run for 100 and 500 tickers:

    python benchmarks/app_stall.py                     # 100 and 500 tickers, once
    python benchmarks/app_stall.py --tickers 500 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import BenchResult, Target, bench_symbols

if TYPE_CHECKING:
    from wheelscan.tui.app import WheelscanApp

STALL_TARGET_MS = 50.0
TICKERS = (100, 500)
PROBE_S = 0.010
SIZE = (120, 40)


class LoopProbe:
    """Records how late each firing of a periodic timer came, and how much CPU the event
    loop's thread used between two firings (a late firing with little CPU is the machine
    running something else, not the app)."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.last_cpu = 0.0
        self.lateness_ms: list[float] = []
        self.busy_ms: list[float] = []

    def fire(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.last is not None:
            self.lateness_ms.append(max(0.0, (now - self.last - PROBE_S) * 1000))
            self.busy_ms.append((cpu - self.last_cpu) * 1000)
        self.last, self.last_cpu = now, cpu

    def worst(self) -> float:
        return max(self.lateness_ms, default=0.0)

    def cpu_in_worst(self) -> float:
        """The loop's CPU in the largest stall: near the stall, the app was busy; near 0,
        it waited (for a core, or for the GIL another thread of the app held)."""
        if not self.lateness_ms:
            return 0.0
        return self.busy_ms[self.lateness_ms.index(self.worst())]

    def over(self, limit_ms: float) -> int:
        return sum(lateness > limit_ms for lateness in self.lateness_ms)

    def p99(self) -> float:
        if len(self.lateness_ms) < 2:
            return self.worst()
        return statistics.quantiles(self.lateness_ms, n=100)[98]


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _watchlist(home: Path, symbols: list[str]) -> None:
    """The temp home's config (demo source) and watchlist, as a user would write them."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('source = "demo"\n', encoding="utf-8")
    tickers = "".join(f"[tickers.{symbol}]\n" for symbol in symbols)
    (home / "watchlist.toml").write_text(tickers, encoding="utf-8")


async def _measure(tickers: int, timeout_s: float) -> dict[str, object]:
    from textual.timer import Timer

    from wheelscan.config import effective_settings
    from wheelscan.tui.app import WheelscanApp
    from wheelscan.tui.puts_tree import PutsTree

    app = WheelscanApp(
        effective_settings(),
        export_dir=Path(tempfile.gettempdir()),
        check_market=False,
        idle_poll_s=None,
        state_file=None,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        idle = LoopProbe()
        timer: Timer = app.set_interval(PROBE_S, idle.fire)
        await asyncio.sleep(1.0)
        timer.stop()

        busy = LoopProbe()
        timer = app.set_interval(PROBE_S, busy.fire)
        started = time.perf_counter()
        await pilot.press("s")
        deadline = started + timeout_s
        tree = app.query_one(PutsTree)
        while (app.scan.running or len(tree.symbols()) < tickers) and (
            time.perf_counter() < deadline
        ):
            await asyncio.sleep(0.05)
        scan_s = time.perf_counter() - started
        while not _reloaded(app) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        reloaded_s = time.perf_counter() - started
        await asyncio.sleep(0.2)  # the frames that draw what the reload brought
        timer.stop()
        await app.workers.wait_for_complete()
        nodes = len(tree.symbols())
        outcome = str(app.scan.outcome) if app.scan.outcome else "none"
    return {
        "scan process, wall time until the tree is full (s)": scan_s,
        "until the published results are reloaded and drawn (s)": reloaded_s,
        "ticker nodes in the tree at the end": nodes,
        "scan outcome": outcome,
        "largest stall while scanning (ms)": busy.worst(),
        "loop CPU in the largest stall (ms)": busy.cpu_in_worst(),
        "largest loop CPU between two firings while scanning (ms)": max(busy.busy_ms, default=0),
        f"stalls over {STALL_TARGET_MS:.0f} ms while scanning": busy.over(STALL_TARGET_MS),
        "p99 timer lateness while scanning (ms)": busy.p99(),
        "timer firings while scanning": len(busy.lateness_ms),
        "largest stall while idle, same app (ms)": idle.worst(),
        "p99 timer lateness while idle (ms)": idle.p99(),
        "load average (1 min) at the end": os.getloadavg()[0],
    }


def _reloaded(app: WheelscanApp) -> bool:
    """The app has read the results the scan published (it had none before) and has
    no tickers left to draw."""
    return app.data_time is not None and not app.dirty and not app.redraw_pending


def measure(tickers: int, latency: float, timeout_s: float) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="wheelscan-bench-") as home,
        environment(WHEELSCAN_HOME=home, WHEELSCAN_DEMO_LATENCY=str(latency)),
    ):
        _watchlist(Path(home), bench_symbols(tickers))
        return asyncio.run(_measure(tickers, timeout_s))


def run(
    tickers: tuple[int, ...] = TICKERS, latency: float = 0.05, timeout_s: float = 300.0
) -> BenchResult:
    figures: dict[str, object] = {}
    targets = []
    for count in tickers:
        measured = measure(count, latency, timeout_s)
        figures.update({f"{count} tickers: {name}": value for name, value in measured.items()})
        worst = float(measured["largest stall while scanning (ms)"])  # type: ignore[arg-type]
        targets.append(
            Target(f"largest event-loop stall, {count} tickers (ms)", worst, STALL_TARGET_MS)
        )
    return BenchResult(
        "app",
        f"5. App responsiveness: the app's scan process of {' and '.join(map(str, tickers))} "
        f"demo tickers streaming into the tree, latency {latency} s/request",
        figures,
        targets,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/app_stall.py",
        description="The app's largest event-loop stall while its scan process streams in.",
    )
    parser.add_argument(
        "--tickers",
        type=int,
        nargs="+",
        default=list(TICKERS),
        help="watchlist sizes to measure (default: 100 500)",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of each size (default: 1)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="demo seconds per request (default: 0.05)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or any(count < 1 for count in args.tickers):
        parser.error("--runs and --tickers take positive numbers")
    for number in range(1, args.runs + 1):
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"# run {number}, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, load average {load}")
        result = run(tuple(args.tickers), args.latency)
        print("\n".join(result.lines()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
