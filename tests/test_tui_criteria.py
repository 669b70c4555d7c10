"""The criteria panel (`k`): edits go to config.toml, then the cached answers are re-evaluated.

Under App.run_test() with the demo market and a temporary WHEELSCAN_HOME: the app's
own scan process (`s`) fills the answer cache, an edit in the panel writes
config.toml the way `wheelscan config set` does, and the re-evaluation the app starts
runs without an options request. Every wait is a condition against a deadline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui_support import assert_matches_golden, settled_screen, use_watchlist, wait_until
from wheelscan.config import load_settings, set_value
from wheelscan.core.models import ScanState
from wheelscan.store import Store
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.criteria_edit import write_criterion
from wheelscan.tui.criteria_panel import CriteriaPanel
from wheelscan.tui.puts_tree import PutsTree

SYMBOLS = ["AAPL", "KO", "MSFT", "NVDA"]
SIZE = (80, 24)
OWN_COMMENTS = ("# my wheel settings, kept by hand", "# lower means more candidates")


def commented_config(concurrency: int = 8) -> tuple[WheelscanApp, Path]:
    """The demo watchlist's config.toml with the user's own comments in it, and the app
    `wheelscan tui` makes from it."""
    settings = use_watchlist(SYMBOLS, concurrency=concurrency)
    path = settings.path
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("min_return_pct"))
    lines[at] += f"  {OWN_COMMENTS[1]}"
    path.write_text("\n".join([OWN_COMMENTS[0], *lines]) + "\n", encoding="utf-8")
    app = WheelscanApp(load_settings(path), check_market=False, idle_poll_s=None, state_file=None)
    return app, path


def panel(app: WheelscanApp) -> CriteriaPanel:
    screen = app.screen
    assert isinstance(screen, CriteriaPanel), type(screen).__name__
    return screen


def message(app: WheelscanApp) -> str:
    return str(panel(app).query_one("#criteria-message").render())


def status(app: WheelscanApp) -> str:
    return str(app.query_one("#status").render())


def published_candidates() -> dict[str, dict[str, float]]:
    """{ticker: {contract: annualized return}} of the published results."""
    results = Store.for_source("demo").read_results().results
    return {
        symbol: {c["contract"]: c["annualized_return_pct"] for c in result["candidates"]}
        for symbol, result in results.items()
    }


def between_two(returns: list[float]) -> float:
    """A minimum return, to two decimals, that about half of `returns` (sorted) meet and
    that lies clearly between two of them (no contract sits on the line)."""
    for i in range(len(returns) // 2, len(returns)):
        low, high = returns[i - 1], returns[i]
        if high - low > 0.02:
            return round((low + high) / 2, 2)
    raise AssertionError(f"no gap in {returns}")


async def edit(app: WheelscanApp, pilot: Pilot[None], key: str, text: str) -> None:
    """Open the panel with k, go to `key`'s row, type `text` over its value, enter."""
    if not isinstance(app.screen, CriteriaPanel):
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, CriteriaPanel))
    panel(app).value_input(key).focus()
    await pilot.pause()
    await pilot.press(*text, "enter")


async def scan_to_fill_the_cache(app: WheelscanApp, pilot: Pilot[None]) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: app.scan.outcome is ScanState.SUCCEEDED, timeout=60)
    await wait_until(pilot, lambda: app.query_one(PutsTree).symbols() == SYMBOLS)


