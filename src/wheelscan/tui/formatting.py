"""Rich Text for the app: tree labels in aligned columns, the detail panel, ages, durations."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import Criteria, ScanState
from wheelscan.market import GATED_SOURCES
from wheelscan.tui.model import CandidateData, ResultsFilter, TickerRow
from wheelscan.tui.scan_state import ScanRun

if TYPE_CHECKING:
    from wheelscan.market import MarketState
    from wheelscan.store import LockInfo

BADGE_STYLES = {"good": "bold green", "high": "yellow", "n/a": "dim"}
ERROR_STYLE = "bold red"

# (title, width) of each candidate column; the header above the tree uses the same widths.
CANDIDATE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("expiry", 10),
    ("DTE", 4),
    ("strike", 9),
    ("bid", 7),
    ("delta", 7),
    ("ann.%", 7),
    ("OTM%", 6),
    ("OI", 7),
    ("badge", 5),
)


def _number(value: Any, spec: str, missing: str = "—") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


def candidate_cells(candidate: CandidateData) -> list[str]:
    return [
        candidate["expiration"],
        str(candidate["dte"]),
        _number(candidate["strike"], ",.2f"),
        _number(candidate["bid"], ".2f"),
        _number(candidate["delta"], ".3f"),
        _number(candidate["annualized_return_pct"], ".1f"),
        _number(candidate["otm_pct"], ".1f"),
        _number(candidate.get("open_interest"), ",d"),
        candidate.get("badge") or "n/a",
    ]


def candidate_label(candidate: CandidateData) -> Text:
    """One leaf: the columns of CANDIDATE_COLUMNS, left-aligned text, right-aligned numbers."""
    text = Text()
    cells = candidate_cells(candidate)
    for index, ((_, width), cell) in enumerate(zip(CANDIDATE_COLUMNS, cells, strict=True)):
        if index:
            text.append(" ")
        if index == len(cells) - 1:
            text.append(cell.ljust(width), style=BADGE_STYLES.get(cell, ""))
        elif index == 0:
            text.append(cell.ljust(width))
        elif index == 5:
            text.append(cell.rjust(width), style="bold")
        else:
            text.append(cell.rjust(width))
    return text


def candidate_header() -> Text:
    parts = [
        title.ljust(width) if index in (0, len(CANDIDATE_COLUMNS) - 1) else title.rjust(width)
        for index, (title, width) in enumerate(CANDIDATE_COLUMNS)
    ]
    return Text(" ".join(parts), style="bold")


def badge_summary(counts: dict[str, int]) -> Text:
    text = Text()
    for badge in ("good", "high", "n/a"):
        if counts.get(badge):
            if text:
                text.append(" ")
            text.append(f"{badge}×{counts[badge]}", style=BADGE_STYLES[badge])
    return text


def ticker_label(row: TickerRow, *, scanning: bool, now: datetime) -> Text:
    """A ticker node: symbol, price, candidate count, best return, badges, scan time, error."""
    text = Text()
    text.append(row.symbol.ljust(7), style="bold")
    price = row.price
    text.append(("$" + _number(price, ",.2f") if price is not None else "—").rjust(11))
    count = len(row.candidates)
    if row.result is not None:
        noun = "put" if count == 1 else "puts"
        text.append(f"{count:>4} {noun:<4}", style="bold" if count else "dim")
        best = row.best_return_pct
        best_text = f"{best:.1f}%" if best is not None else "—"
        text.append(f"  best {best_text:>6}", style="cyan")
        text.append("  ")
        summary = badge_summary(row.badge_counts())
        text.append_text(summary)
        text.append(" " * max(1, 22 - len(summary.plain)))
    if row.scanned_at is not None:
        text.append(wall_time(row.scanned_at, now), style="dim")
    if scanning:
        text.append("  scanning…", style="italic magenta")
    if row.error:
        text.append(f"  ✗ {row.error}", style=ERROR_STYLE)
    return text


def wall_time(moment: datetime, now: datetime) -> str:
    """Local wall-clock time, with the date when it is not the day of `now`."""
    local = moment.astimezone()
    if local.date() == now.astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%b %d %H:%M")


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "none yet"
    delta = now - moment
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min old"
    if delta < timedelta(days=2):
        return f"{delta.total_seconds() / 3600:.1f} h old"
    return f"{delta.days} days old"


def market_line(state: MarketState | None, source: str, now: datetime) -> Text:
    """'NYSE open until 16:00 EST' or 'NYSE closed · opens Mon 09:30 EST', in New York time;
    a source that does not wait for the market says so ('(demo: ungated)')."""
    if state is None:
        return Text("market: unknown", style="dim")
    if state.is_open and state.next_close is not None:
        close = state.next_close.astimezone(NEW_YORK)
        text = Text(f"NYSE open until {close:%H:%M %Z}", style="green")
    else:
        opens = state.next_open.astimezone(NEW_YORK)
        soon = opens - now < timedelta(days=6)
        text = Text(f"NYSE closed · opens {opens:{'%a' if soon else '%b %d'} %H:%M %Z}", "yellow")
    if source not in GATED_SOURCES:
        text.append(f" ({source}: ungated)", style="dim")
    return text


def scan_counters(run: ScanRun, now: datetime) -> Text:
    """'12/40 tickers  31 candidates  0 errors  elapsed 0:07  ETA 0:16'."""
    text = Text()
    text.append(f"{run.done}/{run.total} tickers", style="bold")
    text.append(f"  {run.candidates} candidates")
    text.append(f"  {run.errors} errors", style="bold red" if run.errors else "")
    text.append(f"  elapsed {duration(run.elapsed_s(now))}")
    eta = run.eta_s(now)
    if eta is not None:
        text.append(f"  ETA {duration(eta)}")
    elif run.total and run.done >= run.total:
        text.append("  finishing…")
    return text


def empty_hint(has_rows: bool, rules: ResultsFilter) -> str:
    """What the empty tree says: nothing scanned yet, or nothing passes the filter."""
    if not has_rows:
        return "No results yet: press s to scan the watchlist."
    return f"Nothing matches the filter ({rules.describe()}); press / to change it."


def outcome_notice(run: ScanRun) -> tuple[str, str, str]:
    """(title, message, severity) of the toast when a scan ends: 'Scan succeeded' with the
    scan's message, 'Scan cancelled: The previous results stay.', 'Scan failed' (error)."""
    if run.outcome is None:
        return "Scan", run.message, "information"
    title = f"Scan {run.outcome.lower()}"
    if run.outcome is ScanState.CANCELLED:
        return title, "The previous results stay.", "warning"
    severity = {ScanState.FAILED: "error", ScanState.SKIPPED: "warning"}.get(
        run.outcome, "information"
    )
    return title, run.message or title, severity


