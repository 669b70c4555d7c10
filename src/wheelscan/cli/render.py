"""Human output for the terminal: the candidates table and the scan progress bar."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from wheelscan.core.models import ScanEvent


class ScanProgress:
    """A rich progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self.candidates = 0
        self.errors = 0
        self.progress = Progress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            disable=not self.enabled,
        )
        self.task = self.progress.add_task("scan", total=total, status="")

    def __enter__(self) -> ScanProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def on_event(self, event: ScanEvent) -> None:
        # Imported here so `results` can render tables without loading numpy.
        from wheelscan.core.models import TickerFailed, TickerFinished

        if isinstance(event, TickerFinished):
            self.candidates += len(event.result.candidates)
        elif isinstance(event, TickerFailed):
            self.errors += 1
        else:
            return
        status = f"{self.candidates} candidates, {self.errors} errors, last {event.symbol}"
        self.progress.update(self.task, completed=event.done, status=status)


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def stdout_console() -> Console:
    """A console on stdout; piped output keeps whole rows instead of the 80-column default."""
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)


def candidates_table(document: dict[str, Any]) -> Table:
    """One row per candidate across tickers, as a trader reads them."""
    table = Table(title=None, show_lines=False, header_style="bold")
    for name, justify in [
        ("Ticker", "left"),
        ("Price", "right"),
        ("Expiry", "left"),
        ("DTE", "right"),
        ("Strike", "right"),
        ("Bid", "right"),
        ("Delta", "right"),
        ("P(OTM)", "right"),
        ("Ann.", "right"),
        ("OTM", "right"),
        ("OI", "right"),
        ("Badge", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for symbol, result in document["results"].items():
        for c in result["candidates"]:
            table.add_row(
                symbol,
                f"{result['underlying_price']:.2f}",
                c["expiration"],
                str(c["dte"]),
                f"{c['strike']:.2f}",
                f"{c['bid']:.2f}",
                f"{c['delta']:.3f}",
                _pct(c["prob_otm"] * 100),
                _pct(c["annualized_return_pct"]),
                _pct(c["otm_pct"]),
                "" if c["open_interest"] is None else str(c["open_interest"]),
                _BADGE_STYLE.get(c["badge"], c["badge"]),
            )
    return table


_BADGE_STYLE = {"good": "[green]good[/green]", "high": "[yellow]high[/yellow]"}


def valuation_lines(document: dict[str, Any]) -> list[str]:
    """Per ticker with an intrinsic value: price, value, discount (value − price) / value."""
    from wheelscan.core.valuation import discount_pct

    lines = []
    for symbol, result in document["results"].items():
        value = result.get("intrinsic_value")
        discount = discount_pct(result["underlying_price"], value)
        if value is None or discount is None:
            continue
        badges = [c["badge"] for c in result["candidates"]]
        tally = ", ".join(f"{badges.count(b)} {b}" for b in ("good", "high") if b in badges)
        lines.append(
            f"{symbol}: price {result['underlying_price']:.2f}, intrinsic value {value:.2f}, "
            f"discount {discount:.1f}%" + (f" ({tally})" if tally else "")
        )
    return lines


def print_document(document: dict[str, Any], console: Console | None = None) -> None:
    """The human view of a scan document: a table, then a one-line summary and errors."""
    console = console or stdout_console()
    scan = document["scan"]
    count = sum(len(r["candidates"]) for r in document["results"].values())
    if count:
        console.print(candidates_table(document))
    for line in valuation_lines(document):
        console.print(line, highlight=False, markup=False)
    console.print(
        f"{scan['state']}: {count} candidates from {scan['tickers_scanned']} tickers, "
        f"{scan['requests']} requests in {scan['duration_s']:.1f}s ({scan['source']})"
    )
    for symbol, reason in scan["errors"].items():
        console.print(f"[red]{symbol}[/red]: {reason}", highlight=False, markup=True)
