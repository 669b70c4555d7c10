"""The app's filter grammar, sort orders and priority columns, on their own (no Textual).

Expected rows are picked by hand from small fixed tickers, not computed the way
the product does.
"""

from __future__ import annotations

from typing import Any

import pytest

from wheelscan.tui.columns import COLUMNS, CONTRACT_COLUMNS, SortOrder, fit_columns, total_width
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.model import ResultsBook, TickerRow


def put(name: str, **fields: Any) -> dict[str, Any]:
    base = {
        "contract": name,
        "expiration": "2026-12-11",
        "dte": 10,
        "strike": 50.0,
        "bid": 0.5,
        "ask": 0.6,
        "mid": 0.55,
        "iv": 0.30,
        "delta": -0.20,
        "prob_otm": 0.80,
        "annualized_return_pct": 30.0,
        "otm_pct": 5.0,
        "spread_pct": 18.0,
        "open_interest": 500,
        "volume": 20,
        "collateral": 5000.0,
        "breakeven": 49.5,
        "badge": "high",
        "spans_earnings": False,
    }
    return {**base, **fields}


def ticker(symbol: str, price: float, *candidates: dict[str, Any], **result: Any) -> TickerRow:
    return TickerRow(symbol, {"underlying_price": price, "candidates": list(candidates), **result})


KO = ticker(
    "KO",
    70.0,
    put("KO-A", dte=3, annualized_return_pct=45.0, delta=-0.12, iv=0.18, badge="good"),
    put("KO-B", dte=17, annualized_return_pct=22.0, delta=-0.28, iv=0.16),
)
KOF = ticker("KOF", 90.0, put("KOF-A", dte=24, annualized_return_pct=41.0, delta=-0.10))
NVDA = ticker(
    "NVDA",
    180.0,
    put("NVDA-A", dte=10, annualized_return_pct=80.0, delta=-0.25, iv=0.55, badge="n/a"),
    put("NVDA-B", dte=14, annualized_return_pct=60.0, delta=-0.14, iv=0.52, spans_earnings=True),
)
EMPTY = ticker("T", 25.0, top_rejections=[{"reason": "itm", "count": 9}])
FAILED = TickerRow("ZZZ", None, None, "HTTP 404")
ALL = [KO, KOF, NVDA, EMPTY, FAILED]


def shown(text: str) -> dict[str, list[str]]:
    """{symbol: the contracts kept} of every row the filter lets through."""
    rules = ResultsFilter.parse(text)
    kept = {}
    for row in ALL:
        result = rules.apply(row)
        if result is not None:
            kept[row.symbol] = [c["contract"] for c in result.candidates]
    return kept


def test_no_filter_keeps_everything_failed_and_empty_tickers_too() -> None:
    assert shown("") == {
        "KO": ["KO-A", "KO-B"],
        "KOF": ["KOF-A"],
        "NVDA": ["NVDA-A", "NVDA-B"],
        "T": [],
        "ZZZ": [],
    }
    assert not ResultsFilter.parse("  ").active


def test_words_are_tickers_any_of_which_may_match() -> None:
    assert shown("ko") == {"KO": ["KO-A", "KO-B"], "KOF": ["KOF-A"]}
    assert list(shown("nvda zz")) == ["NVDA", "ZZZ"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann>40", {"KO": ["KO-A"], "KOF": ["KOF-A"], "NVDA": ["NVDA-A", "NVDA-B"]}),
        ("ann > 44.99", {"KO": ["KO-A"], "NVDA": ["NVDA-A", "NVDA-B"]}),
        ("ann >44.99", {"KO": ["KO-A"], "NVDA": ["NVDA-A", "NVDA-B"]}),
        ("badge : good", {"KO": ["KO-A"]}),
        ("delta<0.15", {"KO": ["KO-A"], "KOF": ["KOF-A"], "NVDA": ["NVDA-B"]}),
        ("dte<=14", {"KO": ["KO-A"], "NVDA": ["NVDA-A", "NVDA-B"]}),
        ("dte=17", {"KO": ["KO-B"]}),
        ("dte!=10", {"KO": ["KO-A", "KO-B"], "KOF": ["KOF-A"], "NVDA": ["NVDA-B"]}),
        ("iv>=52", {"NVDA": ["NVDA-A", "NVDA-B"]}),
        ("iv>=52%", {"NVDA": ["NVDA-A", "NVDA-B"]}),
        ("badge:good", {"KO": ["KO-A"]}),
        ("badge=n/a", {"NVDA": ["NVDA-A"]}),
        ("earn:yes", {"NVDA": ["NVDA-B"]}),
        ("ko dte<=14 ann>=40", {"KO": ["KO-A"]}),
        ("60", {"NVDA": ["NVDA-A", "NVDA-B"]}),
        ("price<80", {"KO": ["KO-A", "KO-B"], "T": []}),
        ("exp:2026-12", {"KO": ["KO-A", "KO-B"], "KOF": ["KOF-A"], "NVDA": ["NVDA-A", "NVDA-B"]}),
        ("Δ<0.13 ann.%>=41", {"KO": ["KO-A"], "KOF": ["KOF-A"]}),
    ],
)
def test_conditions_keep_the_contracts_that_meet_them(
    text: str, expected: dict[str, list[str]]
) -> None:
    assert shown(text) == expected


