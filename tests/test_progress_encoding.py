"""`scanner:progress` written from cached per-ticker JSON: same record, still JSON only."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from typing import Any

import pytest

from wheelscan.config import Settings
from wheelscan.core.models import ScanEvent, ScanKind, ScanState, TickerFinished
from wheelscan.scan.job import run_scan
from wheelscan.store import KEYS, EncodedJSON, JSONFragments, Progress, Store, StoreError

DEMO = Settings(source="demo")
ADHOC = str(ScanKind.ADHOC)


def round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def demo_results(store: Store) -> dict[str, Any]:
    outcome = run_scan(["AAPL", "KO", "MSFT"], DEMO, kind=ScanKind.ADHOC, store=store)
    assert outcome.document is not None
    return outcome.document["results"]


def test_records_built_from_fragments_equal_the_whole_record_encoded(store: Store) -> None:
    real = demo_results(store)
    events: list[tuple[str, dict[str, Any]]] = [
        *real.items(),
        ("BRK.B", {"underlying_price": 0.1 + 0.2, "note": "Ünïcode ✓", "nan": float("nan")}),
        ("AAPL", {**real["AAPL"], "underlying_price": 1.5}),
    ]
    handle = store.acquire_lock("s1", ADHOC)
    assert handle is not None
    fragments = JSONFragments()
    progress = Progress("s1", ADHOC, "demo", "RUNNING", 0, 5, None, 0, {}, "t0", "t0")
    for done, (symbol, result) in enumerate(events, start=1):
        progress = replace(
            progress,
            done=done,
            current=symbol,
            results={**progress.results, symbol: result},
            errors={**progress.errors, symbol: f"fault {done} ✗"},
        )
        encoded = progress.encode(fragments)
        assert encoded.text == json.dumps(progress.to_json())
        assert store.write_progress(handle, encoded)
        stored = store._open().get(KEYS.progress)
        assert json.dumps(stored) == json.dumps(round_trip(progress.to_json()))
    assert stored["results"]["AAPL"]["underlying_price"] == 1.5, "a new result is re-encoded"
    final = replace(progress, state="SUCCEEDED", results=round_trip(real), scan={"id": "s1"})
    assert final.encode(fragments).text == json.dumps(final.to_json())


def test_a_scan_writes_the_same_progress_as_before_at_every_ticker(store: Store) -> None:
    expected: dict[str, Any] = {}
    problems: list[str] = []

    def watch(event: ScanEvent) -> None:
        if not isinstance(event, TickerFinished):
            return
        expected[event.symbol] = event.result.to_json()
        # The scan's keeper thread writes the record; the engine waits for this callback,
        # so the last record it is handed is this ticker's.
        deadline = time.monotonic() + 30
        progress, warning = store.read_progress()
        while (progress is None or progress.done < event.done) and time.monotonic() < deadline:
            time.sleep(0.01)
            progress, warning = store.read_progress()
        if warning or progress is None or progress.results != round_trip(expected):
            problems.append(f"{event.symbol}: {warning or progress}")
        elif progress.done != len(expected) or progress.state != "RUNNING":
            problems.append(f"{event.symbol}: done {progress.done}, state {progress.state}")

    symbols = ["AAPL", "KO", "MSFT", "SPY", "T"]
    outcome = run_scan(symbols, DEMO, kind=ScanKind.ADHOC, store=store, on_event=watch)
    assert outcome.state is ScanState.SUCCEEDED and problems == []
    final, _ = store.read_progress()
    assert final is not None and final.document() == round_trip(outcome.document)


def test_encoded_values_are_stored_as_compressed_json_never_pickles(store: Store) -> None:
    handle = store.acquire_lock("s1", ADHOC)
    assert handle is not None
    assert store.write_progress(handle, EncodedJSON('{"scan_id": "s1", "done": 2}'))
    progress, warning = store.read_progress()
    assert warning is None and progress is not None and progress.done == 2
    with pytest.raises(StoreError):
        store.write_progress(handle, object())  # type: ignore[arg-type]
    store.close()
    with sqlite3.connect(store.directory / "cache.db") as db:
        modes = {row[0] for row in db.execute("SELECT mode FROM Cache")}
    assert modes <= {1, 2}, "only raw or binary (compressed JSON) rows, never pickle (4)"


def test_encoded_text_that_is_not_json_reads_as_corruption(store: Store) -> None:
    handle = store.acquire_lock("s1", ADHOC)
    assert handle is not None
    assert store.write_progress(handle, EncodedJSON('{"scan_id": "s1", '))
    progress, warning = store.read_progress()
    assert progress is None and warning is not None and "corrupt" in warning
    status = store.read_status()
    assert status.progress is None and status.warning and "corrupt" in status.warning
