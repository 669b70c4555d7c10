"""Every test runs with its own WHEELSCAN_HOME, so nothing touches the real user dirs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from wheelscan.store import Store


@pytest.fixture(autouse=True)
def wheelscan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WHEELSCAN_HOME", str(home))
    monkeypatch.delenv("WHEELSCAN_DEMO_LATENCY", raising=False)
    return home


class FakeClock:
    """Epoch seconds that move only when a test calls `advance` (the store's TTLs).

    It starts at the real time, so diskcache's own wall-clock expiry, which only
    garbage-collects rows, never fires before the store's clock says so.
    """

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, fake_clock: FakeClock) -> Store:
    """A store on real diskcache files in `tmp_path`, on `fake_clock`."""
    from wheelscan.store import Store

    return Store(tmp_path / "cache", clock=fake_clock)
