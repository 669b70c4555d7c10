"""The demo market through the real yfinance path: believable, consistent, deterministic.

Plausibility is checked against bands declared here, apart from the demo's own
table; consistency by solving each quote's IV with core.black76 from a forward and
T this file computes itself (the carry forward on the quote's dividend yield, T to
16:00 New York on the expiration date).
"""

from __future__ import annotations

import json
import math
import tomllib
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from wheelscan.core import black76
from wheelscan.yahoo import _yfinance
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.transports import DemoTransport, offline_session

NEW_YORK = ZoneInfo("America/New_York")
FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York
RATE = 0.04  # SPEC 2's default risk-free rate

# (price low, price high, ATM IV low, ATM IV high): where each name plausibly traded in
# late 2026 and its usual 30-day implied volatility outside earnings.
PLAUSIBLE = {
    "SPY": (600, 760, 0.10, 0.20),
    "QQQ": (530, 690, 0.13, 0.25),
    "IWM": (200, 290, 0.15, 0.30),
    "AAPL": (220, 320, 0.18, 0.35),
    "AMD": (170, 320, 0.38, 0.70),
    "AMZN": (180, 280, 0.24, 0.45),
    "BAC": (40, 62, 0.17, 0.33),
    "C": (75, 125, 0.19, 0.37),
    "CSCO": (58, 90, 0.15, 0.32),
    "F": (9, 17, 0.24, 0.45),
    "GOOGL": (220, 360, 0.22, 0.42),
    "INTC": (25, 50, 0.40, 0.75),
    "JPM": (240, 370, 0.15, 0.32),
    "KO": (60, 80, 0.12, 0.22),
    "META": (520, 800, 0.25, 0.48),
    "MSFT": (400, 600, 0.17, 0.34),
    "NVDA": (140, 240, 0.30, 0.60),
    "PFE": (20, 33, 0.17, 0.34),
    "PLTR": (120, 240, 0.45, 0.85),
    "SOFI": (18, 38, 0.42, 0.85),
    "T": (22, 33, 0.13, 0.27),
    "UBER": (70, 115, 0.26, 0.50),
    "WFC": (68, 105, 0.18, 0.35),
    "XOM": (95, 140, 0.15, 0.30),
}
ETFS = {"SPY", "QQQ", "IWM"}


def default_watchlist() -> list[str]:
    text = files("wheelscan").joinpath("data/default_watchlist.toml").read_text()
    return sorted(tomllib.loads(text)["tickers"])


DEFAULT_SYMBOLS = default_watchlist()


pytestmark = pytest.mark.usefixtures("utc_local_time")


def demo_session(now: datetime = FIXED_NOW, **kwargs: object) -> tuple[DemoTransport, object]:
    transport = DemoTransport(DemoMarket(now=now), latency=0, **kwargs)
    session = offline_session(transport)
    _yfinance.use_session(session, sets_no_cookie=True)
    return transport, session


@pytest.fixture
def demo() -> tuple[DemoTransport, object]:
    return demo_session()


def as_of(quote: dict) -> datetime:
    return datetime.fromtimestamp(quote["regularMarketTime"], tz=UTC)


def years_to(expiration: str, moment: datetime) -> float:
    settles = datetime.combine(date.fromisoformat(expiration), datetime.min.time(), NEW_YORK)
    settles += timedelta(hours=16)
    return (settles - moment).total_seconds() / (365 * 86400)


def next_report(quote: dict) -> date | None:
    """SPEC 2: the earliest of the three earnings stamps on or after as_of's New York date."""
    today = as_of(quote).astimezone(NEW_YORK).date()
    days = [
        datetime.fromtimestamp(quote[key], tz=UTC).astimezone(NEW_YORK).date()
        for key in ("earningsTimestampStart", "earningsTimestamp", "earningsTimestampEnd")
        if key in quote
    ]
    upcoming = [d for d in days if d >= today]
    return min(upcoming) if upcoming else None


