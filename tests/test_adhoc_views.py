"""Ad-hoc scans publish nothing (issue 13, #15): the scan's own output and the empty
`results` both say that only watchlist scans publish."""

from __future__ import annotations

from pathlib import Path

from cli_support import wheelscan

ONLY_WATCHLIST = "only watchlist scans publish"


def test_an_adhoc_scan_and_the_empty_results_say_only_watchlist_scans_publish(
    wheelscan_home: Path,
) -> None:
    scanned = wheelscan("scan", "AAPL", "KO", "--source", "demo")
    assert scanned.returncode == 0, scanned.stderr
    assert ONLY_WATCHLIST in scanned.stdout
    results = wheelscan("results", "--source", "demo")
    assert results.returncode == 0, results.stderr
    assert ONLY_WATCHLIST in results.stdout
    assert "AAPL" not in results.stdout, "the ad-hoc scan published nothing"


def test_a_watchlist_scan_does_not_say_it(wheelscan_home: Path) -> None:
    scanned = wheelscan("scan", "--source", "demo")
    assert scanned.returncode == 0, scanned.stderr
    assert ONLY_WATCHLIST not in scanned.stdout
    results = wheelscan("results", "--source", "demo")
    assert results.returncode == 0 and ONLY_WATCHLIST not in results.stdout
