"""What every benchmark shares: the result record, a fixed demo market, symbols, timing."""

from __future__ import annotations

import itertools
import json
import statistics
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.transports import DemoTransport

# A Monday 10:00 in New York: the 4-week window then holds four weekly expirations,
# so request counts are the same on every run whatever the day it runs.
FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    """One target of issue 6: `value` compared with `limit` (`<=` or `>=`)."""

    name: str
    value: float
    limit: float
    at_most: bool = True

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def describe(self) -> str:
        sign = "≤" if self.at_most else "≥"
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: {self.value:.3g} (target {sign} {self.limit:.3g}) {verdict}"


@dataclass
class BenchResult:
    """A benchmark's figures (name → number or text) and the targets they are judged by."""

    name: str
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"## {self.title}"]
        for key, value in self.figures.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            out.append(f"  {key}: {shown}")
        out.extend(f"  target {t.describe()}" for t in self.targets)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "figures": self.figures,
            "targets": [
                {"name": t.name, "value": t.value, "limit": t.limit, "met": t.met}
                for t in self.targets
            ],
        }


class CountingDemoTransport(DemoTransport):
    """The demo market at FIXED_NOW, counting requests and the most in flight at once.

    `prepare` builds the answers beforehand: a real server's work is not done on
    the client's CPU, so a faithful simulation leaves only the latency to pay.
    """

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=latency)
        self._flight_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.prepared: dict[tuple[str, int | None], bytes] = {}

    def prepare(self, symbols: list[str]) -> None:
        """Generate every answer the symbols can be asked for (no date, each expiration)."""
        for symbol in symbols:
            listed = self.market.options_json(symbol, None)
            self.prepared[symbol, None] = json.dumps(listed).encode()
            for epoch in listed["optionChain"]["result"][0]["expirationDates"]:
                body = json.dumps(self.market.options_json(symbol, epoch)).encode()
                self.prepared[symbol, epoch] = body

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        with self._flight_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = self.prepared.get((symbol, epoch))
            if body is None:
                return super().answer_options(symbol, epoch)
            if self.latency:
                self._sleep(self.latency)
            return 200, body
        finally:
            with self._flight_lock:
                self.in_flight -= 1


def bench_symbols(count: int) -> list[str]:
    """`count` distinct valid symbols (AAA, AAB, …); the demo market answers any symbol."""
    letters = string.ascii_uppercase
    return ["".join(p) for p in itertools.islice(itertools.product(letters, repeat=3), count)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median(values: list[float]) -> float:
    return statistics.median(values)