def clean(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Standard contracts with a strike and a two-sided quote."""
    root = "".join(ch for ch in symbol if ch.isalnum())
    standard = frame["contractSymbol"].str[:-15] == root
    usable = frame["strike"].notna() & (frame["bid"] > 0) & (frame["ask"] >= frame["bid"])
    return frame[standard & usable]


def atm_ivs(chain: object, symbol: str, expiration: str) -> tuple[float, float, float]:
    """(put IV, call IV, forward) at the strike nearest the carry forward."""
    quote = chain.underlying
    spot = quote["regularMarketPrice"]
    years = years_to(expiration, as_of(quote))
    q = quote.get("trailingAnnualDividendYield", 0.0)
    forward = spot * math.exp((RATE - q) * years)
    puts, calls = clean(chain.puts, symbol), clean(chain.calls, symbol)
    both = sorted(set(puts["strike"]) & set(calls["strike"]), key=lambda k: abs(k - forward))
    strike = both[0]
    put = puts[puts["strike"] == strike].iloc[0]
    call = calls[calls["strike"] == strike].iloc[0]
    put_iv = black76.implied_vol("put", (put.bid + put.ask) / 2, forward, strike, years, RATE)
    call_iv = black76.implied_vol("call", (call.bid + call.ask) / 2, forward, strike, years, RATE)
    return float(put_iv), float(call_iv), forward


def chains(session: object, symbol: str) -> list[tuple[str, object]]:
    ticker = _yfinance.Ticker(symbol, session=session)
    return [(expiration, ticker.option_chain(expiration)) for expiration in ticker.options]


@pytest.mark.parametrize("symbol", DEFAULT_SYMBOLS)
def test_every_default_symbol_looks_like_itself(demo: tuple, symbol: str) -> None:
    _, session = demo
    listed = chains(session, symbol)
    quote = listed[0][1].underlying
    price_low, price_high, iv_low, iv_high = PLAUSIBLE[symbol]

    assert price_low <= quote["regularMarketPrice"] <= price_high
    assert quote["quoteType"] == ("ETF" if symbol in ETFS else "EQUITY")
    assert "DEMO" in quote["longName"] and "DEMO" in quote["shortName"]
    assert as_of(quote) == FIXED_NOW, "during the session the quote is as of now"
    assert quote["marketState"] == "REGULAR"
    assert len(listed) >= 8, "weekly expirations for the default names"
    report = next_report(quote)
    outside_earnings = 0
    for expiration, chain in listed:
        assert len(chain.calls) > 10 and len(chain.puts) > 10
        days = (date.fromisoformat(expiration) - FIXED_NOW.date()).days
        if not 3 <= days <= 45:
            continue
        put_iv, call_iv, _ = atm_ivs(chain, symbol, expiration)
        assert abs(put_iv - call_iv) < 0.01, "calls and puts share one volatility (parity)"
        if report is not None and report <= date.fromisoformat(expiration):
            assert iv_low < put_iv < 3 * iv_high, f"{expiration}: ATM IV {put_iv:.3f} with earnings"
        else:
            assert iv_low <= put_iv <= iv_high, f"{expiration}: ATM IV {put_iv:.3f}"
            outside_earnings += 1
    assert outside_earnings or (report and report <= FIXED_NOW.date() + timedelta(days=3))


@pytest.mark.parametrize("symbol", ["KO", "AAPL", "SPY", "PLTR", "F", "ZQXJ"])
def test_the_at_the_money_iv_solved_from_the_mids_is_the_days_iv(demo: tuple, symbol: str) -> None:
    transport, session = demo
    day = transport.market.day(symbol)
    assert abs(day.iv / day.profile.iv - 1) < 0.15, "the day's IV stays near the profile's"
    report = day.next_report()
    solved = [
        atm_ivs(chain, symbol, expiration)[0]
        for expiration, chain in chains(session, symbol)
        if 5 <= (date.fromisoformat(expiration) - FIXED_NOW.date()).days <= 70
        and (report is None or report > date.fromisoformat(expiration))
    ]
    assert solved
    for iv in solved:
        assert iv == pytest.approx(day.iv, rel=0.06)


@pytest.mark.parametrize("symbol", DEFAULT_SYMBOLS)
def test_puts_below_the_money_carry_a_skew(demo: tuple, symbol: str) -> None:
    _, session = demo
    expiration, chain = next(
        (e, c)
        for e, c in chains(session, symbol)
        if (date.fromisoformat(e) - FIXED_NOW.date()).days >= 20
    )
    put_iv, _, forward = atm_ivs(chain, symbol, expiration)
    puts = clean(chain.puts, symbol)
    otm = puts.iloc[(puts["strike"] - 0.9 * forward).abs().argsort()[:1]].iloc[0]
    years = years_to(expiration, as_of(chain.underlying))
    mid = (otm.bid + otm.ask) / 2
    wing_iv = float(black76.implied_vol("put", mid, forward, otm.strike, years, RATE))
    assert wing_iv > put_iv


def test_a_report_before_expiry_raises_that_expirations_iv(demo: tuple) -> None:
    _, session = demo
    listed = chains(session, "UBER")  # reports 2026-12-03 in the demo
    quote = listed[0][1].underlying
    report = next_report(quote)
    assert report is not None and report <= FIXED_NOW.date() + timedelta(days=28)
    before = [(e, c) for e, c in listed if date.fromisoformat(e) < report]
    after = [(e, c) for e, c in listed if date.fromisoformat(e) >= report]
    iv_before = atm_ivs(before[-1][1], "UBER", before[-1][0])[0]
    iv_after = atm_ivs(after[0][1], "UBER", after[0][0])[0]
    assert iv_after > iv_before * 1.2


def test_spreads_are_cents_for_liquid_names_and_wide_for_illiquid_ones(demo: tuple) -> None:
    _, session = demo
    _, spy = chains(session, "SPY")[2]
    illiquid = next(s for s in (f"Q{c}X" for c in "ABCDEFGHIJ") if len(chains(session, s)) < 6)
    _, low = chains(session, illiquid)[0]

    def atm_spread_pct(chain: object, symbol: str) -> float:
        puts = clean(chain.puts, symbol)
        spot = chain.underlying["regularMarketPrice"]
        row = puts.iloc[(puts["strike"] - spot).abs().argsort()[:1]].iloc[0]
        return (row.ask - row.bid) / ((row.ask + row.bid) / 2) * 100

    assert atm_spread_pct(spy, "SPY") < 2
    assert atm_spread_pct(low, illiquid) > 5
    months = {datetime.strptime(e, "%Y-%m-%d").date() for e, _ in chains(session, illiquid)}
    assert all(d.weekday() == 4 and 15 <= d.day <= 21 for d in months), "monthlies only"


@pytest.mark.parametrize("symbol", ["SPY", "KO", "NVDA"])
def test_open_interest_tapers_away_from_the_money(demo: tuple, symbol: str) -> None:
    _, session = demo
    expiration, chain = chains(session, symbol)[3]
    put_iv, _, forward = atm_ivs(chain, symbol, expiration)
    one_sd = put_iv * math.sqrt(years_to(expiration, as_of(chain.underlying)))
    puts = chain.puts.dropna(subset=["strike", "openInterest"])
    distance = np.log(puts["strike"] / forward).abs() / one_sd
    near = puts[distance < 0.5]["openInterest"].mean()
    far = puts[distance > 2.5]["openInterest"].mean()
    assert near > 3 * far


def test_the_faults_yahoo_has_show_up_across_the_default_watchlist(demo: tuple) -> None:
    _, session = demo
    rows = pd.concat(
        [
            frame.assign(symbol=symbol)
            for symbol in DEFAULT_SYMBOLS
            for _, chain in chains(session, symbol)[:6]
            for frame in (chain.calls, chain.puts)
        ]
    )
    roots = rows["contractSymbol"].str[:-15]
    assert (rows["ask"] < rows["bid"]).sum() > 5, "crossed quotes"
    assert ((rows["ask"] == 0) & (rows["bid"] > 0)).sum() > 5, "a bid with ask 0"
    assert rows["strike"].isna().sum() > 2, "rows without a strike"
    assert rows["openInterest"].isna().sum() > 5 and rows["volume"].isna().sum() > 50
    assert (rows["impliedVolatility"] == 1e-05).sum() > 20, "Yahoo's IV placeholder"
    assert ((rows["ask"] == rows["strike"]) & (rows["bid"] > 0)).sum() > 5, "placeholder asks"
    assert set(roots[roots != rows["symbol"]]) == {"PFE1", "T1"}, "adjusted contracts"
    near = (rows["strike"] / rows.groupby("symbol")["strike"].transform("median") - 1).abs() < 0.1
    assert (near & (rows["bid"] == 0) & (rows["ask"] > 0)).sum() > 5, "near-money no-bid rows"
    assert (rows["ask"] < rows["bid"]).mean() < 0.02, "faults stay rare"


def test_the_same_clock_gives_the_same_bytes_and_another_day_another_price() -> None:
    first, again = DemoMarket(now=FIXED_NOW), DemoMarket(now=FIXED_NOW)
    for url in (
        "https://query2.finance.yahoo.com/v10/finance/quoteSummary/KO?modules=calendarEvents",
        "https://query2.finance.yahoo.com/ws/fundamentals-timeseries/v1/finance/timeseries/KO"
        "?symbol=KO&type=trailingFreeCashFlow,annualOperatingCashFlow",
    ):
        assert first.answer(url) == again.answer(url)
    for symbol in ("KO", "ZQXJ"):
        epochs = first.options_json(symbol, None)["optionChain"]["result"][0]["expirationDates"]
        for epoch in (None, epochs[2]):
            assert first.options_json(symbol, epoch) == again.options_json(symbol, epoch)
    tomorrow = DemoMarket(now=FIXED_NOW + timedelta(days=1))
    assert tomorrow.day("KO").price != first.day("KO").price
    assert first.day("KO").price != first.day("PEP").price


@pytest.mark.parametrize(
    ("moment", "state", "quoted_at"),
    [
        (datetime(2026, 11, 28, 17, 0, tzinfo=UTC), "CLOSED", datetime(2026, 11, 27, 21, 0)),
        (datetime(2026, 11, 30, 12, 0, tzinfo=UTC), "PRE", datetime(2026, 11, 27, 21, 0)),
        (datetime(2026, 11, 30, 22, 0, tzinfo=UTC), "POST", datetime(2026, 11, 30, 21, 0)),
        (datetime(2026, 7, 6, 14, 0, tzinfo=UTC), "REGULAR", datetime(2026, 7, 6, 14, 0)),
    ],
)
def test_the_quote_is_as_of_now_in_session_and_the_last_close_outside(
    moment: datetime, state: str, quoted_at: datetime
) -> None:
    _, session = demo_session(moment)
    ticker = _yfinance.Ticker("AAPL", session=session)
    chain = ticker.option_chain()
    assert chain.underlying["marketState"] == state
    assert as_of(chain.underlying) == quoted_at.replace(tzinfo=UTC)
    for expiration in ticker.options:
        assert years_to(expiration, quoted_at.replace(tzinfo=UTC)) > 0, "no expired date listed"


def test_calendar_and_quote_agree_on_dividends_and_earnings(demo: tuple) -> None:
    _, session = demo
    for symbol in DEFAULT_SYMBOLS:
        ticker = _yfinance.Ticker(symbol, session=session)
        calendar = ticker.calendar
        quote = ticker.option_chain().underlying
        today = as_of(quote).date()
        if "trailingAnnualDividendYield" in quote:
            ex_date = calendar["Ex-Dividend Date"]
            assert today - timedelta(days=91) < ex_date <= today + timedelta(days=45)
            assert calendar["Dividend Date"] > ex_date and ex_date.weekday() < 5
            pay = datetime.fromtimestamp(quote["dividendDate"], tz=UTC).date()
            assert pay == calendar["Dividend Date"]
        else:
            assert "Ex-Dividend Date" not in calendar
        if symbol in ETFS:
            assert "Earnings Date" not in calendar and "epsTrailingTwelveMonths" not in quote
        else:
            start = datetime.fromtimestamp(quote["earningsTimestampStart"], tz=UTC).date()
            assert calendar["Earnings Date"][0] == start
            assert quote["isEarningsDateEstimate"] == (len(calendar["Earnings Date"]) == 2)
            assert quote["sharesOutstanding"] > 1e8


def test_some_default_names_report_within_four_weeks_and_others_are_estimated(
    demo: tuple,
) -> None:
    _, session = demo
    quotes = [
        _yfinance.Ticker(s, session=session).option_chain().underlying for s in DEFAULT_SYMBOLS
    ]
    soon = [
        q["symbol"] for q in quotes if (r := next_report(q)) and (r - FIXED_NOW.date()).days <= 28
    ]
    estimated = [q["symbol"] for q in quotes if q.get("isEarningsDateEstimate")]
    upcoming_ex = [
        s
        for s in DEFAULT_SYMBOLS
        if (d := DemoMarket(now=FIXED_NOW).day(s).dividend)
        and 0 <= (d.ex_date - FIXED_NOW.date()).days <= 28
    ]
    assert len(soon) >= 3 and len(estimated) >= 10
    assert len(upcoming_ex) >= 3, "ex-dividend dates inside a covered call's window"


def test_trailing_cash_flow_parses_through_yfinance(demo: tuple) -> None:
    _, session = demo
    ko = _yfinance.Ticker("KO", session=session).get_cash_flow(freq="trailing")
    column = ko.columns[0]
    assert column == pd.Timestamp("2026-09-30")
    free, operating, capex = (
        ko.at[r, column] for r in ("FreeCashFlow", "OperatingCashFlow", "CapitalExpenditure")
    )
    assert capex < 0 < free and free == pytest.approx(operating + capex)
    quote = _yfinance.Ticker("KO", session=session).option_chain().underlying
    assert 1.0 < free / quote["sharesOutstanding"] < 4.0, "KO's free cash flow per share"

    ford = _yfinance.Ticker("F", session=session).get_cash_flow(freq="trailing")
    assert "FreeCashFlow" not in ford.index and {"OperatingCashFlow", "CapitalExpenditure"} <= set(
        ford.index
    )
    assert _yfinance.Ticker("SPY", session=session).get_cash_flow(freq="trailing").empty
    yearly = _yfinance.Ticker("AAPL", session=session).get_cash_flow(freq="yearly")
    assert len(yearly.columns) == 4 and (yearly.loc["FreeCashFlow"] > 0).all()


def test_derived_profiles_are_plausible_for_any_symbol() -> None:
    market = DemoMarket(now=FIXED_NOW)
    symbols = [f"X{i:03d}" for i in range(60)]
    days = [market.day(s) for s in symbols]
    prices = np.array([d.price for d in days])
    ivs = np.array([d.iv for d in days])
    assert (prices > 5).all() and (prices < 500).all()
    assert (ivs > 0.18).all() and (ivs < 1.0).all()
    assert 0.2 < np.mean([d.dividend is not None for d in days]) < 0.7
    assert len({round(p) for p in prices}) > 50, "symbols differ"


def test_every_request_pays_the_latency_and_extra_requests_are_listed() -> None:
    naps: list[float] = []
    transport, session = demo_session(sleep=naps.append)
    transport.latency = 0.2
    ticker = _yfinance.Ticker("KO", session=session)
    ticker.option_chain()
    assert ticker.calendar
    ticker.get_cash_flow(freq="trailing")
    assert transport.extra_requests == [
        "/v10/finance/quoteSummary/KO",
        "/ws/fundamentals-timeseries/v1/finance/timeseries/KO",
    ]
    assert naps == [0.2] * (transport.request_count + 2)


def test_urls_the_demo_does_not_know_are_left_to_the_stand_in(demo: tuple) -> None:
    transport, session = demo
    response = session.get("https://query1.finance.yahoo.com/v1/test/getcrumb")
    assert response.text == "wheelscan-offline-crumb"
    assert transport.market.answer("https://fc.yahoo.com/") is None
    quote = session.get("https://query1.finance.yahoo.com/v7/finance/quote?symbols=KO,SPY")
    assert [q["symbol"] for q in quote.json()["quoteResponse"]["result"]] == ["KO", "SPY"]


def test_wheelscan_demo_now_pins_the_clock_of_a_market_built_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_NOW", "2026-11-23T10:00:00-05:00")
    assert DemoMarket().now() == FIXED_NOW
    assert DemoMarket().options_json("KO", None) == DemoMarket(now=FIXED_NOW).options_json(
        "KO", None
    )
    later = FIXED_NOW + timedelta(hours=1)
    assert DemoMarket(now=later).now() == later, "an injected clock wins"
    for bad in ("tomorrow", "2026-11-23T10:00:00"):
        monkeypatch.setenv("WHEELSCAN_DEMO_NOW", bad)
        with pytest.raises(ValueError, match="WHEELSCAN_DEMO_NOW"):
            DemoMarket()


def test_the_demo_dividend_per_share_is_the_profiles_quarter_and_flags_early_assignment(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KO pays $2.08 a year (demo_profiles.toml), quarterly: $0.52 a share, ex-dividend on
    2026-12-01, inside the call window on FIXED_NOW. `calls --json` on the demo gets the
    amount through yfinance's quoteSummary request, and flags every call whose extrinsic
    value (mid less what it is in the money) is below it and whose expiration is after the
    ex-date: worked out here from the listed candidates' own bid, ask and strike."""
    from typer.testing import CliRunner

    from wheelscan.cli.main import app

    table = tomllib.loads(files("wheelscan").joinpath("data/demo_profiles.toml").read_text())
    per_share = table["symbols"]["KO"]["dividend"] / 4
    summary = DemoMarket(now=FIXED_NOW).answer(
        "https://query2.finance.yahoo.com/v10/finance/quoteSummary/KO"
        "?modules=calendarEvents,defaultKeyStatistics"
    )
    assert summary is not None
    modules = json.loads(summary[1])["quoteSummary"]["result"][0]
    assert modules["defaultKeyStatistics"]["lastDividendValue"] == pytest.approx(per_share)
    ex_date = datetime.fromtimestamp(modules["calendarEvents"]["exDividendDate"], UTC).date()
    assert ex_date == date(2026, 12, 1)
    assert (
        "lastDividendValue"
        not in json.loads(
            DemoMarket(now=FIXED_NOW).answer(
                "https://query2.finance.yahoo.com/v10/finance/quoteSummary/PLTR"
                "?modules=calendarEvents,defaultKeyStatistics"
            )[1]
        )["quoteSummary"]["result"][0]["defaultKeyStatistics"]
    ), "PLTR pays none"

    monkeypatch.setenv("WHEELSCAN_DEMO_NOW", FIXED_NOW.isoformat())
    runner = CliRunner()
    loose = ["config", "set"]
    for key, value in (("call_min_return_pct", "0"), ("call_max_delta", "0.6")):
        assert runner.invoke(app, [*loose, key, value]).exit_code == 0
    added = runner.invoke(
        app, ["positions", "add-shares", "KO", "100", "50", "--date", "2026-11-02"]
    )
    assert added.exit_code == 0, added.output
    done = runner.invoke(app, ["calls", "--json", "--source", "demo"])
    assert done.exit_code == 0, done.output
    ko = json.loads(done.stdout)["results"]["KO"]
    assert ko["ex_dividend"] == {"date": "2026-12-01", "amount": pytest.approx(per_share)}
    spot = ko["underlying_price"]
    flags = []
    for call in ko["candidates"]:
        extrinsic = (call["bid"] + call["ask"]) / 2 - max(spot - call["strike"], 0.0)
        expected = date.fromisoformat(call["expiration"]) >= ex_date and extrinsic < per_share
        assert call["early_assignment_risk"] is expected, call["contract"]
        flags.append(expected)
    assert set(flags) == {True, False}, "calls cheaper and dearer than the dividend"
