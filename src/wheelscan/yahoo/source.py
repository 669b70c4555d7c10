"""The one place wheelscan talks to Yahoo: yfinance's `Ticker`, whatever the source.

`yahoo` uses yfinance's own session; `snapshot:DIR` and `demo` use a requests
session whose transport answers offline (see transports.py). The calls here are
blocking; the engine runs them in threads.

Each options request goes through `_yfinance.download_options`, which makes the
request (session, cookie, crumb, consent) and returns the decoded answer
(`fetch_answer`); the quote, calls and puts are read from it by rows.py
(`nearest`, `expiration_chain`), so an answer kept in the store (SPEC 1.4) is read
exactly as a fresh one. The private yfinance members that takes, and every other
one, live in `_yfinance.py`.

Every HTTP request of a source's session, yfinance's cookie, crumb and consent
requests included, waits for its turn from the source's `Pacer` (pacing.py),
and an HTTP 429 is raised from the session itself (`YahooRateLimited`), before
yfinance could answer it with more requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wheelscan.core.chains import OptionChain, Underlying
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.yahoo import _yfinance
from wheelscan.yahoo._yfinance import Ticker, download_options, listed_expirations
from wheelscan.yahoo.pacing import LIVE_RATE_PER_S, Pacer
from wheelscan.yahoo.rows import chain_from_answer, underlying_from_quote
from wheelscan.yahoo.snapshot_dir import snapshot_directory
from wheelscan.yahoo.transports import (
    OPTIONS_PATH,
    DemoTransport,
    SnapshotTransport,
    YahooStandIn,
    offline_session,
)

T = TypeVar("T")

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
    is recorded per thread by `paced_session`, so the reason can name it and the
    engine can retry what a retry may fix (401 bad crumb, 429, 5xx, a cut-off body).
    """

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class YahooRateLimited(Exception):
    """Yahoo answered HTTP 429. Raised by the session, so yfinance never sees the answer:
    it would switch cookie strategy and send consent, cookie and crumb requests and the
    request again, unpaced, into the same overload. Not yfinance's YFRateLimitError,
    which yfinance catches around its crumb fetch to carry on without a crumb."""


def is_rate_limit(error: BaseException) -> bool:
    return isinstance(error, YahooRateLimited | _yfinance.RateLimitError)


def is_transient(error: BaseException) -> bool:
    """Worth a retry: rate limits, timeouts, dropped connections, an HTML error page."""
    if is_rate_limit(error) or isinstance(error, TimeoutError | ConnectionError):
        return True
    if isinstance(error, YahooAnswerError):
        return error.transient
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(error).__mro__)


def paced_session(session: Any, pacer_of: Callable[[], Pacer]) -> Any:
    """Send every request of `session` through the pacer `pacer_of()` gives, raise a 429
    as YahooRateLimited, and note per thread the status of each options response.

    Both backends yfinance accepts (requests, curl_cffi) route `get` and `post`
    through `session.request`; neither offers a hook that works for both. A redirect
    is part of the request that followed it.
    """
    plain_request = session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        url = str(kwargs.get("url", args[1] if len(args) > 1 else ""))
        pacer = pacer_of()
        pacer.take()
        sent_at = pacer.now()
        response = plain_request(*args, **kwargs)
        if OPTIONS_PATH in url:
            _options_status.code = response.status_code
        if response.status_code == 429:
            pacer.rate_limited(sent_at)
            raise YahooRateLimited("HTTP 429 from Yahoo")
        pacer.answered(sent_at)
        return response

    session.request = request
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


