"""The human tables at a fixed width: columns dropped by priority, every number whole and
under its heading; `--sort` and `--top`; what a scan without candidates says."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys

import pytest
from rich.cells import cell_len
from rich.console import Console

from wheelscan.cli.messages import plural
from wheelscan.cli.tables import (
    candidate_rows,
    criteria_verdict,
    history_table,
    no_candidate_line,
    print_document,
    print_results,
    sort_order,
    sorted_rows,
)
from wheelscan.core.errors import InputError

FIELDS = (
    "contract", "expiration", "dte", "strike", "bid", "ask", "mid", "last", "iv", "delta",
    "prob_otm", "annualized_return_pct", "otm_pct", "spread_pct", "open_interest", "volume",
    "collateral", "breakeven", "badge",
)  # fmt: skip
# header -> how the test expects a candidate's figure written (its own formatting rules)
EXPECTED = {
    "Price": lambda r, c: f"{r['underlying_price']:.2f}",
    "Expiry": lambda r, c: c["expiration"],
    "DTE": lambda r, c: str(c["dte"]),
    "Strike": lambda r, c: f"{c['strike']:.2f}",
    "Bid": lambda r, c: f"{c['bid']:.2f}",
    "Mid": lambda r, c: f"{c['mid']:.2f}",
    "Ask": lambda r, c: f"{c['ask']:.2f}",
    "Delta": lambda r, c: f"{c['delta']:.3f}",
    "P(OTM)": lambda r, c: f"{100 * c['prob_otm']:.1f}%",
    "Ann.": lambda r, c: f"{c['annualized_return_pct']:.1f}%",
    "OTM": lambda r, c: f"{c['otm_pct']:.1f}%",
    "POP": lambda r, c: f"{100 * c['pop']:.1f}%",
    "IV": lambda r, c: f"{100 * c['iv']:.1f}%",
    "OI": lambda r, c: str(c["open_interest"]),
    "Spread": lambda r, c: f"{c['spread_pct']:.1f}%",
    "Badge": lambda r, c: c["badge"],
}
LEFT = {"Ticker", "Expiry", "Badge"}


def candidate(strike: float, bid: float, dte: int, ann: float, **more: object) -> dict:
    figures = {
        "contract": f"X{strike:.0f}P", "expiration": f"2026-12-{dte + 1:02d}", "dte": dte,
        "strike": strike, "bid": bid, "ask": bid + 0.1, "mid": bid + 0.05, "last": None,
        "iv": 0.4123, "delta": -0.1234, "prob_otm": 0.8765, "pop": 0.8912,
        "annualized_return_pct": ann, "otm_pct": 12.34, "spread_pct": 5.5,
        "open_interest": 123456, "volume": 10,
        "collateral": strike * 100, "breakeven": strike - bid, "badge": "good",
    }  # fmt: skip
    figures.update(more)
    return figures


def results() -> dict:
    """Wide figures on purpose: four-digit prices, six-digit open interest."""
    return {
        "BRK.B": {
            "underlying_price": 1234.56,
            "intrinsic_value": 1300.0,
            "rejected": {"itm": 40, "return": 3},
            "candidates": [
                candidate(1150.0, 12.35, 3, 130.7),
                candidate(1100.0, 8.05, 10, 26.7, delta=-0.0512),
            ],
        },
        "KO": {
            "underlying_price": 61.2,
            "intrinsic_value": 55.0,
            "rejected": {"itm": 30, "delta": 4},
            "candidates": [candidate(58.0, 0.4, 3, 84.0, badge="high", spread_pct=44.44)],
        },
        "XOM": {
            "underlying_price": 110.0,
            "intrinsic_value": None,
            "rejected": {"itm": 50, "return": 20, "oi": 7, "delta": 7},
            "candidates": [],
        },
    }


def render(width: int, **options: object) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)
    order = sort_order(str(options.get("sort", "ann")), FIELDS)
    print_results(console, results(), order, int(options.get("top", 0)))  # type: ignore[call-overload]
    return out.getvalue().splitlines()


def column_spans(header: str) -> dict[str, tuple[int, int]]:
    """Each heading's (start, end) in the header line."""
    spans, position = {}, 0
    for name in header.split():
        start = header.index(name, position)
        spans[name] = (start, start + len(name))
        position = start + len(name)
    return spans


def cell(line: str, name: str, spans: dict[str, tuple[int, int]], text: str) -> str:
    """The text under `name`'s heading, right-aligned to it (left-aligned for text columns)."""
    start, end = spans[name]
    if name in LEFT:
        return line[start : start + len(text)]
    return line[end - len(text) : end]


@pytest.mark.parametrize("width", [80, 120])
def test_every_number_is_whole_and_under_its_heading(width: int) -> None:
    lines = render(width)
    header, rule, *rows = lines
    assert set(rule) == {"─"}
    assert all(cell_len(line) <= width for line in lines)
    assert "…" not in "\n".join(lines)
    spans = column_spans(header)
    assert {"Ticker", "Expiry", "Strike", "Bid", "Ann."} <= set(spans), header
    if width >= 120:
        assert {"Mid", "Ask", "Price"} <= set(spans), header
    ranked = sorted(
        ((symbol, result, c) for symbol, result in results().items() for c in result["candidates"]),
        key=lambda item: -item[2]["annualized_return_pct"],
    )
    for line, (symbol, result, c) in zip(rows, ranked, strict=False):
        assert line.startswith(symbol + " ")
        for name in spans:
            if name == "Ticker":
                continue
            text = EXPECTED[name](result, c)
            assert cell(line, name, spans, text) == text, (name, line)
            start, end = spans[name]
            edge = end - len(text) - 1 if name not in LEFT else start + len(text)
            assert line[edge] == " ", f"{name}'s {text} runs into its neighbour: {line}"