def test_what_does_not_parse_is_named_and_left_out() -> None:
    rules = ResultsFilter.parse("ko foo>3 ann> dte<abc >5")
    assert rules.problems == (
        "unknown column 'foo'",
        "ann>: a value is missing",
        "dte<abc: not a number",
        ">5: a column is missing (e.g. ann>5)",
    )
    assert rules.tickers == ("KO",)
    assert shown("ko foo>3 ann>") == shown("ko")


def test_the_description_names_every_part() -> None:
    assert ResultsFilter.parse("ko pep ann>40 badge:good").describe() == (
        "ticker ~ KO|PEP ann>40 badge:good"
    )
    assert ResultsFilter.parse("").describe() == "none"


def book() -> ResultsBook:
    rows = ResultsBook()
    rows.rows = {row.symbol: row for row in ALL}
    return rows


def test_tickers_sort_by_their_best_candidate_and_those_without_one_go_last() -> None:
    everything = ResultsFilter()
    by_return = SortOrder("ann", descending=True)
    assert [r.symbol for r in book().visible(everything, by_return)] == [
        "NVDA", "KO", "KOF", "T", "ZZZ"
    ]  # fmt: skip
    by_dte = SortOrder("dte", descending=False)
    assert [r.symbol for r in book().visible(everything, by_dte)] == [
        "KO", "NVDA", "KOF", "T", "ZZZ"
    ]  # fmt: skip
    by_price = SortOrder("price", descending=True)
    assert [r.symbol for r in book().visible(everything, by_price)] == [
        "NVDA", "KOF", "KO", "T", "ZZZ"
    ]  # fmt: skip
    assert book().visible_symbols(everything, by_price) == ["NVDA", "KOF", "KO", "T", "ZZZ"]
    assert book().visible_symbols(ResultsFilter.parse("ko"), by_return) == ["KO", "KOF"]
    nvda = book().shown("NVDA", everything, SortOrder("delta", descending=False))
    assert [c["contract"] for c in nvda.candidates] == ["NVDA-B", "NVDA-A"]


def test_all_candidates_sort_across_tickers_either_way() -> None:
    order = SortOrder("ann", descending=True)
    pairs = book().contracts(ResultsFilter(), order)
    assert [c["contract"] for _, c in pairs] == ["NVDA-A", "NVDA-B", "KO-A", "KOF-A", "KO-B"]
    flipped = book().contracts(ResultsFilter.parse("ko"), order.flipped())
    assert [c["contract"] for _, c in flipped] == ["KO-B", "KOF-A", "KO-A"]
    by_badge = book().contracts(ResultsFilter(), SortOrder("badge"))
    assert [c["badge"] for _, c in by_badge] == ["good", "high", "high", "high", "n/a"]


def test_sort_keys_cycle_and_a_heading_flips_its_own_direction() -> None:
    order = SortOrder("ticker")
    assert order.next_key() == SortOrder("ann", descending=True)
    assert order.next_key().next_key() == SortOrder("dte", descending=False)
    assert SortOrder("ann", descending=True).by("ann") == SortOrder("ann", descending=False)
    assert SortOrder("ann", descending=True).by("delta") == SortOrder("delta", descending=False)
    assert SortOrder("badge").next_key() == SortOrder("ticker")
    assert SortOrder("ann", descending=True).describe() == "ann.% ↓"


@pytest.mark.parametrize("width", [30, 48, 76, 140])
def test_priority_columns_fit_the_width_and_keep_their_order(width: int) -> None:
    chosen = fit_columns(CONTRACT_COLUMNS, width)
    assert total_width(chosen) <= width
    order = [c.key for c in CONTRACT_COLUMNS]
    assert [c.key for c in chosen] == sorted((c.key for c in chosen), key=order.index)
    left_out = [c for c in CONTRACT_COLUMNS if c not in chosen]
    if left_out:
        first_left_out = min(c.priority for c in left_out)
        assert all(c.priority < first_left_out for c in chosen)
    assert {"strike", "dte", "bid"} <= {c.key for c in chosen}


def test_delta_shows_signed_but_filters_and_sorts_on_its_size() -> None:
    delta = COLUMNS["delta"]
    row, candidate = KO, KO.candidates[1]
    assert delta.cell(row, candidate) == "-0.280"
    assert delta.value(row, candidate) == pytest.approx(0.28)
