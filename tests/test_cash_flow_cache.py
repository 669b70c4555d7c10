"""Trailing cash flows kept a week per symbol and namespace (an empty answer an hour), on a
real diskcache and the store's fake clock; and a scan that asks Yahoo at most once a week."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from conftest import FakeClock
from wheelscan.config import Settings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import ScanKind, ScanState
from wheelscan.core.valuation import TrailingCashFlow
from wheelscan.scan.cash_flows import StoredCashFlows
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.store.fundamentals import fundamentals_key, read_cash_flow, write_cash_flows
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.fundamentals import TIMESERIES_PATH
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport

DAY = 86400.0
KO_CASH_FLOW = TrailingCashFlow(
    free_cash_flow=9.4e9, operating_cash_flow=1.1e10, capital_expenditure=-1.6e9, as_of="2026-09-30"
)
NOW = datetime(2026, 11, 18, 11, 0, tzinfo=NEW_YORK)


def test_a_cash_flow_is_kept_for_a_week(store: Store, fake_clock: FakeClock) -> None:
    write_cash_flows(store, [("KO", KO_CASH_FLOW)])
    fake_clock.advance(7 * DAY - 1)
    assert read_cash_flow(store, "KO") == KO_CASH_FLOW
    fake_clock.advance(1)
    assert read_cash_flow(store, "KO") is None


def test_no_cash_flow_is_kept_for_an_hour_only(store: Store, fake_clock: FakeClock) -> None:
    # yfinance answers a failed request as it answers a symbol without statements.
    write_cash_flows(store, [("NOCF", TrailingCashFlow())])
    fake_clock.advance(3599)
    kept = read_cash_flow(store, "NOCF")
    assert kept is not None and kept.empty
    fake_clock.advance(1)
    assert read_cash_flow(store, "NOCF") is None


def test_each_namespace_keeps_its_own(store: Store, fake_clock: FakeClock) -> None:
    demo = Store(store.directory, namespace="demo", clock=fake_clock)
    write_cash_flows(demo, [("KO", KO_CASH_FLOW)])
    assert read_cash_flow(demo, "KO") == KO_CASH_FLOW
    assert read_cash_flow(store, "KO") is None


@pytest.mark.parametrize(
    "record",
    [
        "not a record",
        {"fetched_at": "yesterday", "cash_flow": None},
        {"fetched_at": 1.0e9, "cash_flow": {"free_cash_flow": 1.0}},
        {"fetched_at": True, "cash_flow": None},
        {
            "fetched_at": 1.0e9,
            "cash_flow": {
                "free_cash_flow": "9.4e9",
                "operating_cash_flow": None,
                "capital_expenditure": None,
                "as_of": None,
            },
        },
    ],
)
def test_a_record_of_another_shape_keeps_nothing(
    store: Store, fake_clock: FakeClock, record: object
) -> None:
    with store._writing("plant a record") as cache:
        cache.set(fundamentals_key(store.namespace, "KO"), record)
    fake_clock.now = 1.0e9 + 10
    assert read_cash_flow(store, "KO") is None


def test_a_missing_cache_keeps_nothing(tmp_path: Path) -> None:
    assert read_cash_flow(Store(tmp_path / "nowhere"), "KO") is None


def test_fresh_reads_nothing_and_still_keeps(store: Store) -> None:
    write_cash_flows(store, [("KO", KO_CASH_FLOW)])
    fresh = StoredCashFlows(store, fresh=True)
    assert fresh.get("KO") is None
    newer = TrailingCashFlow(free_cash_flow=1.0e10)
    fresh.put("KO", newer)
    assert read_cash_flow(store, "KO") == KO_CASH_FLOW, "nothing is written before save()"
    fresh.save()
    assert StoredCashFlows(store).get("KO") == newer


def _timeseries_requests(transport: DemoTransport) -> int:
    return sum(path.startswith(TIMESERIES_PATH) for path in transport.extra_requests)


def test_a_scan_asks_for_a_symbols_cash_flow_at_most_once_a_week(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = Store(tmp_path / "cache", namespace="demo", clock=fake_clock)
    settings = Settings(source="demo")
    overrides = {"KO": {"method": "fcf"}, "SPY": {"method": "fcf"}}

    def scan(**options: bool) -> tuple[dict, int]:
        transport = DemoTransport(DemoMarket(NOW))
        outcome = run_scan(
            ["KO", "SPY", "AAPL"],
            settings,
            kind=ScanKind.ADHOC,
            value_overrides=overrides,
            store=store,
            source=YahooSource("demo", transport),
            **options,
        )
        assert outcome.state is ScanState.SUCCEEDED and outcome.document is not None
        return outcome.document["results"], _timeseries_requests(transport)

    first, asked = scan()
    assert asked >= 1, "KO's cash flow is fetched"
    assert first["KO"]["intrinsic_value_source"] == "dcf_fcf"
    assert first["SPY"]["valuation"]["reason"] == "not an equity (ETF)"
    assert first["AAPL"]["intrinsic_value_source"] == "dcf_eps"
    fake_clock.advance(6 * DAY)
    again, asked = scan()
    assert asked == 0, "kept for a week, ETFs and EPS symbols never ask"
    assert again["KO"]["intrinsic_value"] == first["KO"]["intrinsic_value"]
    assert again["KO"]["valuation"]["inputs"] == first["KO"]["valuation"]["inputs"]
    fake_clock.advance(1 * DAY)
    _, asked = scan()
    assert asked >= 1, "a week later it is asked again"
    _, asked = scan(fresh=True)
    assert asked >= 1, "--fresh asks whatever is kept"
