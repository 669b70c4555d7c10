"""Human output for the terminal: candidate and history tables, scan summaries.

Tables fit the console (cli/layout.py). Candidates are sorted (`--sort`) and cut to the first N rows
(`--top`) before they are laid out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wheelscan.cli.layout import Column, Row, fit_table, stdout_console
from wheelscan.cli.messages import plural, source_label
from wheelscan.cli.options import DEFAULT_SORT, DEFAULT_TOP
from wheelscan.core.errors import InputError

# -- candidates ----------------------------------------------------------------


def _money(key: str) -> Callable[[Row], str]:
    return lambda row: "" if row.get(key) is None else f"{row[key]:.2f}"


def _pct(key: str, scale: float = 1.0) -> Callable[[Row], str]:
    return lambda row: "" if row.get(key) is None else f"{row[key] * scale:.1f}%"


def _whole(key: str) -> Callable[[Row], str]:
    return lambda row: "" if row.get(key) is None else str(row[key])


def _yes_no(key: str) -> Callable[[Row], str]:
    return lambda row: {True: "yes", False: "no"}.get(row.get(key), "")


CANDIDATE_COLUMNS = (
    Column("Ticker", 0, _whole("ticker"), "left"),
    Column("Price", 8, _money("price")),
    Column("Expiry", 0, _whole("expiration"), "left"),
    Column("DTE", 1, _whole("dte")),
    Column("Strike", 0, _money("strike")),
    Column("Bid", 0, _money("bid")),
    Column("Mid", 6, _money("mid")),
    Column("Ask", 7, _money("ask")),
    Column("Delta", 2, lambda row: "" if row.get("delta") is None else f"{row['delta']:.3f}"),
    Column("P(OTM)", 3, _pct("prob_otm", 100)),
    Column("Ann.", 0, _pct("annualized_return_pct")),
    Column("OTM", 4, _pct("otm_pct")),
    Column("POP", 9, _pct("pop", 100)),
    Column("IV", 10, _pct("iv", 100)),
    Column("OI", 9, _whole("open_interest")),
    Column("Spread", 11, _pct("spread_pct")),
    Column("Badge", 5, _whole("badge"), "left"),
    Column("Earn.", 5, lambda row: "yes" if row.get("spans_earnings") else "", "left"),
    Column("Fits", 2, _yes_no("fits"), "left"),  # in free cash (config `cash`, SPEC 9)
)
OPTIONAL_COLUMNS = {
    # header -> the rows must hold something worth a column
    "Badge": lambda rows: any(row.get("badge") not in (None, "n/a") for row in rows),
    "Earn.": lambda rows: any(row.get("spans_earnings") for row in rows),
    "Fits": lambda rows: any(row.get("fits") is not None for row in rows),
}

SORT_ALIASES = {
    "ann": "annualized_return_pct",
    "return": "annualized_return_pct",
    "potm": "prob_otm",
    "otm": "otm_pct",
    "oi": "open_interest",
    "spread": "spread_pct",
    "expiry": "expiration",
    "symbol": "ticker",
    "cushion": "cushion_pct",
}
ASCENDING = frozenset({"ticker", "contract", "expiration", "dte", "spread_pct", "badge"})
"""Fields whose best value is the smallest; every other field sorts largest first."""


@dataclass(frozen=True)
class SortOrder:
    field: str
    descending: bool
    text: str  # as the user wrote it


def sort_order(text: str, known: Iterable[str]) -> SortOrder:
    """`--sort FIELD[:asc|:desc]` as a SortOrder; an unknown field is bad input."""
    name, _, direction = text.strip().lower().partition(":")
    field = SORT_ALIASES.get(name, name)
    known_fields = set(known) | {"ticker", "price"}
    if field not in known_fields:
        shown = ", ".join(sorted(set(SORT_ALIASES) | known_fields))
        raise InputError(f"--sort: unknown field {name!r} (known: {shown})")
    if direction not in ("", "asc", "desc"):
        raise InputError(f"--sort: the direction is asc or desc, got {direction!r}")
    descending = field not in ASCENDING if not direction else direction == "desc"
    return SortOrder(field, descending, text)


def table_order(sort: str | None, top: int | None, as_json: bool) -> tuple[SortOrder, int]:
    """The table's order and length; with --json (every candidate) they are refused."""
    from wheelscan.core.models import Candidate

    if as_json and (sort is not None or top is not None):
        raise InputError("--sort and --top order the table; --json prints every candidate")
    known = (field.name for field in fields(Candidate))
    return sort_order(sort or DEFAULT_SORT, known), DEFAULT_TOP if top is None else top


