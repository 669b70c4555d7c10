"""The console entry point, and the JSON readers `status --json` / `results --json [TICKER]`
/ `plan --json` (each with an optional `--source SOURCE`).

Scripts and status bars call these in a loop, so they must start close to a
bare interpreter plus the store read (benchmarks/startup.py measures it): typer
imports pydantic and builds a validator for every option on each invocation,
which costs more than the command itself. These argument shapes are simple
enough to recognise by hand. Everything else, `--help` included, goes to the
typer app in cli/main.py, whose `status`, `results` and `plan` print the documents
built here (the plan's in daily_plan.py), so both paths print the same bytes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from wheelscan.core.errors import InputError

if TYPE_CHECKING:
    from wheelscan.store import PublishedResults, Store, StoreStatus

JSON_FLAG = "--json"
SOURCE_FLAG = "--source"
FAST_COMMANDS = ("status", "results", "plan")


class NotInResults(InputError):
    """`results TICKER` for a ticker the published scan did not cover."""


def reader_store(source: str | None, settings: dict[str, Any] | None = None) -> Store:
    """The store a reading command reads: the namespace of `source`, else of the source in
    force (config.toml's, else yahoo), so a demo or snapshot scan never reads as live.
    `settings` are `config.reader_settings(source)` when the caller has them (the plain
    settings only: building the rulebooks would cost these readers more than their reads)."""
    from wheelscan.config import reader_settings
    from wheelscan.store import Store

    return Store.for_source((settings or reader_settings(source))["source"])


def reader_results(source: str | None) -> tuple[Store, PublishedResults, dict[str, Any]]:
    """`reader_store(source)`, its published results, fresh or stale by the configured
    `results_ttl_minutes` (SPEC 5), and the `cash` object as the ledger stands now."""
    from wheelscan.config import reader_settings

    settings = reader_settings(source)
    store = reader_store(source, settings)
    published = store.read_results(settings["results_ttl_minutes"])
    return store, published, cash_now(settings["cash"])


def cash_now(cash: float | None) -> dict[str, Any]:
    """Config `cash` against the ledger as it is now (SPEC 9, core.cash.cash_json); a
    positions.toml that does not read leaves the free cash, and so `fits`, unknown."""
    from wheelscan.core.cash import cash_json
    from wheelscan.positions import load_ledger

    try:
        positions = load_ledger().state
    except InputError:
        return cash_json(cash, None)
    return cash_json(cash, positions)


def status_document(state: StoreStatus) -> dict[str, Any]:
    return {
        "running": state.running,
        "lock": state.lock.to_json() if state.lock else None,
        "progress": state.progress.to_json(with_results=False) if state.progress else None,
        "interrupted": state.interrupted,
        "last_run": state.last_run,
        "warning": state.warning,
    }


def chosen_results(published: PublishedResults, symbol: str | None) -> dict[str, Any]:
    """The published results, only `symbol`'s when given.

    Raises NotInResults when a scan is published and `symbol` is not in it.
    """
    if symbol is None:
        return published.results
    if symbol not in published.results and published.scan is not None:
        scan = published.scan
        raise NotInResults(
            f"{symbol} is not in the latest results (scan {scan.get('id')}, "
            f"{len(published.results)} tickers): `wheelscan scan {symbol}` scans it"
        )
    return {symbol: published.results[symbol]} if symbol in published.results else {}


def results_document(
    published: PublishedResults, symbol: str | None, cash: dict[str, Any]
) -> dict[str, Any]:
    """The published results (only `symbol`'s when given), with their age and staleness;
    each put candidate's `fits` is judged again by `cash` (`cash_now`), which the
    document carries, since the ledger may have changed since the scan."""
    from wheelscan.core.cash import with_fits

    document = published.document()
    document["results"] = with_fits(chosen_results(published, symbol), cash["free_cash"])
    document["cash"] = cash
    document.update(
        age_s=None if published.age_s is None else round(published.age_s, 1),
        stale=published.stale,
        ttl_minutes=published.ttl_s / 60,
        last_run=published.last_run,
        warning=published.warning,
    )
    return document


def fast_reader(args: list[str]) -> tuple[str, str | None, str | None] | None:
    """(command, TICKER or None, SOURCE or None) when `args` is `status --json`,
    `results --json [TICKER]` or `plan --json`, each with an optional `--source SOURCE`,
    and nothing else; None sends the command line to typer."""
    if not args or args[0] not in FAST_COMMANDS:
        return None
    command, rest = args[0], iter(args[1:])
    flags: list[str] = []
    source: str | None = None
    positional: list[str] = []
    for arg in rest:
        if arg == SOURCE_FLAG and source is None:
            source = next(rest, None)
            if source is None:
                return None
        elif arg.startswith(SOURCE_FLAG + "=") and source is None:
            source = arg.partition("=")[2]
        elif arg.startswith("-"):
            flags.append(arg)
        else:
            positional.append(arg)
    if flags != [JSON_FLAG] or len(positional) > (command == "results"):
        return None
    return command, positional[0] if positional else None, source


def echo_plan(document: dict[str, Any]) -> None:
    """`plan --json`'s output: the document, its tickets' U+2212 minus as itself, then
    each of its warnings as a line on stderr."""
    from wheelscan.cli.json_output import echo_json
    from wheelscan.cli.messages import warn

    echo_json(document, ensure_ascii=False)
    for line in document["warnings"]:
        warn(line)


def _answer(command: str, ticker: str | None, source: str | None) -> None:
    """Print the document; bad input is one error line and exit 2, as in the typer app."""
    from wheelscan.cli.json_output import echo_json
    from wheelscan.cli.messages import fail, warn
    from wheelscan.core.symbols import normalize_symbol

    try:
        symbol = normalize_symbol(ticker) if ticker else None
        if command == "status":
            document = status_document(reader_store(source).read_status())
        elif command == "plan":
            from wheelscan.daily_plan import stored_plan

            document = stored_plan(source)[1]
        else:
            _, published, cash = reader_results(source)
            document = results_document(published, symbol, cash)
    except InputError as error:
        fail(str(error))
    if command == "plan":
        echo_plan(document)
        return
    echo_json(document)
    warn(document.get("warning"))


def run() -> None:
    chosen = fast_reader(sys.argv[1:])
    if chosen is None:
        from wheelscan.cli.main import run as run_typer_app

        run_typer_app()
        return
    _answer(*chosen)
    sys.exit(0)
