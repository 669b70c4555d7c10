"""The one place wheelscan talks to Yahoo: yfinance's `Ticker`, whatever the source.

`yahoo` uses yfinance's own session; `snapshot:DIR` and `demo` use a requests
session whose transport answers offline (see transports.py). The calls here are
blocking; the engine runs them in threads.

Each request goes through `_yfinance.download_options`, which makes the request
(session, cookie, crumb, consent) and returns the decoded answer; the puts are read
from it by rows.py. The private yfinance members that takes, and every other one,
live in `_yfinance.py`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from wheelscan.core.models import PutChain, Underlying
from wheelscan.core.pricing import NEW_YORK
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.yahoo import _yfinance
from wheelscan.yahoo._yfinance import Ticker, download_options, listed_expirations
from wheelscan.yahoo.rows import put_chain_from_rows
from wheelscan.yahoo.snapshot_dir import snapshot_directory
from wheelscan.yahoo.transports import (
    OPTIONS_PATH,
    DemoTransport,
    SnapshotTransport,
    YahooStandIn,
    offline_session,
)

T = TypeVar("T")
YAHOO_RATE_LIMIT_PER_S = 20.0

_TRANSIENT_NAMES = {
    "Timeout",
    "TimeoutError",
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "ChunkedEncodingError",
    "RemoteDisconnected",
    "ProtocolError",
    "JSONDecodeError",
    "RequestException",
    "CurlError",
}

_options_status = threading.local()


class SourceError(Exception):
    """A ticker that cannot be scanned, whatever the retries (unknown symbol, no options)."""


class YahooAnswerError(SourceError):
    """Yahoo answered an options request with an error status or a body that is not a chain.

    yfinance hides both: an error status with a JSON body reads as "no options" (like an
    unknown symbol), an HTML page or a cut-off body as a bare JSONDecodeError. The status
    is recorded per thread by `with_status_recording`, so the reason can name it and the
    engine can retry what a retry may fix (401 bad crumb, 429, 5xx, a cut-off body).
    """

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def is_rate_limit(error: BaseException) -> bool:
    return isinstance(error, _yfinance.RateLimitError)


def is_transient(error: BaseException) -> bool:
    """Worth a retry: rate limits, timeouts, dropped connections, an HTML error page."""
    if is_rate_limit(error) or isinstance(error, TimeoutError | ConnectionError):
        return True
    if isinstance(error, YahooAnswerError):
        return error.transient
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(error).__mro__)


def with_status_recording(session: Any) -> Any:
    """Wrap `session.get` to note, per thread, the HTTP status of each options response.

    Both backends yfinance accepts (requests, curl_cffi) route its calls through
    `session.get`; neither offers a response hook that works for both.
    """
    plain_get = session.get

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        response = plain_get(url, *args, **kwargs)
        if OPTIONS_PATH in str(url):
            _options_status.code = response.status_code
        return response

    session.get = get
    return session


def _http_failure(what: str) -> YahooAnswerError | None:
    """The error for an options request whose last response had an error status."""
    status = getattr(_options_status, "code", 200)
    if status < 400:
        return None
    transient = status in (401, 403, 408, 429) or status >= 500
    return YahooAnswerError(f"HTTP {status} from Yahoo for {what}", transient)


def _options_call(what: str, call: Callable[[], T]) -> T:
    """Run one yfinance options call; turn what it hides or garbles into YahooAnswerError."""
    _options_status.code = 200
    try:
        return call()
    except ValueError as error:
        if type(error).__name__ != "JSONDecodeError":
            raise
        failure = _http_failure(what)
        raise failure or YahooAnswerError(
            f"Yahoo's answer for {what} is not JSON (cut short, or an HTML page)", True
        ) from error
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise YahooAnswerError(
            f"unexpected answer shape from Yahoo for {what} ({type(error).__name__}: {error})",
            False,
        ) from error


@dataclass
class NearestChain:
    """What the no-date request gives: the quote, every expiration, the nearest puts."""

    ticker: Ticker
    underlying: Underlying
    expirations: list[str]
    chain: PutChain


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def underlying_from_quote(symbol: str, quote: dict[str, Any], fetched_at: datetime) -> Underlying:
    """Price: regularMarketPrice, else the bid/ask mid, else the previous close."""
    price = _number(quote.get("regularMarketPrice"))
    if not price or price <= 0:
        bid, ask = _number(quote.get("bid")), _number(quote.get("ask"))
        price = (bid + ask) / 2 if bid and ask and bid > 0 and ask >= bid else None
    if not price or price <= 0:
        price = _number(quote.get("regularMarketPreviousClose"))
    if not price or price <= 0:
        raise SourceError("no underlying price in Yahoo's quote")
    stamp = _number(quote.get("regularMarketTime"))
    as_of = datetime.fromtimestamp(stamp, tz=UTC) if stamp and stamp > 0 else fetched_at
    dividend = _number(quote.get("trailingAnnualDividendYield"))
    return Underlying(
        symbol=symbol,
        price=price,
        as_of=as_of.astimezone(NEW_YORK),
        dividend_yield=dividend if dividend and 0 < dividend < 1 else 0.0,
    )


class YahooSource:
    """Fetches put chains through yfinance; `transport` is set for offline sources."""

    def __init__(self, name: str, transport: YahooStandIn | None = None) -> None:
        self.name = name
        self.transport = transport
        self.default_rate_limit_per_s = 0.0 if transport else YAHOO_RATE_LIMIT_PER_S
        session = offline_session(transport) if transport else _yfinance.new_session()
        self.session: object = with_status_recording(session)

    def activate(self) -> None:
        """Point yfinance's process-wide session (a singleton) at this source's.

        The offline stand-ins set no cookie (see transports.py).
        """
        _yfinance.use_session(self.session, sets_no_cookie=self.transport is not None)

    def fetch_nearest(self, symbol: str) -> NearestChain:
        """The no-date request: quote, expirations and the nearest expiration's puts."""
        ticker = Ticker(symbol, session=self.session)
        fetched_at = datetime.now(UTC)
        answer = _options_call(symbol, lambda: download_options(ticker))
        if not answer or not answer.get("underlying"):
            raise _http_failure(symbol) or SourceError("no options listed (unknown symbol?)")
        expirations = list(listed_expirations(ticker))  # filled by the request above
        if not expirations:
            raise SourceError("no expirations listed")
        nearest = expirations[0]
        return NearestChain(
            ticker=ticker,
            underlying=underlying_from_quote(symbol, answer["underlying"], fetched_at),
            expirations=expirations,
            chain=_options_call(symbol, lambda: put_chain_from_rows(answer["puts"], nearest)),
        )

    @staticmethod
    def fetch_expiration(ticker: Ticker, expiration: str) -> PutChain:
        """One dated request: the puts of `expiration` (YYYY-MM-DD)."""
        epoch = listed_expirations(ticker).get(expiration)
        if epoch is None:
            raise SourceError(f"{expiration} is not among the listed expirations")
        answer = _options_call(expiration, lambda: download_options(ticker, epoch))
        if not answer:
            raise _http_failure(expiration) or SourceError(f"no chain for {expiration}")
        return _options_call(expiration, lambda: put_chain_from_rows(answer["puts"], expiration))


def make_source(spec: str) -> YahooSource:
    """`yahoo`, `demo` or `snapshot:DIR` (read by `core.sources.parse_source`)."""
    source = parse_source(spec)
    if source.kind is SourceKind.DEMO:
        return YahooSource(spec, DemoTransport())
    if source.kind is SourceKind.SNAPSHOT:
        return YahooSource(spec, SnapshotTransport(snapshot_directory(source)))
    return YahooSource(spec)