@dataclass(frozen=True)
class Answer:
    """One decoded options answer, as a request gives it and the store keeps it.

    `body` is yfinance's decoded `options[0]` with the quote as `underlying`;
    `expirations` ('YYYY-MM-DD' -> epoch, in order) are those the no-date answer
    lists ({} for a dated answer).
    """

    body: dict[str, Any]
    expirations: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"body": self.body, "expirations": self.expirations}

    @classmethod
    def from_json(cls, data: Any) -> Answer | None:
        """An answer read back from the store; None for a record of another shape."""
        if not isinstance(data, dict):
            return None
        body, expirations = data.get("body"), data.get("expirations")
        if not isinstance(body, dict) or not isinstance(expirations, dict):
            return None
        if not all(
            isinstance(epoch, int) and not isinstance(epoch, bool) for epoch in expirations.values()
        ):
            return None
        return cls(body, expirations)


@dataclass
class NearestChain:
    """What the no-date answer gives: the quote, every expiration (-> epoch), the nearest
    expiration's chain."""

    underlying: Underlying
    expirations: dict[str, int]
    chain: OptionChain


class YahooSource:
    """Fetches put chains through yfinance; `transport` is set for offline sources."""

    def __init__(self, name: str, transport: YahooStandIn | None = None) -> None:
        self.name = name
        self.transport = transport
        self.default_rate_limit_per_s = 0.0 if transport else LIVE_RATE_PER_S
        self.pacer = Pacer(self.default_rate_limit_per_s)
        session = offline_session(transport) if transport else _yfinance.new_session()
        self.session: object = paced_session(session, lambda: self.pacer)

    def use_pacer(self, pacer: Pacer) -> None:
        """Pace this source's requests by `pacer` from now on (a scan's own)."""
        self.pacer = pacer

    def activate(self) -> None:
        """Point yfinance's process-wide session (a singleton) at this source's.

        The offline stand-ins set no cookie (see transports.py).
        """
        _yfinance.use_session(self.session, sets_no_cookie=self.transport is not None)

    def fetch_answer(
        self, symbol: str, expiration: str | None = None, epoch: int | None = None
    ) -> Answer:
        """One options request: the no-date answer (quote, expirations, nearest chain), or
        the answer for `expiration` (YYYY-MM-DD) at its listed `epoch`."""
        ticker = Ticker(symbol, session=self.session)
        if epoch is None or expiration is None:
            body = _options_call(symbol, lambda: download_options(ticker))
            if not body or not body.get("underlying"):
                raise _http_failure(symbol) or SourceError("no options listed (unknown symbol?)")
            expirations = listed_expirations(ticker)  # filled by the request above
            if not expirations:
                raise SourceError("no expirations listed")
            return Answer(body, expirations)
        body = _options_call(expiration, lambda: download_options(ticker, epoch))
        if not body:
            raise _http_failure(expiration) or SourceError(f"no chain for {expiration}")
        return Answer(body, {})

    @staticmethod
    def nearest(symbol: str, answer: Answer) -> NearestChain:
        """The quote, the expirations and the nearest chain of a no-date answer."""
        if not answer.expirations or not answer.body.get("underlying"):
            raise SourceError("no options listed (unknown symbol?)")
        nearest = next(iter(answer.expirations))
        return NearestChain(
            underlying=underlying_from_quote(symbol, answer.body["underlying"]),
            expirations=dict(answer.expirations),
            chain=_options_call(symbol, lambda: chain_from_answer(answer.body, nearest)),
        )

    @staticmethod
    def expiration_chain(answer: Answer, expiration: str) -> OptionChain:
        """The calls and puts of a dated answer for `expiration` (YYYY-MM-DD)."""
        return _options_call(expiration, lambda: chain_from_answer(answer.body, expiration))


def make_source(spec: str) -> YahooSource:
    """`yahoo`, `demo` or `snapshot:DIR` (read by `core.sources.parse_source`)."""
    source = parse_source(spec)
    if source.kind is SourceKind.DEMO:
        return YahooSource(spec, DemoTransport())
    if source.kind is SourceKind.SNAPSHOT:
        return YahooSource(spec, SnapshotTransport(snapshot_directory(source)))
    return YahooSource(spec)