def candidate_rows(results: Mapping[str, Any]) -> list[Row]:
    """Every candidate with its ticker and the ticker's price, in the document's order."""
    return [
        {"ticker": symbol, "price": result.get("underlying_price"), **candidate}
        for symbol, result in results.items()
        for candidate in result.get("candidates", ())
    ]


def sorted_rows(rows: list[Row], order: SortOrder) -> list[Row]:
    """`rows` by `order`'s field (stable: ties keep the document's order); rows without
    the field come last."""
    present = [row for row in rows if row.get(order.field) is not None]
    missing = [row for row in rows if row.get(order.field) is None]
    present.sort(key=lambda row: row[order.field], reverse=order.descending)
    return present + missing


def candidates_table(rows: Sequence[Row], width: int) -> Table:
    columns = [
        column
        for column in CANDIDATE_COLUMNS
        if column.header not in OPTIONAL_COLUMNS or OPTIONAL_COLUMNS[column.header](rows)
    ]
    return fit_table(columns, rows, width)


# -- why nothing qualified -----------------------------------------------------

REASON_TEXT = {
    "dte": "outside the DTE window",
    "nonstandard": "non-standard",
    "bad_quote": "bad quote",
    "itm": "in the money",
    "no_bid": "no bid",
    "low_bid": "bid too low",
    "no_iv": "no IV",
    "earnings": "span earnings",
    "return": "return too low",
    "delta": "delta too high",
    "oi": "open interest too low",
    "spread": "spread too wide",
}


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


# reason -> (the criterion it failed, as a phrase from the scan's criteria; the option)
CRITERION_OF_REASON: dict[str, tuple[Callable[[Mapping[str, Any]], str], str]] = {
    "dte": (
        lambda c: f"DTE outside {_num(c.get('min_dte'))}-{_num(c.get('max_dte'))}",
        "--max-dte",
    ),
    "low_bid": (lambda c: f"a bid below {_num(c.get('min_bid'))}", "--min-bid"),
    "earnings": (lambda c: "an expiration after earnings", "--earnings"),
    "return": (
        lambda c: f"an annualized return below {_num(c.get('min_return_pct'))} %",
        "--min-return",
    ),
    "delta": (lambda c: f"|delta| above {_num(c.get('max_delta'))}", "--max-delta"),
    "oi": (lambda c: f"open interest below {_num(c.get('min_open_interest'))}", "--min-oi"),
    "spread": (
        lambda c: f"a spread above {_num(c.get('max_spread_pct'))} % of mid",
        "--max-spread",
    ),
}


def top_reasons(result: Mapping[str, Any], count: int = 2) -> list[tuple[str, int]]:
    """A ticker's most frequent rejection reasons, most first (ties: the reason tried
    first), from the result's `top_rejections` when it carries them."""
    listed = result.get("top_rejections")
    if listed is not None:
        return [(item["reason"], item["count"]) for item in listed][:count]
    counted = [item for item in (result.get("rejected") or {}).items() if item[1] > 0]
    return sorted(counted, key=_most_then_first_tried)[:count]


def _most_then_first_tried(item: tuple[str, int]) -> tuple[int, int]:
    from wheelscan.core.models import REJECTION_REASONS

    reason, count = item
    tried = (
        REJECTION_REASONS.index(reason) if reason in REJECTION_REASONS else len(REJECTION_REASONS)
    )
    return -count, tried


def held_only(result: Mapping[str, Any]) -> bool:
    """A ticker scanned for the ledger alone (its calls or shorts, SPEC 1.3): no put was
    judged, so "no candidates" would say nothing."""
    return not result.get("expirations") and ("covered_calls" in result or "short_quotes" in result)


def no_candidate_line(symbol: str, result: Mapping[str, Any]) -> str:
    if held_only(result):
        return f"{symbol}: held, not on the watchlist (`wheelscan calls`, `positions list`)"
    reasons = ", ".join(f"{n:,} {REASON_TEXT.get(r, r)}" for r, n in top_reasons(result))
    return f"{symbol}: no candidates" + (f" ({reasons})" if reasons else "")


def criteria_verdict(results: Mapping[str, Any], criteria: Mapping[str, Any]) -> str | None:
    """Which criteria rejected the most contracts across tickers (the options that
    loosen them), for a scan without a single candidate."""
    totals: dict[str, int] = {}
    for result in results.values():
        for reason, count in (result.get("rejected") or {}).items():
            if reason in CRITERION_OF_REASON:
                totals[reason] = totals.get(reason, 0) + count
    ranked = sorted((item for item in totals.items() if item[1]), key=_most_then_first_tried)
    if not ranked:
        return None
    parts = []
    for reason, count in ranked[:2]:
        phrase, option = CRITERION_OF_REASON[reason]
        parts.append(f"{count:,} with {phrase(criteria)} ({option})")
    return "No candidates: the criteria rejected " + "; ".join(parts)


