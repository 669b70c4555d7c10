"""Every test runs with its own WHEELSCAN_HOME, so nothing touches the real user dirs."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wheelscan.store import Store

# Property tests run the same examples on every run and never judge by the clock: a
# deadline or the too-slow health check fail on a busy machine, not on a wrong answer.
# HYPOTHESIS_PROFILE=explore draws new examples on each run (1000 where a test sets no count).
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", derandomize=True, print_blob=True, **_UNTIMED)
settings.register_profile("explore", max_examples=1000, **_UNTIMED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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


TEMPLATE_MAX_AGE_S = 300
"""A prepared home older than this is prepared again: the tests that read its results
as fresh, or check their age, see a scan minutes old at most, as after their own."""


class DemoRefreshed:
    """A WHEELSCAN_HOME after `wheelscan refresh --source demo` (the default watchlist
    published in the demo namespace), prepared once per test process and copied, real
    files and all, into each test's home: a scan costs more than most tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template: Path | None = None
        self.made_at = 0.0

    def copy_to(self, home: Path) -> Path:
        if self.template is None or time.monotonic() - self.made_at > TEMPLATE_MAX_AGE_S:
            self.template = self._prepare()
        shutil.copytree(self.template, home, symlinks=True, dirs_exist_ok=True)
        return home

    def _prepare(self) -> Path:
        from cli_support import wheelscan

        template = self.root / f"template-{time.monotonic_ns()}"
        done = wheelscan(
            "refresh", "--source", "demo", home=template, env={"WHEELSCAN_DEMO_LATENCY": None}
        )
        assert done.returncode == 0 and done.stdout == done.stderr == "", done.stderr
        self.made_at = time.monotonic()
        return template


@pytest.fixture(scope="session")
def demo_refreshed(tmp_path_factory: pytest.TempPathFactory) -> DemoRefreshed:
    return DemoRefreshed(tmp_path_factory.mktemp("demo-refreshed"))


@pytest.fixture
def refreshed_home(wheelscan_home: Path, demo_refreshed: DemoRefreshed) -> Path:
    """The test's WHEELSCAN_HOME holding a published demo watchlist scan (its own copy)."""
    return demo_refreshed.copy_to(wheelscan_home)


@pytest.fixture
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC for the test's length, whatever the machine's zone: scan times
    and export file names show in local time, and yfinance reads calendar epochs in it."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
