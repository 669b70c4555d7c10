"""Transports that misbehave the way Yahoo does, for tests. They sit under real yfinance.

FIXED_NOW and INVALID_CRUMB are faults.py's (tests import them from either module)."""

from __future__ import annotations

import threading
import time

import requests

from faults import FIXED_NOW, INVALID_CRUMB
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport, options_request


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


class RefusesFirstAnswer(DemoTransport):
    """Answers the first options request 401 "Invalid Crumb", as Yahoo does for a stale crumb.

    yfinance then drops its cookie and looks one up in its cookie cache before retrying.
    """

    def __init__(self) -> None:
        super().__init__(latency=0)
        self.refused = False

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        with self._lock:
            refuse, self.refused = not self.refused, True
        if refuse:
            return 401, INVALID_CRUMB
        return super().answer_options(symbol, epoch)


class CrumbUnreachable(DemoTransport):
    """The crumb URL drops every connection: yfinance logs a warning before each request."""

    def __init__(self) -> None:
        super().__init__(latency=0)

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        if "getcrumb" in url and options_request(url) is None:
            raise requests.exceptions.ConnectionError("connection reset by the crumb server")
        return super().send(request, *args, **kwargs)


def source_over(transport: DemoTransport, name: str = "demo") -> YahooSource:
    return YahooSource(name, transport)
