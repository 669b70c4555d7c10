"""Measurement 5: the terminal app's largest event-loop stall while a scan streams in.

The app runs headless under `App.run_test()` on the demo source (latency on,
WHEELSCAN_HOME in a temp dir). A Textual interval timer fires every 10 ms on
the app's event loop; any gap between two firings beyond 10 ms is time the loop
was blocked. The same probe runs first with the app idle, for as long, so the
machine's own noise shows beside the figure.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import BenchResult, Target, bench_symbols

STALL_TARGET_MS = 100.0
PROBE_S = 0.010
SIZE = (120, 40)


class LoopProbe:
    """Records how late each firing of a periodic timer came."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.lateness_ms: list[float] = []

    def fire(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.lateness_ms.append(max(0.0, (now - self.last - PROBE_S) * 1000))
        self.last = now

    def worst(self) -> float:
        return max(self.lateness_ms, default=0.0)

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


async def _measure(tickers: int, timeout_s: float) -> dict[str, object]:
    from textual.timer import Timer

    from wheelscan.config import Settings
    from wheelscan.tui.app import WheelscanApp
    from wheelscan.tui.widgets import ResultsTree

    symbols = bench_symbols(tickers)
    app = WheelscanApp(
        Settings(source="demo"),
        symbols=symbols,
        export_dir=Path(tempfile.gettempdir()),
        check_market=False,
        idle_poll_s=None,
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
        tree = app.query_one(ResultsTree)
        while (app.scan.mode == "scanning" or len(tree.root.children) < tickers) and (
            time.perf_counter() < deadline
        ):
            await asyncio.sleep(0.05)
        scan_s = time.perf_counter() - started
        timer.stop()
        await app.workers.wait_for_complete()
        nodes = len(tree.root.children)
        outcome = str(app.scan.outcome) if app.scan.outcome else "none"
    return {
        "scan in the app, wall time (s)": scan_s,
        "ticker nodes in the tree at the end": nodes,
        "scan outcome": outcome,
        "largest stall while scanning (ms)": busy.worst(),
        "p99 timer lateness while scanning (ms)": busy.p99(),
        "timer firings while scanning": len(busy.lateness_ms),
        "largest stall while idle, same app (ms)": idle.worst(),
        "p99 timer lateness while idle (ms)": idle.p99(),
    }


def run(tickers: int = 100, latency: float = 0.05, timeout_s: float = 120.0) -> BenchResult:
    with (
        tempfile.TemporaryDirectory(prefix="wheelscan-bench-") as home,
        environment(WHEELSCAN_HOME=home, WHEELSCAN_DEMO_LATENCY=str(latency)),
    ):
        figures = asyncio.run(_measure(tickers, timeout_s))
    worst = float(figures["largest stall while scanning (ms)"])  # type: ignore[arg-type]
    return BenchResult(
        "app",
        f"5. App responsiveness: {tickers}-ticker demo scan streaming into the tree, "
        f"latency {latency} s/request",
        figures,
        [Target("largest event-loop stall (ms)", worst, STALL_TARGET_MS)],
    )
