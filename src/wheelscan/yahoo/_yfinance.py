"""Every yfinance member wheelscan relies on beyond `Ticker`'s public API, in one module.

SPEC 1: a yfinance upgrade that moves one of these breaks this module only, and
tests/test_yfinance_contract.py names the member and the installed version. The
dependency is pinned below 2. What is used, and why:

- `Ticker._download_options(date)`: one options request (session, cookie, crumb,
  consent) returning the decoded answer. The public `option_chain` also builds
  calls and puts DataFrames the scan reads straight from the answer (rows.py).
- `Ticker._expirations`: the date -> epoch map that request fills; a dated request
  needs the epoch.
- `Ticker._quote._fetch(modules)`: one quoteSummary request, the one behind the public
  `Ticker.calendar`, returning the decoded answer. `calendar` turns its epochs into
  dates in the machine's local time (a day early on US machines) and drops the
  dividend amount, which `defaultKeyStatistics` carries in the same request.
- `yfinance.data.YfData`, its metaclass's `_instances` and `YfData._cookie`:
  yfinance keeps one session, cookie and crumb per process (a singleton); a new
  session needs a new singleton, and the offline transports set no cookie.
- `yfinance.cache`'s managers (`_tz_cache`, `_Cookie_cache`, `_isin_cache`):
  yfinance's cookie cache is a SQLite file of pickles (a file someone can write
  runs code when read). SPEC 5: nothing is unpickled, so all three caches are
  replaced by in-memory ones at import and yfinance opens no cache file at all.
- The `yfinance` logger: its records would reach stderr through logging's last
  resort handler; SPEC 7 sends them to wheelscan's log file instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from datetime import datetime
from typing import Any

import yfinance
from yfinance import cache as _cache
from yfinance import data as _data
from yfinance.exceptions import YFRateLimitError

Ticker = yfinance.Ticker
RateLimitError = YFRateLimitError
VERSION: str = yfinance.__version__
LOGGER_NAME = "yfinance"
LOG_TARGET = "wheelscan.yfinance"

_session_lock = threading.Lock()
_active_session: object | None = None


class MemoryCache:
    """A key -> value cache in this process only: yfinance's tz and ISIN caches."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}

    def lookup(self, key: Hashable) -> Any:
        return self._values.get(key)

    def store(self, key: Hashable, value: Any) -> None:
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = value


class MemoryCookieCache:
    """yfinance's cookie cache without the pickles: a cookie lives as long as the session.

    Its lookup answers as yfinance's own does: {"cookie": stored, "age": timedelta}.
    """

    def __init__(self) -> None:
        self._cookies: dict[str, tuple[Any, datetime]] = {}

    def lookup(self, strategy: str) -> dict[str, Any] | None:
        found = self._cookies.get(strategy)
        if found is None:
            return None
        cookie, fetched = found
        return {"cookie": cookie, "age": datetime.now() - fetched}

    def store(self, strategy: str, cookie: Any) -> None:
        if cookie is None:
            self._cookies.pop(strategy, None)
        else:
            self._cookies[strategy] = (cookie, datetime.now())


def keep_caches_in_memory() -> None:
    """Install in-memory tz, cookie and ISIN caches, so yfinance reads no cache file."""
    _cache._TzCacheManager._tz_cache = MemoryCache()
    _cache._CookieCacheManager._Cookie_cache = MemoryCookieCache()
    _cache._ISINCacheManager._isin_cache = MemoryCache()


class _ToWheelscanLog(logging.Handler):
    """Hands yfinance's records to the `wheelscan.yfinance` logger, if anything listens."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(LOG_TARGET)
        if target.hasHandlers():  # else logging's last resort would print them to stderr
            target.handle(record)


def send_logs_to_wheelscan() -> None:
    """yfinance's log lines go where wheelscan's go (the log file), never to stderr."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler, _ToWheelscanLog) for handler in logger.handlers):
        logger.addHandler(_ToWheelscanLog())
    logger.propagate = False


def new_session() -> Any:
    """yfinance's own default session (curl_cffi impersonating a browser, if installed)."""
    return _data.new_session()


def use_session(session: object, *, sets_no_cookie: bool) -> None:
    """Point yfinance's process-wide data object at `session` (no-op if it already is).

    The old crumb and cookie belong to another server, so the singleton and the
    cookie cache are rebuilt. `sets_no_cookie` is for the offline transports: without
    it yfinance would redo its cookie dance (a fetch under a lock that serialises
    every thread) before each request. It marks the cookie handled, in memory only,
    as yfinance's own csrf path does.
    """
    global _active_session
    with _session_lock:
        if _active_session is session:
            return
        _cache._CookieCacheManager._Cookie_cache = MemoryCookieCache()
        type(_data.YfData)._instances.pop(_data.YfData, None)
        data = _data.YfData(session=session)
        if sets_no_cookie:
            data._cookie = True
        _active_session = session


def download_options(ticker: Ticker, epoch: int | None = None) -> dict[str, Any]:
    """One options request: the chain of `epoch` (the nearest when None) with `underlying`.

    {} when Yahoo lists no options. Fills the ticker's expirations.
    """
    return ticker._download_options(epoch)


def quote_summary(ticker: Ticker, modules: list[str]) -> dict[str, Any] | None:
    """One quoteSummary request for `modules`, decoded; None when Yahoo answered an HTTP
    error (yfinance logs it)."""
    return ticker._quote._fetch(modules=modules)


def listed_expirations(ticker: Ticker) -> dict[str, int]:
    """'YYYY-MM-DD' -> epoch of every expiration the ticker's requests listed, in order."""
    return dict(ticker._expirations)


keep_caches_in_memory()
send_logs_to_wheelscan()
