"""requests transport adapters that stand in for Yahoo's servers.

Mounted on a plain `requests.Session` and handed to yfinance, they let the
real yfinance code fetch and parse chains offline: from a snapshot directory
or from the demo market. They answer yfinance's cookie, crumb and consent
requests too. They set no cookie on purpose: yfinance persists a Yahoo cookie
to disk, and a fake one would later be sent to the real Yahoo.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from wheelscan.yahoo.demo import DemoMarket

OPTIONS_PATH = "/v7/finance/options/"
CRUMB = "wheelscan-offline-crumb"
EMPTY_RESULT = b'{"optionChain":{"result":[],"error":null}}'
LATENCY_ENV = "WHEELSCAN_DEMO_LATENCY"


def options_request(url: str) -> tuple[str, int | None] | None:
    """(symbol, date epoch or None) when `url` is a Yahoo options request, else None."""
    parts = urlsplit(url)
    if not parts.path.startswith(OPTIONS_PATH):
        return None
    symbol = unquote(parts.path[len(OPTIONS_PATH) :])
    dates = parse_qs(parts.query).get("date")
    try:
        epoch = int(dates[0]) if dates else None
    except ValueError:
        epoch = -1
    return symbol, epoch


def snapshot_file_name(symbol: str, epoch: int | None) -> str:
    """The SPEC 1.2 file name of one options request."""
    return f"{symbol}.json" if epoch is None else f"{symbol}_{epoch}.json"


def _response(
    request: requests.PreparedRequest, status: int, body: bytes, content_type: str
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict({"Content-Type": content_type})
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.reason = "OK" if status < 400 else "Error"
    return response


class YahooStandIn(BaseAdapter):
    """Answers everything yfinance asks Yahoo; subclasses answer the options requests.

    `options_requests` lists every options request as (symbol, epoch), so tests
    and benchmarks count requests at the transport.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.options_requests: list[tuple[str, int | None]] = []

    @property
    def request_count(self) -> int:
        return len(self.options_requests)

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        wanted = options_request(url)
        if wanted is not None:
            with self._lock:
                self.options_requests.append(wanted)
            status, body = self.answer_options(*wanted)
            return _response(request, status, body, "application/json")
        if "getcrumb" in url:
            return _response(request, 200, CRUMB.encode(), "text/plain")
        return _response(request, 200, b"<html><body>ok</body></html>", "text/html")

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release: no sockets are opened."""


class SnapshotTransport(YahooStandIn):
    """Replays raw Yahoo responses from a directory laid out as SPEC 1.2."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory.resolve()

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        path = (self.directory / snapshot_file_name(symbol, epoch)).resolve()
        if path.parent != self.directory or not path.is_file():
            return 200, EMPTY_RESULT
        return 200, path.read_bytes()


def demo_latency() -> float:
    """Seconds each demo options request sleeps, from WHEELSCAN_DEMO_LATENCY (default 0)."""
    raw = os.environ.get(LATENCY_ENV, "0")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 0.0


class DemoTransport(YahooStandIn):
    """Answers from the synthetic demo market, with optional per-request latency."""

    def __init__(
        self,
        market: DemoMarket | None = None,
        latency: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.market = market or DemoMarket()
        self.latency = demo_latency() if latency is None else latency
        self._sleep = sleep

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        if self.latency:
            self._sleep(self.latency)
        return 200, json.dumps(self.market.options_json(symbol, epoch)).encode()


def offline_session(transport: YahooStandIn) -> requests.Session:
    """A requests session whose every https request goes to `transport`."""
    session = requests.Session()
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session
