"""Rich Text for the app's status, progress and notices: ages, durations, market, counters."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from wheelscan.cli.messages import plural
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import Criteria, ScanState
from wheelscan.core.sources import SourceKind, parse_source
from wheelscan.market import GATED_SOURCES
from wheelscan.tui.model import TickerRow
from wheelscan.tui.scan_state import ScanPhase, ScanRun

if TYPE_CHECKING:
    from wheelscan.market import MarketState
    from wheelscan.store import LockInfo
    from wheelscan.tui.filtering import ResultsFilter


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
    a source that does not wait for the market says so ('(snapshot:…: ungated)'; the demo
    is marked DEMO beside it)."""
    if state is None:
        return Text("market: unknown", style="dim")
    if state.is_open and state.next_close is not None:
        close = state.next_close.astimezone(NEW_YORK)
        text = Text(f"NYSE open until {close:%H:%M %Z}", style="green")
    else:
        opens = state.next_open.astimezone(NEW_YORK)
        soon = opens - now < timedelta(days=6)
        text = Text(f"NYSE closed · opens {opens:{'%a' if soon else '%b %d'} %H:%M %Z}", "yellow")
    if source not in GATED_SOURCES and parse_source(source).kind is not SourceKind.DEMO:
        text.append(f" ({source}: ungated)", style="dim")
    return text


def _counters(text: Text, candidates: int, errors: int) -> Text:
    """`text` (the tickers) followed by ' · N candidates · N errors'."""
    text.append(f" · {plural(candidates, 'candidate')} · ")
    return text.append(plural(errors, "error"), style="bold red" if errors else "")


def scan_counters(run: ScanRun) -> Text:
    """'12/40 tickers · 31 candidates · 0 errors' ('starting…' before the scan has begun)."""
    if not run.total and not run.done:
        return Text("starting…", style="dim")
    tickers = Text().append(f"{run.done}/{run.total} tickers", style="bold")
    return _counters(tickers, run.candidates, run.errors)


@dataclass(frozen=True)
class TickerCounts:
    """What the app holds: tickers, their candidates, the tickers with an error."""

    tickers: int
    candidates: int
    errors: int


def shown_counters(counts: TickerCounts) -> Text:
    """'24 tickers · 28 candidates · 1 error' (the results the app shows)."""
    tickers = Text(plural(counts.tickers, "ticker"), style="bold")
    return _counters(tickers, counts.candidates, counts.errors)


def scan_clock(run: ScanRun, now: datetime) -> str:
    """'0:07 · ETA 0:16' (elapsed, then left at the pace so far), or '0:07 · finishing…'."""
    text = duration(run.elapsed_s(now))
    eta = run.eta_s(now)
    if eta is not None:
        return f"{text} · ETA {duration(eta)}"
    if run.total and run.done >= run.total:
        return f"{text} · finishing…"
    return text


def empty_hint(has_rows: bool, rules: ResultsFilter) -> str:
    """What the empty tree says: nothing scanned yet, or nothing passes the filter."""
    if not has_rows:
        return "No results yet: press s to scan the watchlist."
    return f"Nothing matches the filter ({rules.describe()}): / changes it, esc clears it."


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


def last_scan_line(run: ScanRun) -> Text:
    """The progress block while no scan runs: how the last one ended, or what `s` does."""
    if run.phase is ScanPhase.IDLE:
        return Text("s scans the watchlist now, in a process of its own (as cron's refresh)", "dim")
    title, message, severity = outcome_notice(run)
    style = {"error": "bold red", "warning": "yellow"}.get(severity, "green")
    text = Text(f"Last scan: {title.removeprefix('Scan ')}", style=style)
    if message and message != title:
        text.append(f" · {message}", style="")
    return text


def export_summary(rows: list[TickerRow], rules: ResultsFilter) -> str:
    """What the export dialog says it will write: '3 tickers, 11 candidates (filter: …)'."""
    count = sum(len(row.candidates) for row in rows)
    summary = f"{plural(len(rows), 'ticker')}, {plural(count, 'candidate')}"
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
