"""Transports that misbehave the way Yahoo does, for tests. They sit under real yfinance."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport

FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York


class CountingDemo(DemoTransport):
    """The demo market at a fixed time, recording how many requests were in flight at once."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=latency)
        self._flight_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        with self._flight_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return super().answer_options(symbol, epoch)
        finally:
            with self._flight_lock:
                self.in_flight -= 1


class RateLimitStorm(CountingDemo):
    """Answers HTTP 429 to the first `storm` options requests (forever when None)."""

    def __init__(self, storm: int | None) -> None:
        super().__init__()
        self.storm = storm
        self.refused = 0

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        with self._flight_lock:
            refuse = self.storm is None or self.refused < self.storm
            if refuse:
                self.refused += 1
        if refuse:
            time.sleep(0.001)
            return 429, b"Too Many Requests"
        return super().answer_options(symbol, epoch)


def source_over(transport: DemoTransport, name: str = "demo") -> YahooSource:
    return YahooSource(name, transport)
