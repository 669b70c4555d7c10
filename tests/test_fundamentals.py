"""Trailing cash flow through the real yfinance, answered offline from recorded-format files.

The stand-in answers Yahoo's fundamentals-timeseries URL from
tests/fixtures/fundamentals/<SYMBOL>.timeseries.json; the oracle reads the same files
with plain json, newest TTM entry per row.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yfinance as yf
from requests.structures import CaseInsensitiveDict

from wheelscan.core.valuation import DcfParams, TrailingCashFlow, intrinsic_value_for
from wheelscan.yahoo.fundamentals import fetch_fcf_per_share, fetch_trailing_cash_flow
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import CRUMB, EMPTY_RESULT, YahooStandIn

FIXTURES = Path(__file__).parent / "fixtures" / "fundamentals"
TIMESERIES = "/ws/fundamentals-timeseries/v1/finance/timeseries/"


class FundamentalsStandIn(YahooStandIn):
    """Answers the fundamentals-timeseries URL from the fixture files (or with `status`)."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.timeseries_urls: list[str] = []

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        path = urlsplit(url).path
        if not path.startswith(TIMESERIES):
            return super().send(request, *args, **kwargs)
        self.timeseries_urls.append(url)
        body = b"<html><body>Internal Server Error</body></html>"
        if self.status == 200:
            file = FIXTURES / f"{path[len(TIMESERIES) :]}.timeseries.json"
            body = file.read_bytes() if file.is_file() else b'{"timeseries":{"result":[]}}'
        response = requests.Response()
        response.status_code = self.status
        response._content = body
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.url = url
        response.request = request
        response.encoding = "utf-8"
        return response

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        return 200, EMPTY_RESULT


def ticker_over(transport: FundamentalsStandIn, symbol: str) -> yf.Ticker:
    source = YahooSource("fundamentals-test", transport)
    source.activate()
    return yf.Ticker(symbol, session=source.session)


def newest_raw(symbol: str, row: str) -> int | None:
    """The oracle: the raw figure of the latest asOfDate of `trailing<row>`, read as JSON."""
    body = json.loads((FIXTURES / f"{symbol}.timeseries.json").read_text())
    for item in body["timeseries"]["result"]:
        entries = item.get(f"trailing{row}")
        if entries:
            return max(entries, key=lambda e: e["asOfDate"])["reportedValue"]["raw"]
    return None


def quote_block(symbol: str) -> dict:
    return json.loads((FIXTURES / f"{symbol}.quote.json").read_text())


def test_free_cash_flow_per_share_from_the_newest_trailing_figure() -> None:
    quote = quote_block("ACME")
    transport = FundamentalsStandIn()
    per_share = fetch_fcf_per_share(ticker_over(transport, "ACME"), quote)
    expected = Fraction(newest_raw("ACME", "FreeCashFlow")) / quote["sharesOutstanding"]
    assert per_share == pytest.approx(float(expected), rel=1e-12)
    assert len(transport.timeseries_urls) == 1


def test_the_request_is_yahoos_trailing_cash_flow_series() -> None:
    transport = FundamentalsStandIn()
    fetch_trailing_cash_flow(ticker_over(transport, "ACME"))
    (url,) = transport.timeseries_urls
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc) == ("https", "query2.finance.yahoo.com")
    assert parts.path == "/ws/fundamentals-timeseries/v1/finance/timeseries/ACME"
    assert query["symbol"] == ["ACME"] and query["crumb"] == [CRUMB]
    types = query["type"][0].split(",")
    assert all(name.startswith("trailing") for name in types)
    assert {"trailingFreeCashFlow", "trailingOperatingCashFlow", "trailingCapitalExpenditure"} <= (
        set(types)
    )
    assert int(query["period2"][0]) > int(query["period1"][0])


def test_all_three_figures_and_their_date_are_read() -> None:
    cash_flow = fetch_trailing_cash_flow(ticker_over(FundamentalsStandIn(), "ACME"))
    assert cash_flow == TrailingCashFlow(
        free_cash_flow=newest_raw("ACME", "FreeCashFlow"),
        operating_cash_flow=newest_raw("ACME", "OperatingCashFlow"),
        capital_expenditure=newest_raw("ACME", "CapitalExpenditure"),
        as_of="2025-09-30",
    )


def test_without_free_cash_flow_operating_cash_flow_plus_negative_capex_is_used() -> None:
    quote = quote_block("BOLT")
    per_share = fetch_fcf_per_share(ticker_over(FundamentalsStandIn(), "BOLT"), quote)
    ocf, capex = newest_raw("BOLT", "OperatingCashFlow"), newest_raw("BOLT", "CapitalExpenditure")
    assert newest_raw("BOLT", "FreeCashFlow") is None and capex < 0
    assert per_share == pytest.approx(float(Fraction(ocf + capex, quote["sharesOutstanding"])))


def test_the_fcf_value_of_a_fetched_cash_flow_matches_the_oracle_to_the_cent() -> None:
    quote = quote_block("ACME")
    cash_flow = fetch_trailing_cash_flow(ticker_over(FundamentalsStandIn(), "ACME"))
    result = intrinsic_value_for(quote, DcfParams(method="fcf"), cash_flow=cash_flow)
    e = Fraction(newest_raw("ACME", "FreeCashFlow"), quote["sharesOutstanding"])
    r = Fraction(110, 115)  # (1 + 10 %) / (1 + 15 %)
    expected = sum(e * r**t for t in range(1, 6)) + e * r**5 * 20
    assert result.source == "dcf_fcf"
    assert round(result.value, 2) == round(float(expected), 2)
    assert result.inputs["shares_outstanding"] == quote["sharesOutstanding"]


def test_a_symbol_whose_series_are_empty_has_no_cash_flow() -> None:
    transport = FundamentalsStandIn()
    assert fetch_trailing_cash_flow(ticker_over(transport, "NOCF")) is None
    assert fetch_fcf_per_share(ticker_over(transport, "NOCF"), {"sharesOutstanding": 1e9}) is None


def test_an_error_answer_reads_as_no_cash_flow() -> None:
    # yfinance hides the status: the caller cannot tell this from a symbol without data.
    transport = FundamentalsStandIn(status=500)
    assert fetch_trailing_cash_flow(ticker_over(transport, "ACME")) is None
    assert transport.timeseries_urls