def export_summary(rows: list[TickerRow], rules: ResultsFilter) -> str:
    """What the export dialog says it will write: '3 tickers, 11 candidates (filter: …)'."""
    count = sum(len(row.candidates) for row in rows)
    summary = f"{len(rows)} tickers, {count} candidates"
    return f"{summary} (filter: {rules.describe()})" if rules.active else summary


def holder_subject(lock: LockInfo | None) -> str:
    """Whose scan the app is watching: 'a watchlist scan by pid 12 on box (stale: …)'."""
    if lock is None:
        return "another process's scan"
    stale = f" (stale: {lock.stale_reason})" if lock.stale else ""
    return f"a {lock.kind or 'watchlist'} scan by pid {lock.pid} on {lock.host}{stale}"


def criteria_summary(criteria: Criteria) -> str:
    parts = [
        f"DTE {criteria.min_dte}–{criteria.max_dte}",
        f"≥{criteria.min_return_pct:g}%/yr",
        f"|Δ|≤{criteria.max_delta:g}",
    ]
    if criteria.min_open_interest:
        parts.append(f"OI≥{criteria.min_open_interest}")
    if not math.isinf(criteria.max_spread_pct):
        parts.append(f"spread≤{criteria.max_spread_pct:g}%")
    parts.append(f"r {criteria.risk_free_rate_pct:g}%")
    return " · ".join(parts)


def candidate_details(symbol: str, row: TickerRow | None, candidate: CandidateData) -> Table:
    """Every SPEC 2 figure of one contract, for the detail panel."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    price = row.price if row else None
    value = row.result.get("intrinsic_value") if row and row.result else None
    badge = candidate.get("badge") or "n/a"
    lines: list[tuple[str, str | Text]] = [
        ("contract", Text(candidate["contract"], style="bold")),
        ("underlying", f"{symbol} ${_number(price, ',.2f')}"),
        ("intrinsic value", "—" if value is None else f"${value:,.2f}"),
        ("expiration", candidate["expiration"]),
        ("DTE", str(candidate["dte"])),
        ("strike", f"${candidate['strike']:,.2f}"),
        ("bid / ask", f"{_number(candidate['bid'], '.2f')} / {_number(candidate['ask'], '.2f')}"),
        ("mid", _number(candidate["mid"], ".3f")),
        ("last", _number(candidate.get("last"), ".2f")),
        ("spread", f"{_number(candidate['spread_pct'], '.1f')}% of mid"),
        ("implied vol", f"{_number(candidate['iv'] * 100, '.1f')}%"),
        ("delta", _number(candidate["delta"], ".4f")),
        ("prob. OTM", f"{_number(candidate['prob_otm'] * 100, '.1f')}%"),
        ("annualized", Text(f"{candidate['annualized_return_pct']:.1f}%", style="bold cyan")),
        ("OTM", f"{_number(candidate['otm_pct'], '.2f')}%"),
        ("open interest", _number(candidate.get("open_interest"), ",d")),
        ("volume", _number(candidate.get("volume"), ",d")),
        ("collateral", f"${candidate['collateral']:,.0f}"),
        ("premium", f"${candidate['bid'] * 100:,.0f}"),
        ("breakeven", f"${candidate['breakeven']:,.2f}"),
        ("badge", Text(badge, style=BADGE_STYLES.get(badge, ""))),
    ]
    for name, value_text in lines:
        table.add_row(name, value_text)
    return table


def ticker_details(row: TickerRow, now: datetime) -> Table:
    """The detail panel for a ticker node: its quote, rejections and error."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(justify="right")
    table.add_row("ticker", Text(row.symbol, style="bold"))
    table.add_row("price", "—" if row.price is None else f"${row.price:,.2f}")
    if row.result:
        table.add_row("as of", str(row.result.get("as_of", "—")))
        value = row.result.get("intrinsic_value")
        table.add_row("intrinsic value", "—" if value is None else f"${value:,.2f}")
        table.add_row("candidates", str(len(row.candidates)))
        for reason, count in (row.result.get("rejected") or {}).items():
            if count:
                table.add_row(f"rejected: {reason}", str(count))
    if row.scanned_at:
        table.add_row("scanned", wall_time(row.scanned_at, now))
    if row.error:
        table.add_row("error", Text(row.error, style=ERROR_STYLE))
    return table
