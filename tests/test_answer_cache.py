"""The answer cache (SPEC 1.4): each options answer kept in the store, per source, for
`chain_cache_minutes`; a re-run inside the window re-evaluates without a request.

Real scans (run_scan) on real diskcache files; requests are counted at the transport,
under the real yfinance; the store's age is judged by its fake clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import FakeClock
from wheelscan.config import Settings
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.store.answers import answer_key, read_answer
from wheelscan.yahoo.source import YahooSource
from yahoo_doubles import CountingDemo

SYMBOLS = ["AAPL", "KO", "SPY"]
NARROW = Criteria(max_dte=21)
WIDE = Criteria(max_dte=45, min_return_pct=4.0, max_delta=0.2)


def scan(
    store: Store,
    criteria: Criteria = NARROW,
    *,
    source: str = "demo",
    fresh: bool = False,
    cache_minutes: float = 10.0,
) -> tuple[dict[str, Any], CountingDemo]:
    transport = CountingDemo()
    settings = Settings(source=source, criteria=criteria, chain_cache_minutes=cache_minutes)
    outcome = run_scan(
        SYMBOLS,
        settings,
        kind=ScanKind.ADHOC,
        store=store,
        source=YahooSource(source, transport),
        fresh=fresh,
    )
    assert outcome.state is ScanState.SUCCEEDED and outcome.document is not None
    return outcome.document, transport


def demo_store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store.for_source("demo", tmp_path / "cache", clock=clock)


def test_a_rerun_with_other_criteria_asks_only_for_what_the_cache_lacks(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = demo_store(tmp_path, fake_clock)
    first, first_transport = scan(store, NARROW)
    asked = set(first_transport.options_requests)
    assert first["scan"]["cached_answers"] == 0 and first["scan"]["requests"] == len(asked)

    again, again_transport = scan(store, NARROW)
    assert again_transport.request_count == 0, "the same window: nothing is asked again"
    assert again["scan"]["requests"] == 0 and again["scan"]["cached_answers"] == len(asked)
    assert again["results"] == first["results"]

    wide, wide_transport = scan(store, WIDE)
    new = set(wide_transport.options_requests)
    assert new, "the wider window needs expirations the first scan did not ask for"
    assert not new & asked, "no answer the cache keeps is asked for again"
    assert all(epoch is not None for _, epoch in new), "every no-date answer came from the cache"
    assert wide["scan"]["cached_answers"] >= len(SYMBOLS)
    fresh_wide, _ = scan(Store.for_source("demo", tmp_path / "other", clock=fake_clock), WIDE)
    assert wide["results"] == fresh_wide["results"], "cached answers evaluate as fresh ones"


def test_fresh_asks_for_every_answer_and_keeps_them_for_the_next_run(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = demo_store(tmp_path, fake_clock)
    _, first_transport = scan(store)
    forced, forced_transport = scan(store, fresh=True)
    assert sorted(forced_transport.options_requests, key=str) == sorted(
        first_transport.options_requests, key=str
    ), "every answer is asked for again"
    assert forced["scan"]["cached_answers"] == 0
    fake_clock.advance(9 * 60)
    _, later_transport = scan(store)
    assert later_transport.request_count == 0, "the forced run's answers were kept"


def test_answers_older_than_the_window_are_asked_for_again(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = demo_store(tmp_path, fake_clock)
    _, first_transport = scan(store)
    fake_clock.advance(10 * 60 + 1)
    late, late_transport = scan(store)
    assert late_transport.request_count == first_transport.request_count
    assert late["scan"]["cached_answers"] == 0


def test_a_zero_window_keeps_nothing(tmp_path: Path, fake_clock: FakeClock) -> None:
    store = demo_store(tmp_path, fake_clock)
    _, first = scan(store, cache_minutes=0)
    _, again = scan(store, cache_minutes=0)
    assert again.request_count == first.request_count > 0
    assert read_answer(store, "AAPL", None, max_age_s=3600) is None, "nothing was written"


def test_one_sources_answers_never_answer_for_another(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    demo = demo_store(tmp_path, fake_clock)
    scan(demo)
    live = Store.for_source("yahoo", tmp_path / "cache", clock=fake_clock)
    document, transport = scan(live, source="yahoo")
    assert transport.request_count > 0 and document["scan"]["cached_answers"] == 0
    assert answer_key(demo.namespace, "AAPL", None) != answer_key(live.namespace, "AAPL", None)


def test_a_damaged_answer_in_the_store_is_asked_for_again(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    store = demo_store(tmp_path, fake_clock)
    _, first_transport = scan(store)
    with store._writing("plant") as cache:
        cache.set(answer_key(store.namespace, "KO", None), {"fetched_at": fake_clock(), "x": 1})
    document, transport = scan(store)
    assert [s for s, epoch in transport.options_requests if epoch is None] == ["KO"]
    assert document["scan"]["cached_answers"] == first_transport.request_count - 1
