"""The yfinance members wheelscan uses beyond the public API are where it expects them.

They all live in src/wheelscan/yahoo/_yfinance.py (SPEC 1). When a yfinance upgrade
moves one, `test_every_private_member_is_where_wheelscan_expects_it` fails with one
message naming each moved member and the installed yfinance version. The other
tests run those members for real, through a transport adapter, and check that no
other module of wheelscan reaches into yfinance.
"""

from __future__ import annotations

import ast
import inspect
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yfinance
from yfinance import cache, data, exceptions, utils

from wheelscan.yahoo import _yfinance
from wheelscan.yahoo.transports import offline_session
from yahoo_doubles import CountingDemo

SRC = Path(__file__).parents[1] / "src" / "wheelscan"
PRIVATE_MODULE = SRC / "yahoo" / "_yfinance.py"


def _bare_data_object() -> object:
    """A YfData built past its singleton metaclass: no process-wide state is touched."""
    instance = object.__new__(data.YfData)
    data.YfData.__init__(instance, session=requests.Session())
    return instance


def _signature(function: Callable[..., object]) -> str:
    return str(inspect.signature(function))


# (member, what wheelscan expects, what the installed yfinance shows)
CONTRACT: list[tuple[str, str, Callable[[], str]]] = [
    (
        "yfinance.Ticker._download_options",
        "(self, date=None)",
        lambda: _signature(yfinance.Ticker._download_options),
    ),
    (
        "yfinance.Ticker(...)._expirations",
        "dict",
        lambda: type(yfinance.Ticker("AAA")._expirations).__name__,
    ),
    (
        "yfinance.Ticker(...)._quote._fetch",
        "(modules: list)",
        lambda: _signature(yfinance.Ticker("AAA")._quote._fetch),
    ),
    ("yfinance.data.new_session", "()", lambda: _signature(data.new_session)),
    ("type(yfinance.data.YfData)", "SingletonMeta", lambda: type(data.YfData).__name__),
    (
        "yfinance.data.SingletonMeta._instances",
        "dict",
        lambda: type(type(data.YfData)._instances).__name__,  # type: ignore[attr-defined]
    ),
    (
        "yfinance.data.YfData.__init__",
        "(self, session=None)",
        lambda: _signature(data.YfData.__init__),
    ),
    (
        "yfinance.data.YfData(...)._cookie",
        "None",
        lambda: repr(vars(_bare_data_object())["_cookie"]),
    ),
    (
        "yfinance.cache._TzCacheManager._tz_cache (what get_tz_cache returns)",
        _yfinance.MemoryCache.__name__,
        lambda: type(cache.get_tz_cache()).__name__,
    ),
    (
        "yfinance.cache._CookieCacheManager._Cookie_cache (what get_cookie_cache returns)",
        _yfinance.MemoryCookieCache.__name__,
        lambda: type(cache.get_cookie_cache()).__name__,
    ),
    (
        "yfinance.cache._ISINCacheManager._isin_cache (what get_isin_cache returns)",
        _yfinance.MemoryCache.__name__,
        lambda: type(cache.get_isin_cache()).__name__,
    ),
    (
        "yfinance.utils.get_yf_logger().name",
        repr(_yfinance.LOGGER_NAME),
        lambda: repr(utils.get_yf_logger().name),
    ),
    (
        "yfinance.exceptions.YFRateLimitError",
        "an exception class",
        lambda: (
            "an exception class"
            if isinstance(exceptions.YFRateLimitError(), Exception)
            else repr(exceptions.YFRateLimitError)
        ),
    ),
]

# Names of private yfinance members: only _yfinance.py may write them.
PRIVATE_NAMES = {
    "_download_options",
    "_expirations",
    "_options2df",
    "_fetch",
    "YfData",
    "SingletonMeta",
    "_instances",
    "_cookie",
    "_crumb",
    "_tz_cache",
    "_Cookie_cache",
    "_isin_cache",
    "_CookieCacheDummy",
    "_TzCacheDummy",
    "set_tz_cache_location",
    "set_cache_location",
}