# -- the views -----------------------------------------------------------------


def valuation_lines(results: Mapping[str, Any]) -> list[str]:
    """Per ticker with an intrinsic value: price, value, how far the price is from it."""
    from wheelscan.core.valuation import price_vs_value

    lines = []
    for symbol, result in results.items():
        value = result.get("intrinsic_value")
        versus = price_vs_value(result["underlying_price"], value)
        if value is None or versus is None:
            continue
        badges = [c["badge"] for c in result["candidates"]]
        tally = ", ".join(f"{badges.count(b)} {b}" for b in ("good", "high") if b in badges)
        lines.append(
            f"{symbol}: price {result['underlying_price']:.2f}, intrinsic value {value:.2f}, "
            f"{versus}" + (f" ({tally})" if tally else "")
        )
    return lines


def print_results(
    console: Console,
    results: Mapping[str, Any],
    order: SortOrder,
    top: int,
    criteria: Mapping[str, Any] | None = None,
) -> int:
    """The candidates table (sorted, the first `top` rows, 0: all), the tickers without
    a candidate and why, the valuation lines of the tickers in the table; returns the
    number of candidates."""
    rows = candidate_rows(results)
    shown = sorted_rows(rows, order)[: top or None]
    if rows:
        console.print(candidates_table(shown, console.width))
        if len(shown) < len(rows):
            console.print(
                f"{len(shown)} of {plural(len(rows), 'candidate')} shown (--sort {order.text}); "
                "--top 0 shows all",
                markup=False,
            )
    for symbol, result in results.items():
        if not result.get("candidates"):
            console.print(no_candidate_line(symbol, result), markup=False)
    if not rows and criteria is not None:
        verdict = criteria_verdict(results, criteria)
        if verdict:
            console.print(verdict, markup=False)
    in_table = {row["ticker"] for row in shown}
    for line in valuation_lines({s: r for s, r in results.items() if s in in_table}):
        console.print(line, markup=False)
    return len(rows)


def print_document(
    document: Mapping[str, Any], order: SortOrder, top: int, console: Console | None = None
) -> None:
    """The human view of a scan document: the table, then a one-line summary and errors."""
    console = console or stdout_console()
    scan = document["scan"]
    results = document["results"]
    count = print_results(console, results, order, top, scan.get("criteria"))
    console.print(
        f"{scan['state']}: {plural(count, 'candidate')} from "
        f"{plural(scan['tickers_scanned'], 'ticker')}, {plural(scan['requests'], 'request')} "
        f"in {scan['duration_s']:.1f} s ({source_label(scan['source'])})",
        markup=False,
    )
    for symbol, reason in scan["errors"].items():
        console.print(Text.assemble((symbol, "red"), f": {reason}"))


# -- history -------------------------------------------------------------------


def new_york_time(stamp: str | None, fmt: str = "%Y-%m-%d %H:%M:%S %Z") -> str:
    """An ISO time in New York time, as `fmt` writes it ('?' when missing): the market's
    clock, which `status` and the market lines use too."""
    from wheelscan.core.expiry import NEW_YORK

    if not stamp:
        return "?"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone(NEW_YORK).strftime(fmt)


HISTORY_COLUMNS = (
    Column(
        "Started (NY)", 0, lambda e: new_york_time(e.get("started_at"), "%Y-%m-%d %H:%M"), "left"
    ),
    Column("Kind", 0, lambda e: str(e.get("kind")), "left"),
    Column("State", 0, lambda e: str(e.get("state")), "left"),
    Column("Tickers", 1, lambda e: str(e.get("tickers"))),
    Column("Cand.", 0, lambda e: str(e.get("candidates"))),
    Column("Errors", 1, lambda e: str(len(e.get("errors") or {}))),
    Column("Time", 3, lambda e: f"{float(e.get('duration_s') or 0):.1f}s"),
    # demo and live side by side must tell apart at 80 columns: before Time and Scan
    Column("Source", 2, lambda e: source_label(e.get("source")), "left", shrink=8),
    Column("Scan", 4, lambda e: str(e.get("id")), "left"),
)


def history_table(entries: Sequence[Mapping[str, Any]], width: int) -> Table:
    return fit_table(HISTORY_COLUMNS, [dict(entry) for entry in entries], width)
