"""Transports that fail the ways Yahoo fails, for the reliability tests and the reproducer.

They subclass the demo transport and sit under the real yfinance, so every fault
travels the whole path: requests → yfinance (its consent/crumb retry included) →
YahooSource → engine. A `Fault` says what a symbol's options requests get and for
how many requests; after that the symbol is answered normally.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from wheelscan.core.models import Criteria
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.transports import EMPTY_RESULT, DemoTransport, options_request

FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York

HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Yahoo</title></head><body>Will be right back</body></html>"
)
JSON_SERVER_ERROR = (
    b'{"finance":{"result":null,"error":{"code":"Internal Server Error",'
    b'"description":"Internal error"}}}'
)
INVALID_CRUMB = b'{"finance":{"error":{"code":"Unauthorized","description":"Invalid Crumb"}}}'

# Faults that go away when retried, and how each shows in a failed ticker's reason.
TRANSIENT_KINDS: dict[str, str] = {
    "429": "429",
    "429-retry-after": "429",
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "500-json": "HTTP 500",
    "reset": "ConnectionError",
    "timeout": "ReadTimeout",
    "truncated": "not JSON",
    "html": "not JSON",
}
# Answers a retry does not change: the symbol simply has no options.
PERMANENT_KINDS = ("empty", "unknown")


@dataclass(frozen=True)
class Fault:
    """`kind` for the first `times` options requests of a symbol (every one when None).

    `dated_only` leaves the no-date request alone and hits the expirations.
    """

    kind: str
    times: int | None = None
    dated_only: bool = False


def _response(
    request: requests.PreparedRequest,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict({"Content-Type": content_type, **(headers or {})})
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.reason = "OK" if status < 400 else "Error"
    return response


class FaultyDemo(DemoTransport):
    """The demo market at a fixed time, with faults per symbol. Counts what it injected."""

    def __init__(self, faults: dict[str, Fault] | None = None, latency: float = 0.0) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=latency)
        self.faults = dict(faults or {})
        self.injected: Counter[str] = Counter()
        self._hits: Counter[str] = Counter()
        self._fault_lock = threading.Lock()

    def requests_for(self, symbol: str) -> list[int | None]:
        return [epoch for s, epoch in self.options_requests if s == symbol]

    def _fault_for(self, symbol: str, epoch: int | None) -> Fault | None:
        fault = self.faults.get(symbol)
        if fault is None or (fault.dated_only and epoch is None):
            return None
        with self._fault_lock:
            if fault.times is not None and self._hits[symbol] >= fault.times:
                return None
            self._hits[symbol] += 1
            self.injected[fault.kind] += 1
        return fault

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        wanted = options_request(request.url or "")
        if wanted is None:
            return super().send(request, *args, **kwargs)
        fault = self._fault_for(*wanted)
        if fault is None:
            return super().send(request, *args, **kwargs)
        with self._lock:
            self.options_requests.append(wanted)
        return self.faulty_answer(request, fault.kind, *wanted)

    def faulty_answer(
        self, request: requests.PreparedRequest, kind: str, symbol: str, epoch: int | None
    ) -> requests.Response:
        if kind in ("429", "429-retry-after"):
            headers = {"Retry-After": "1"} if kind == "429-retry-after" else None
            return _response(request, 429, b"Too Many Requests\r\n", "text/plain", headers)
        if kind in ("500", "502", "503"):
            return _response(request, int(kind), HTML_ERROR, "text/html")
        if kind == "500-json":
            return _response(request, 500, JSON_SERVER_ERROR)
        if kind == "reset":
            raise requests.exceptions.ConnectionError(
                ConnectionResetError(104, "Connection reset by peer"), request=request
            )
        if kind == "timeout":
            raise requests.exceptions.ReadTimeout(
                "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): "
                "Read timed out. (read timeout=30)",
                request=request,
            )
        if kind == "truncated":
            body = json.dumps(self.market.options_json(symbol, epoch)).encode()
            return _response(request, 200, body[: len(body) // 2])
        if kind == "html":
            return _response(request, 200, HTML_ERROR, "text/html")
        if kind in PERMANENT_KINDS:
            return _response(request, 200, EMPTY_RESULT)
        raise ValueError(f"unknown fault kind {kind!r}")


def hostile_puts(symbol: str, spot: float, expiration_epoch: int) -> list[dict[str, Any]]:
    """Put rows with missing, null, NaN, negative and absurd values, one per tag of
    `HOSTILE_TAGS`, whose index is the row's OCC strike digits.

    Each row is otherwise an out-of-the-money put whose mid some σ prices, so exactly the
    damaged field decides its fate under `HOSTILE_CRITERIA`. `EXPECTED_HOSTILE_REASONS`
    gives the reason each tag must get.
    """
    strike = round(spot * 0.9, 2)
    bid = round(strike * 0.05, 2)
    ask = round(bid * 1.05, 2)
    good: dict[str, Any] = {
        "strike": strike,
        "lastPrice": bid,
        "bid": bid,
        "ask": ask,
        "volume": 10,
        "openInterest": 100,
        "impliedVolatility": 0.3,
        "inTheMoney": False,
        "contractSize": "REGULAR",
        "currency": "USD",
        "expiration": expiration_epoch,
        "lastTradeDate": int(FIXED_NOW.timestamp()) - 300,
    }
    damaged: dict[str, dict[str, Any]] = {
        "no_strike": {"strike": None},
        "strike_zero": {"strike": 0.0},
        "strike_negative": {"strike": -5.0},
        "strike_nan": {"strike": math.nan},
        "strike_text": {"strike": "abc"},
        "no_bid_field": {"bid": None},
        "bid_negative": {"bid": -1.0},
        "bid_nan": {"bid": math.nan},
        "bid_above_ask": {"bid": ask, "ask": bid},
        "ask_missing": {"ask": None},
        "ask_zero": {"ask": 0.0},
        "ask_inf": {"ask": math.inf},
        "iv_zero": {"impliedVolatility": 0.0},
        "iv_placeholder": {"impliedVolatility": 1e-5},
        "iv_missing": {"impliedVolatility": None},
        "iv_negative": {"impliedVolatility": -0.3},
        "iv_absurd": {"impliedVolatility": 50.0},
        "iv_nan": {"impliedVolatility": math.nan},
        "oi_missing": {"openInterest": None},
        "oi_negative": {"openInterest": -7},
        "volume_text": {"volume": "lots"},
    }
    day = datetime.fromtimestamp(expiration_epoch, tz=UTC).strftime("%y%m%d")
    rows = []
    for index, change in enumerate(damaged.values()):  # the OCC strike digits: its tag's index
        row = {**good, "contractSymbol": f"{symbol}{day}P{index:08d}", **change}
        for key, value in change.items():
            if value is None:
                del row[key]
        rows.append(row)
    return rows


# The reason each damaged row must get (SPEC v2 §3); None: it still qualifies. A missing
# or unreadable strike is `bad_quote`; Yahoo's implied volatility, junk or absurd, decides
# nothing (σ comes from the mid); a missing OI counts as 0, an unreadable volume is unknown.
EXPECTED_HOSTILE_REASONS: dict[str, str | None] = {
    "no_strike": "bad_quote",
    "strike_zero": "bad_quote",
    "strike_negative": "bad_quote",
    "strike_nan": "bad_quote",
    "strike_text": "bad_quote",
    "no_bid_field": "no_bid",
    "bid_negative": "no_bid",
    "bid_nan": "no_bid",
    "bid_above_ask": "bad_quote",
    "ask_missing": "bad_quote",
    "ask_zero": "bad_quote",
    "ask_inf": "bad_quote",
    "iv_zero": None,
    "iv_placeholder": None,
    "iv_missing": None,
    "iv_negative": None,
    "iv_absurd": None,
    "iv_nan": None,
    "oi_missing": None,
    "oi_negative": "oi",
    "volume_text": None,
}
HOSTILE_TAGS = tuple(EXPECTED_HOSTILE_REASONS)
# Wide enough that only the damage rejects a row (the plausible put's |delta| is high).
HOSTILE_CRITERIA = Criteria(
    min_bid=0, min_return_pct=0, max_delta=1, min_open_interest=0, earnings="ignore"
)


class HostileRows(FaultyDemo):
    """Every chain of the symbols in `hostile` is replaced by `hostile_puts`."""

    def __init__(self, hostile: set[str]) -> None:
        super().__init__()
        self.hostile = hostile

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        body = self.market.options_json(symbol, epoch)
        if symbol in self.hostile:
            result = body["optionChain"]["result"][0]
            spot = result["quote"]["regularMarketPrice"]
            for chain in result["options"]:
                chain["puts"] = hostile_puts(symbol, spot, chain["expirationDate"])
        return 200, json.dumps(body).encode()  # NaN and Infinity as JavaScript writes them


class BrokenStructure(FaultyDemo):
    """Answers whose JSON parses but whose shape is wrong, one variant per symbol."""

    VARIANTS = (
        "no_puts_key",
        "puts_null_rows",
        "no_quote",
        "quote_without_price",
        "no_expiration_dates",
        "options_not_a_list",
        "result_is_null",
    )

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        body = self.market.options_json(symbol, epoch)
        variant = self.faults.get(symbol)
        if variant is None:
            return 200, json.dumps(body).encode()
        self.injected[variant.kind] += 1
        chain = body["optionChain"]
        result = chain["result"][0]
        match variant.kind:
            case "no_puts_key":
                for option in result["options"]:
                    del option["puts"]
            case "puts_null_rows":
                for option in result["options"]:
                    option["puts"] = [None, 7, "x", *option["puts"][:3]]
            case "no_quote":
                del result["quote"]
            case "quote_without_price":
                result["quote"] = {"symbol": symbol}
            case "no_expiration_dates":
                del result["expirationDates"]
            case "options_not_a_list":
                result["options"] = {"puts": []}
            case "result_is_null":
                chain["result"] = None
        return 200, json.dumps(body).encode()

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        return DemoTransport.send(self, request, *args, **kwargs)


class PastExpirations(FaultyDemo):
    """The expiration list starts with dates already gone, as a stale Yahoo list does.

    The no-date answer carries the chain of the first listed (expired) date, like Yahoo's.
    """

    PAST_DAYS = (14, 3)

    def past_epochs(self) -> list[int]:
        today = FIXED_NOW.date()
        return [_epoch(today - timedelta(days=d)) for d in self.PAST_DAYS]

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        past = self.past_epochs()
        body = self.market.options_json(symbol, None if epoch in past else epoch)
        result = body["optionChain"]["result"][0]
        result["expirationDates"] = past + result["expirationDates"]
        if epoch is None or epoch in past:
            chosen = past[0] if epoch is None else epoch
            expired = datetime.fromtimestamp(chosen, tz=UTC).date()
            result["options"] = [self.market.chain_json(symbol, expired)]
        return 200, json.dumps(body).encode()


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class CrumbExpiry(FaultyDemo):
    """Yahoo's crumb stops being valid after `valid_for` options requests.

    From then on an options request with an old (or no) crumb gets 401 Invalid Crumb
    until someone fetches a new crumb; the new one then works for another `valid_for`.
    """

    def __init__(self, valid_for: int) -> None:
        super().__init__()
        self.valid_for = valid_for
        self.generation = 0
        self.crumb: str | None = None
        self.served_with_crumb = 0
        self.crumbs_issued = 0
        self.rejected = 0

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        if "getcrumb" in url:
            with self._fault_lock:
                if self.crumb is None:
                    self.generation += 1
                    self.crumb = f"crumb-{self.generation}"
                    self.crumbs_issued += 1
                    self.served_with_crumb = 0
                crumb = self.crumb
            return _response(request, 200, crumb.encode(), "text/plain")
        wanted = options_request(url)
        if wanted is None:
            return DemoTransport.send(self, request, *args, **kwargs)
        sent = parse_qs(urlsplit(url).query).get("crumb", [None])[0]
        with self._fault_lock:
            valid = self.crumb is not None and sent == self.crumb
            if valid:
                self.served_with_crumb += 1
                if self.served_with_crumb >= self.valid_for:
                    self.crumb = None  # the server forgets it: the next request fails
            else:
                self.rejected += 1
                self.injected["invalid-crumb"] += 1
        if valid:
            return DemoTransport.send(self, request, *args, **kwargs)
        with self._lock:
            self.options_requests.append(wanted)
        return _response(request, 401, INVALID_CRUMB)


class Hanging(FaultyDemo):
    """Options requests for the `hung` symbols block, as a stalled socket does, until
    `release` is set (the test sets it when done, so no thread outlives it)."""

    def __init__(self, hung: set[str]) -> None:
        super().__init__()
        self.hung = hung
        self.release = threading.Event()
        self.waiting = 0

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        if symbol in self.hung:
            with self._fault_lock:
                self.waiting += 1
            try:
                self.release.wait(timeout=120)
            finally:
                with self._fault_lock:
                    self.waiting -= 1
        return super().answer_options(symbol, epoch)


class Crowd(FaultyDemo):
    """Holds every options request until `target` of them are in flight together.

    Reaching the target proves the engine lets that many run at once; afterwards
    requests pass straight through. `max_in_flight` is the most ever seen at once.
    `timeout_s` bounds the hold, so an engine that never reaches the target fails
    the test instead of hanging it.
    """

    def __init__(self, target: int, timeout_s: float = 60.0) -> None:
        super().__init__()
        self.target = target
        self.timeout_s = timeout_s
        self.crowded = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        with self._fault_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight >= self.target:
                self.crowded.set()
        try:
            self.crowded.wait(self.timeout_s)
            return super().answer_options(symbol, epoch)
        finally:
            with self._fault_lock:
                self.in_flight -= 1