def test_every_private_member_is_where_wheelscan_expects_it() -> None:
    moved = []
    for member, expected, probe in CONTRACT:
        try:
            found = probe()
        except Exception as error:  # a member gone is the finding, whatever it raises
            found = f"missing ({type(error).__name__}: {error})"
        if found != expected:
            moved.append(f"{member}: expected {expected}, found {found}")
    if moved:
        pytest.fail(
            f"yfinance {yfinance.__version__} moved what src/wheelscan/yahoo/_yfinance.py "
            f"relies on: {'; '.join(moved)}",
            pytrace=False,
        )


def test_the_options_members_answer_through_a_transport() -> None:
    """`download_options` and `listed_expirations` over the real yfinance request path."""
    transport = CountingDemo()
    session = offline_session(transport)
    _yfinance.use_session(session, sets_no_cookie=True)
    ticker = _yfinance.Ticker("KO", session=session)

    nearest = _yfinance.download_options(ticker)
    listed = _yfinance.listed_expirations(ticker)
    assert nearest["underlying"]["symbol"] == "KO"
    assert nearest["puts"] and all(
        row["contractSymbol"].startswith("KO") for row in nearest["puts"]
    )
    # Yahoo's epochs are 00:00 UTC of the expiry date; the map is in Yahoo's order.
    raw = transport.market.options_json("KO", None)["optionChain"]["result"][0]
    assert list(listed.values()) == raw["expirationDates"]
    for day, epoch in listed.items():
        assert datetime.fromtimestamp(epoch, tz=UTC).date().isoformat() == day
    assert nearest["expirationDate"] == next(iter(listed.values()))

    later = list(listed.values())[2]
    dated = _yfinance.download_options(ticker, later)
    assert dated["expirationDate"] == later
    assert transport.options_requests == [("KO", None), ("KO", later)]


class CookieSettingDemo(CountingDemo):
    """Sets Yahoo's A3 cookie on the session when yfinance asks fc.yahoo.com for one."""

    def __init__(self) -> None:
        super().__init__()
        self.session = offline_session(self)
        self.cookie_requests = 0

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        if (request.url or "").startswith("https://fc.yahoo.com"):
            self.cookie_requests += 1
            expires = int(time.time()) + 86_400
            self.session.cookies.set("A3", "d=test", domain=".yahoo.com", expires=expires)
        return super().send(request, *args, **kwargs)


@pytest.fixture
def yfinance_cache_dir(tmp_path: Path) -> Iterator[Path]:
    """yfinance's own cache files pointed at an empty directory for one test."""
    previous = cache._CookieDBManager.get_location()
    cache.set_cache_location(str(tmp_path))
    try:
        yield tmp_path
    finally:
        cache.set_cache_location(previous)


def test_yfinance_keeps_its_cookie_in_memory_for_one_session(yfinance_cache_dir: Path) -> None:
    transport = CookieSettingDemo()
    _yfinance.use_session(transport.session, sets_no_cookie=False)
    for symbol in ("KO", "PEP", "KO"):
        _yfinance.download_options(_yfinance.Ticker(symbol, session=transport.session))
    assert transport.cookie_requests == 1, "the cookie is fetched once and reused"
    remembered = cache.get_cookie_cache().lookup("curlCffi")
    assert remembered is not None and "A3" in str(remembered["cookie"])
    assert list(yfinance_cache_dir.iterdir()) == [], "yfinance wrote no cache file"

    _yfinance.use_session(offline_session(CountingDemo()), sets_no_cookie=True)
    assert cache.get_cookie_cache().lookup("curlCffi") is None, "a new session, no old cookie"


def _imports_outside_type_checking(tree: ast.Module) -> list[ast.AST]:
    """Import statements, leaving out those under `if TYPE_CHECKING:`."""
    found: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_other_module_reaches_into_yfinance() -> None:
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        if path == PRIVATE_MODULE:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(SRC.parent)
        for node in _imports_outside_type_checking(tree):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if any(name == "yfinance" or name.startswith("yfinance.") for name in modules):
                offences.append(f"{where}:{node.lineno} imports yfinance")
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
            if name in PRIVATE_NAMES:
                offences.append(f"{where}:{node.lineno} uses {name}")
    assert offences == [], "only yahoo/_yfinance.py may touch yfinance's internals"
