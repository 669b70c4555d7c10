"""Every test runs with its own WHEELSCAN_HOME, so nothing touches the real user dirs."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def wheelscan_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WHEELSCAN_HOME", str(home))
    monkeypatch.delenv("WHEELSCAN_DEMO_LATENCY", raising=False)
    return home
