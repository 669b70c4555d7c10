"""`wheelscan calls`: covered calls for the shares the ledger holds uncovered (SPEC 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import plural, warn
from wheelscan.cli.options import JsonOption, SourceOption
from wheelscan.core.call_criteria import CALL_CRITERIA, MIN_STRIKE_POLICIES

if TYPE_CHECKING:
    from wheelscan.core.calls import CallCandidate, CoveredCalls

_MIN_STRIKE = CALL_CRITERIA["min_strike"]

MinStrikeOption = Annotated[
    str | None,
    typer.Option(
        "--min-strike",
        metavar="|".join(MIN_STRIKE_POLICIES),
        help=f"{_MIN_STRIKE.help[0].upper()}{_MIN_STRIKE.help[1:]}.",
        show_default=f"config.toml's call_min_strike, else {_MIN_STRIKE.default}",
    ),
]


def calls(
    min_strike: MinStrikeOption = None,
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Covered calls for every symbol with 100 uncovered shares or more.

    Calls come from the published watchlist results when their scan found them for
    the same shares and criteria, else from the options answers the last scan kept
    (no request when the symbol was scanned in the last chain_cache_minutes); a
    symbol without either is fetched from the source. `wheelscan plan` takes its
    covered calls the same way (without fetching). Each held symbol's ex-dividend
    date is asked of Yahoo at most once a day.
    """
    from wheelscan.config import effective_settings
    from wheelscan.holdings import calls_document, covered_calls_now
    from wheelscan.positions import load_ledger

    if min_strike is not None:
        _MIN_STRIKE.check(min_strike)
    settings = effective_settings(source=source)
    criteria = settings.calls.with_overrides(min_strike=min_strike)
    positions = load_ledger().state
    report, namespace = covered_calls_now(positions, settings, criteria)
    document = calls_document(report, positions, settings, criteria, namespace)
    if as_json:
        echo_json(document)
    else:
        _print(document, report.results)
    for line in report.warnings:
        warn(line)


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _basis(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _flags(candidate: CallCandidate) -> str:
    flags = []
    if candidate.early_assignment_risk:
        flags.append("early-assign")
    elif candidate.early_assignment_risk is None and candidate.ex_dividend_before_expiry:
        flags.append("ex-div")
    if candidate.spans_earnings:
        flags.append("earnings")
    return " ".join(flags)


HEADER = (
    f"  {'contract':<19} {'dte':>3} {'strike':>8} {'bid':>6} {'ask':>6} {'delta':>5}"
    f" {'static':>7} {'called':>7}  flags"
)


def _row(candidate: CallCandidate) -> str:
    return (
        f"  {candidate.contract:<19} {candidate.dte:>3} {candidate.strike:>8.2f}"
        f" {candidate.bid:>6.2f} {candidate.ask:>6.2f} {candidate.delta:>5.2f}"
        f" {_pct(candidate.annualized_return_pct):>7} {_pct(candidate.if_called_return_pct):>7}"
        f"  {_flags(candidate)}"
    ).rstrip()


def _symbol_line(symbol: str, calls: CoveredCalls) -> str:
    position = calls.position
    dividend = calls.ex_dividend
    if not calls.ex_dividend_known:
        ex_div = "  ex-div unknown"
    elif dividend is None:
        ex_div = ""
    else:
        amount = "" if dividend.amount is None else f" {_money(dividend.amount)}"
        ex_div = f"  ex-div {dividend.date.isoformat()}{amount}"
    return (
        f"{symbol}  {position.uncovered_shares} uncovered ({plural(calls.contracts, 'call')})"
        f"  adjusted basis {_basis(position.adjusted_basis)}"
        f"  min strike {_basis(calls.min_strike)} ({calls.min_strike_policy})"
        f"  spot {calls.underlying_price:,.2f}{ex_div}"
    )


def _print(document: dict[str, Any], results: dict[str, CoveredCalls]) -> None:
    from wheelscan.core.calls import sort_calls

    answers, cash = document["answers"], document["cash"]
    line = (
        f"# covered calls ({document['source']}): {plural(answers['cached'], 'answer')} from"
        f" the cache, {answers['requested']} requested"
    )
    if answers["published"]:
        line += f", {plural(answers['published'], 'symbol')} from the published scan"
    if cash["cash"] is not None:
        line += f"; free cash {_money(cash['free_cash'])} of {_money(cash['cash'])}"
    typer.echo(line)
    if not results and not document["covered"] and not document["errors"]:
        typer.echo(
            "No shares held: `wheelscan positions add-shares` or `positions assign` records some."
        )
    for symbol, calls in results.items():
        typer.echo(_symbol_line(symbol, calls))
        candidates = document["results"][symbol]["candidates"]
        if not candidates:
            top = document["results"][symbol]["top_rejections"]
            why = ", ".join(f"{r['reason']} {r['count']}" for r in top) or "no calls listed"
            typer.echo(f"  no covered call qualifies ({why})")
            continue
        typer.echo(HEADER)
        for candidate in sort_calls(calls.evaluation.candidates):
            typer.echo(_row(candidate))
    for symbol, why in document["covered"].items():
        typer.echo(f"{symbol}  {why}: no covered call to sell")
    for symbol, why in document["errors"].items():
        typer.echo(f"{symbol}  failed: {why}")