async def test_an_edit_is_written_to_config_and_re_evaluated_from_the_cached_answers() -> None:
    app, path = commented_config()
    async with app.run_test(size=SIZE) as pilot:
        await scan_to_fill_the_cache(app, pilot)
        first = Store.for_source("demo").read_results().scan
        assert first is not None and first["requests"] > 0
        before = published_candidates()
        returns = sorted(r for contracts in before.values() for r in contracts.values())
        floor = between_two(returns)

        await edit(app, pilot, "min_return_pct", f"{floor:g}")
        await wait_until(pilot, lambda: "min_return_pct = " in message(app))
        text = path.read_text(encoding="utf-8")
        assert load_settings(path).criteria.min_return_pct == floor
        for comment in OWN_COMMENTS:
            assert comment in text
        assert text.splitlines()[0] == OWN_COMMENTS[0]
        assert app.settings.criteria.min_return_pct == floor

        await wait_until(pilot, lambda: "from cache" in app.criteria_note, timeout=60)
        again = Store.for_source("demo").read_results().scan
        assert again is not None and again["id"] != first["id"]
        assert again["requests"] == 0
        assert again["cached_answers"] >= len(SYMBOLS)
        assert f"{again['cached_answers']} answers from cache, 0 requests" in status(app)
        assert "criteria changed" in status(app)
        assert "Re-evaluated with the new criteria" in message(app)

        after = published_candidates()
        kept = {
            symbol: {c: r for c, r in contracts.items() if r >= floor}
            for symbol, contracts in before.items()
        }
        assert after == kept
        assert 0 < sum(map(len, after.values())) < len(returns)
        tree = app.query_one(PutsTree)
        for symbol, contracts in after.items():
            await wait_until(pilot, lambda s=symbol, c=contracts: tree.contracts(s) == list(c))


@pytest.mark.parametrize(
    ("key", "typed", "said"),
    [
        ("min_return_pct", "-5", "min_return_pct must be >= 0, got -5.0"),
        ("max_delta", "abc", "max_delta must be a number, got 'abc'"),
        ("min_dte", "40", "min DTE 40 is above max DTE 28"),
        ("earnings", "sometimes", "earnings must be one of exclude, flag, ignore"),
    ],
)
async def test_a_bad_value_is_refused_with_the_config_files_message_and_nothing_changes(
    key: str, typed: str, said: str
) -> None:
    app, path = commented_config()
    text = path.read_text(encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        await edit(app, pilot, key, typed)
        await wait_until(pilot, lambda: said in message(app))
        assert panel(app).focused is panel(app).value_input(key)
        assert app.scan.mode == "idle" and app.scan.outcome is None
        assert app.settings.criteria == load_settings(path).criteria
    assert path.read_text(encoding="utf-8") == text


async def test_an_edit_during_a_scan_is_re_evaluated_once_that_scan_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.3")  # one at a time: seconds to edit in
    app, path = commented_config(concurrency=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.pid is not None)
        first_pid = app.scan.pid
        await edit(app, pilot, "max_delta", "0.1")
        await wait_until(pilot, lambda: "re-evaluating after the running scan" in message(app))
        assert load_settings(path).criteria.max_delta == 0.1
        await wait_until(pilot, lambda: "from cache" in app.criteria_note, timeout=60)
        assert app.scan.pid != first_pid
    scan = Store.for_source("demo").read_results().scan
    assert scan is not None and scan["criteria"]["max_delta"] == 0.1
    assert scan["requests"] == 0
    for contracts in Store.for_source("demo").read_results().results.values():
        assert all(abs(c["delta"]) <= 0.1 for c in contracts["candidates"])


def test_the_same_value_writes_nothing_and_max_dte_replaces_weeks(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    set_value("weeks", "3", path)
    text = path.read_text(encoding="utf-8")
    same = write_criterion("max_dte", "21", path)
    assert not same.changed and not same.refused and "already" in same.message
    assert path.read_text(encoding="utf-8") == text
    changed = write_criterion("max_dte", "14", path)
    assert changed.changed and "weeks removed" in changed.message
    assert changed.criteria is not None and changed.criteria.max_dte == 14
    assert "weeks" not in path.read_text(encoding="utf-8")


async def test_the_panel_at_80_columns_with_a_refused_value() -> None:
    app, _ = commented_config()
    async with app.run_test(size=SIZE) as pilot:
        await edit(app, pilot, "max_delta", "1.5")
        await wait_until(pilot, lambda: "max_delta must be in (0, 1], got 1.5" in message(app))
        lines = await settled_screen(pilot, app)
    assert_matches_golden("criteria-80x24", lines)