def test_columns_go_by_priority_as_the_width_shrinks() -> None:
    seen = []
    for width in (60, 80, 100, 120, 160):
        header = render(width)[0]
        seen.append(set(header.split()))
    for narrower, wider in itertools.pairwise(seen):
        assert narrower <= wider
    assert seen[0] >= {"Ticker", "Expiry", "Strike", "Bid", "Ann."}
    assert "Spread" in seen[-1] and "Spread" not in seen[1]


def test_sort_fields_their_natural_direction_and_stable_ties() -> None:
    rows = candidate_rows(results())
    by_ann = [r["annualized_return_pct"] for r in sorted_rows(rows, sort_order("ann", FIELDS))]
    assert by_ann == [130.7, 84.0, 26.7]
    by_dte = [(r["ticker"], r["dte"]) for r in sorted_rows(rows, sort_order("dte", FIELDS))]
    assert by_dte == [("BRK.B", 3), ("KO", 3), ("BRK.B", 10)], "ties keep the document order"
    by_delta = [r["delta"] for r in sorted_rows(rows, sort_order("delta", FIELDS))]
    assert by_delta == [-0.0512, -0.1234, -0.1234], "smallest |delta| first"
    reverse = [r["strike"] for r in sorted_rows(rows, sort_order("strike:asc", FIELDS))]
    assert reverse == sorted(reverse)
    assert sort_order("Ticker", FIELDS).field == "ticker"
    for bad in ("nonsense", "dte:sideways"):
        with pytest.raises(InputError, match="--sort"):
            sort_order(bad, FIELDS)


def test_top_keeps_the_best_rows_and_says_how_many_there_are() -> None:
    lines = render(120, sort="strike", top=2)
    assert "1150.00" in lines[2] and "1100.00" in lines[3]
    assert not any("58.00" in line for line in lines)
    assert "2 of 3 candidates shown (--sort strike); --top 0 shows all" in lines


def test_tickers_without_candidates_and_a_scan_without_any_say_why() -> None:
    xom = results()["XOM"]
    assert (
        no_candidate_line("XOM", xom) == "XOM: no candidates (50 in the money, 20 return too low)"
    )
    criteria = {"min_return_pct": 30.0, "max_delta": 0.2, "min_open_interest": 10}
    verdict = criteria_verdict({"XOM": xom, "KO": {"rejected": {"return": 5, "itm": 99}}}, criteria)
    assert verdict == (
        "No candidates: the criteria rejected 25 with an annualized return below 30 % "
        "(--min-return); 7 with |delta| above 0.2 (--max-delta)"
    ), "in the money is no criterion; ties go to the reason tried first"


def test_the_scan_summary_counts_in_the_singular_and_plural() -> None:
    assert [plural(n, "ticker") for n in (0, 1, 2, 1500)] == [
        "0 tickers", "1 ticker", "2 tickers", "1,500 tickers",
    ]  # fmt: skip
    one = {"KO": results()["KO"]}
    scan = {
        "state": "SUCCEEDED", "tickers_scanned": 1, "requests": 1, "duration_s": 0.25,
        "source": "demo", "errors": {}, "criteria": {},
    }  # fmt: skip
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    print_document({"scan": scan, "results": one}, sort_order("ann", FIELDS), 20, console)
    assert out.getvalue().splitlines()[-1] == (
        "SUCCEEDED: 1 candidate from 1 ticker, 1 request in 0.2 s (DEMO)"
    )


def test_history_at_80_columns_keeps_its_numbers_whole() -> None:
    entry = {
        "id": "0123456789ab", "kind": "watchlist", "state": "SUCCEEDED",
        "started_at": "2026-11-23T15:45:02-05:00", "duration_s": 123.45, "tickers": 500,
        "candidates": 1234, "errors": {"A": "x", "B": "y"},
        "source": "snapshot:/a/very/long/directory/of/recorded/answers/2026-11-23",
    }  # fmt: skip
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    console.print(history_table([entry], 80))
    header, _, row = out.getvalue().splitlines()
    assert cell_len(row) <= 80
    spans = column_spans(header)
    for name, text in (("Tickers", "500"), ("Cand.", "1234"), ("Errors", "2")):
        assert cell(row, name, spans, text) == text
    assert "123.5s" in row or "Time" not in spans


def test_history_at_80_columns_tells_demo_scans_from_live_ones() -> None:
    entries = [
        {"id": f"{source}-scan", "kind": "watchlist", "state": "SUCCEEDED",
         "started_at": "2026-11-23T15:45:02-05:00", "duration_s": 12.5, "tickers": 24,
         "candidates": 28, "errors": {}, "source": source}
        for source in ("demo", "yahoo")
    ]  # fmt: skip
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    console.print(history_table(entries, 80))
    header, _, demo, live = out.getvalue().splitlines()
    assert "Source" in header and "Started (NY)" in header, header
    assert "DEMO" in demo.split() and "yahoo" in live.split()
    assert "2026-11-23 15:45" in demo, "New York time, as status and results give it"


def test_a_real_scan_fits_80_columns() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wheelscan", "scan", "KO", "MSFT", "AAPL", "--source", "demo",
         "--min-return", "1", "--max-delta", "0.5"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["Ticker", "Expiry"]
    table = lines[: next(i for i, line in enumerate(lines) if " candidates shown " in line)]
    assert len(table) == 2 + 20, "header, rule, the default --top rows"
    assert all(cell_len(line) <= 80 for line in table), done.stdout
    assert "…" not in done.stdout
