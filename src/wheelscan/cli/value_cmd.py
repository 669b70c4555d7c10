"""`wheelscan value [TICKERS] [--json]`: intrinsic value, how it was found, price vs value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import ExitCode, fail, source_label, warn
from wheelscan.cli.options import JsonOption, SourceOption

if TYPE_CHECKING:
    from wheelscan.scan.values import SymbolValue, ValuesReport

TickersArgument = Annotated[
    list[str] | None, typer.Argument(help="Symbols to value; default: the active watchlist.")
]

# How each input is named in a sentence, in the order shown.
_INPUT_LABELS = (
    ("eps", "EPS {}"),
    ("fcf_per_share", "FCF/share {}"),
    ("growth_pct", "growth {} %"),
    ("discount_pct", "discount {} %"),
    ("terminal_multiple", "multiple {}"),
    ("years", "{} years"),
)


def _figure(value: Any) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def inputs_line(inputs: dict[str, Any]) -> str:
    """'EPS 6.43 · growth 10 % · discount 15 % · multiple 20 · 5 years' (what is there)."""
    return " · ".join(
        label.format(_figure(inputs[name])) for name, label in _INPUT_LABELS if name in inputs
    )


def value_lines(item: SymbolValue) -> list[str]:
    """A symbol's value in two lines: the verdict, then how it was found."""
    value = item.value
    price = "price ?" if item.price is None else f"price {item.price:,.2f}"
    if value.value is None:
        return [f"{item.symbol:<6} {price}  value n/a: {value.reason}"]
    head = f"{item.symbol:<6} {price}  value {value.value:,.2f} ({value.source})"
    verdict = item.to_json()["price_vs_value"]
    lines = [f"{head}  {verdict}" if verdict else head]
    if value.inputs:
        lines.append(f"{'':<6} {inputs_line(value.inputs)}")
    return lines


def values_document(report: ValuesReport, source: str, namespace: str) -> dict[str, Any]:
    from wheelscan.core.scan_record import SCHEMA_VERSION

    return {
        "schema": SCHEMA_VERSION,
        "source": source,
        "source_namespace": namespace,
        "values": {symbol: item.to_json() for symbol, item in report.values.items()},
        "errors": dict(report.errors),
    }


def value(
    tickers: TickersArgument = None,
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each stock's intrinsic value (manual, or the DCF of its EPS or free cash flow),
    what it was computed from, and how the price compares.

    The quote is the one the last scan used when the store keeps it, else one
    request to the source.
    """
    from wheelscan.config import effective_settings
    from wheelscan.core.sources import parse_source
    from wheelscan.core.symbols import normalize_symbols
    from wheelscan.core.valuation import ValuationPlan
    from wheelscan.scan.values import value_symbols
    from wheelscan.store import Store
    from wheelscan.watchlist import load_watchlist
    from wheelscan.yahoo.snapshot_dir import check_source
    from wheelscan.yahoo.source import make_source

    settings = effective_settings(source=source)
    watchlist = load_watchlist()
    symbols = normalize_symbols(tickers) if tickers else watchlist.active_symbols()
    if not symbols:
        fail("no active symbols on the watchlist: name the tickers to value")
    check_source(parse_source(settings.source))
    plan = ValuationPlan(settings.dcf, watchlist.intrinsic_values(), watchlist.value_overrides())
    store = Store.for_source(settings.source)
    report = value_symbols(symbols, settings, plan, store, lambda: make_source(settings.source))
    if as_json:
        echo_json(values_document(report, settings.source, store.namespace))
    else:
        if source_label(settings.source) != settings.source:  # the demo: say so first
            typer.echo(f"{source_label(settings.source)} market: simulated prices, not live")
        for item in report.values.values():
            for line in value_lines(item):
                typer.echo(line)
    for symbol, reason in report.errors.items():
        warn(f"{symbol}: {reason}")
    if not report.values:
        raise typer.Exit(ExitCode.SCAN_FAILED)
