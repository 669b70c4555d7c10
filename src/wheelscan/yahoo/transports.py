"""requests transport adapters that stand in for Yahoo's servers.

Mounted on a plain `requests.Session` and handed to yfinance, they let the
real yfinance code fetch and parse chains offline: from a snapshot directory
or from the demo market. They answer yfinance's cookie, crumb and consent
requests too. They set no cookie: yfinance would keep a fake one as Yahoo's
(in memory only, see _yfinance.py), and `use_session(..., sets_no_cookie=True)`
spares yfinance a cookie fetch before every request.
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

from wheelscan.yahoo.demo import QUOTE_SUMMARY_PATH, DemoMarket
from wheelscan.yahoo.fundamentals import TIMESERIES_PATH
from wheelscan.yahoo.snapshot_files import (
    fundamentals_file_name,
    is_options_response,
    is_summary_response,
    is_timeseries_response,
    load_fundamentals_file,
    load_snapshot_file,
    load_summary_file,
    snapshot_file_name,
    summary_file_name,
)

OPTIONS_PATH = "/v7/finance/options/"
CRUMB = "wheelscan-offline-crumb"
EMPTY_RESULT = b'{"optionChain":{"result":[],"error":null}}'
EMPTY_TIMESERIES = b'{"timeseries":{"result":[],"error":null}}'
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


def _symbol_under(url: str, prefix: str) -> str | None:
    path = urlsplit(url).path
    if not path.startswith(prefix):
        return None
    return unquote(path[len(prefix) :]) or None


def fundamentals_request(url: str) -> str | None:
    """The symbol when `url` is a Yahoo fundamentals-timeseries request, else None."""
    return _symbol_under(url, TIMESERIES_PATH)


def summary_request(url: str) -> str | None:
    """The symbol when `url` is a Yahoo quoteSummary request (the ex-dividend lookup's,
    yahoo/dividends.py), else None."""
    return _symbol_under(url, QUOTE_SUMMARY_PATH)


def unknown_summary(symbol: str) -> bytes:
    """Yahoo's quoteSummary body for a symbol it does not know."""
    error = {"code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}
    return json.dumps({"quoteSummary": {"result": None, "error": error}}).encode()


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
    """Replays raw Yahoo responses from a directory laid out as SPEC 1.2.

    A request with no file answers as Yahoo does for an unknown symbol. The
    fundamentals-timeseries request (the FCF method's cash flow) is answered from
    DIR/<TICKER>.fundamentals.json, as a symbol without statements when missing; the
    quoteSummary request (the ex-dividend date and dividend) from
    DIR/<TICKER>.summary.json, with Yahoo's not-found body when missing (status 200:
    yfinance answers an error status by resetting the process-wide cookie). A hostile
    entry (not a regular file, over 16 MiB, not an options answer) raises
    SnapshotFileError from `send`: it travels through yfinance like a dropped
    connection would, and becomes that request's error with its one-line reason.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory.resolve()

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        symbol = fundamentals_request(url)
        if symbol is not None:
            body = load_fundamentals_file(self.directory, symbol)
            return _response(request, 200, body or EMPTY_TIMESERIES, "application/json")
        symbol = summary_request(url)
        if symbol is not None:
            body = load_summary_file(self.directory, symbol)
            return _response(request, 200, body or unknown_summary(symbol), "application/json")
        return super().send(request, *args, **kwargs)

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        """The entry's bytes; a name that is no entry directly in the dir is unknown."""
        body = load_snapshot_file(self.directory, snapshot_file_name(symbol, epoch))
        return 200, EMPTY_RESULT if body is None else body


def demo_latency() -> float:
    """Seconds each demo request sleeps, from WHEELSCAN_DEMO_LATENCY (default 0)."""
    raw = os.environ.get(LATENCY_ENV, "0")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 0.0


class DemoTransport(YahooStandIn):
    """Answers from the synthetic demo market, with optional per-request latency.

    Besides the options requests it answers the calendar, fundamentals and quote
    URLs `DemoMarket.answer` knows, listing each one's path in `extra_requests`.
    """

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
        self.extra_requests: list[str] = []

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        answer = self.market.answer(request.url or "")
        if answer is None:
            return super().send(request, *args, **kwargs)
        with self._lock:
            self.extra_requests.append(urlsplit(request.url or "").path)
        if self.latency:
            self._sleep(self.latency)
        return _response(request, *answer, "application/json")

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        if self.latency:
            self._sleep(self.latency)
        return 200, json.dumps(self.market.options_json(symbol, epoch)).encode()


def offline_session(transport: YahooStandIn) -> requests.Session:
    """A requests session whose every https request goes to `transport`."""
    session = requests.Session()
    # Nothing leaves the process: skip requests' per-request proxy and netrc lookups.
    session.trust_env = False
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session


def _decoded(body: bytes) -> object:
    """The JSON `body` holds; None when it holds none."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


class SnapshotWriter:
    """Saves raw Yahoo options responses into a directory laid out as SPEC 1.2, each
    symbol's fundamentals-timeseries answer as DIR/<TICKER>.fundamentals.json and its
    quoteSummary answer as DIR/<TICKER>.summary.json.

    Only a validated symbol (core.symbols) and a non-negative epoch make a file
    name, and the resolved path must sit directly in the directory, so nothing
    a URL carries can write elsewhere. Only bodies that are Yahoo options JSON
    are kept (an HTML error page is not a response worth replaying).
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory.resolve()
        self._lock = threading.Lock()
        self.written: list[Path] = []
        self._timeseries: dict[str, list[object]] = {}

    def path_for(self, symbol: str, epoch: int | None) -> Path:
        if epoch is not None and epoch < 0:
            raise ValueError(f"refusing to record {symbol} with a malformed date")
        return self._path(symbol, snapshot_file_name(symbol, epoch))

    def _path(self, symbol: str, name: str) -> Path:
        from wheelscan.core.symbols import SymbolError, normalize_symbol

        if normalize_symbol(symbol) != symbol:
            raise SymbolError(f"refusing to record {symbol!r}: not a normalized symbol")
        path = (self.directory / name).resolve()
        if path.parent != self.directory:
            raise SymbolError(f"refusing to record {symbol!r} outside {self.directory}")
        return path

    def record(self, symbol: str, epoch: int | None, body: bytes) -> Path | None:
        """Write one response; None when the body is not Yahoo options JSON."""
        from wheelscan.files import atomic_write_bytes

        path = self.path_for(symbol, epoch)
        if not is_options_response(_decoded(body)):
            return None
        atomic_write_bytes(path, body, mode=0o644)
        with self._lock:
            self.written.append(path)
        return path

    def record_summary(self, symbol: str, body: bytes) -> Path | None:
        """Write one quoteSummary answer; None when it is not one."""
        from wheelscan.files import atomic_write_bytes

        path = self._path(symbol, summary_file_name(symbol))
        if not is_summary_response(_decoded(body)):
            return None
        with self._lock:
            atomic_write_bytes(path, body, mode=0o644)
            if path not in self.written:
                self.written.append(path)
        return path

    def record_other(self, url: str, body: bytes) -> Path | None:
        """Write a 200 fundamentals or quoteSummary answer to `url`; None for another URL."""
        symbol = fundamentals_request(url)
        if symbol is not None:
            return self.record_fundamentals(symbol, body)
        symbol = summary_request(url)
        if symbol is not None:
            return self.record_summary(symbol, body)
        return None

    def record_fundamentals(self, symbol: str, body: bytes) -> Path | None:
        """Write one fundamentals-timeseries answer; None when it is not one.

        yfinance asks again in chunks of types after an empty or failed answer; the
        results of every answer for `symbol` are kept together, so a replay answers
        each request with all of them. A lone answer is written as it came.
        """
        from wheelscan.files import atomic_write_bytes

        path = self._path(symbol, fundamentals_file_name(symbol))
        parsed = _decoded(body)
        if not is_timeseries_response(parsed):
            return None
        results = parsed["timeseries"].get("result")
        with self._lock:
            kept = self._timeseries.setdefault(symbol, [])
            if kept or not isinstance(results, list):
                kept.extend(results if isinstance(results, list) else [])
                body = json.dumps({"timeseries": {"result": kept, "error": None}}).encode()
            else:
                kept.extend(results)
            atomic_write_bytes(path, body, mode=0o644)
            if path not in self.written:
                self.written.append(path)
        return path


class RecordingTransport(YahooStandIn):
    """Passes every request to `inner` and saves each successful options, fundamentals
    and quoteSummary response."""

    def __init__(self, inner: YahooStandIn, writer: SnapshotWriter) -> None:
        super().__init__()
        self.inner = inner
        self.writer = writer

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        response = self.inner.send(request, *args, **kwargs)
        wanted = options_request(request.url or "")
        if wanted is not None:
            with self._lock:
                self.options_requests.append(wanted)
            if response.status_code == 200:
                self.writer.record(*wanted, response.content)
        elif response.status_code == 200:
            self.writer.record_other(request.url or "", response.content)
        return response
