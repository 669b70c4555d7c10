"""The console entry point: `status --json` and `results --json [TICKER]` without typer.

Scripts and status bars call these two in a loop, so they must start close to
a bare interpreter plus the store read (benchmarks/startup.py measures it).
typer 0.29 imports pydantic and builds a validator for every option on each
invocation, about 150 ms before a command runs; these two argument shapes are
simple enough to recognise by hand. Everything else, `--help` included, goes
to the typer app in cli/main.py, which prints the same documents.
"""

from __future__ import annotations

import sys

JSON_FLAG = "--json"


def fast_reader(args: list[str]) -> tuple[str, str | None] | None:
    """("status", None) or ("results", TICKER or None) when `args` is one of the two
    JSON readers with nothing else; None sends the command line to typer."""
    if not args or args.count(JSON_FLAG) != 1:
        return None
    command = args[0]
    rest = [arg for arg in args[1:] if arg != JSON_FLAG]
    if any(arg.startswith("-") for arg in rest):
        return None
    if command == "status" and not rest:
        return "status", None
    if command == "results" and len(rest) <= 1:
        return "results", rest[0] if rest else None
    return None


def _symbol(ticker: str) -> str:
    """The normalized ticker, or exit 2 with one line (the symbol rules load only here)."""
    from wheelscan.core.symbols import SymbolError, normalize_symbol

    try:
        return normalize_symbol(ticker)
    except SymbolError as error:
        sys.stderr.write(f"wheelscan: error: {error}\n")
        sys.exit(2)


def _answer(command: str, ticker: str | None) -> None:
    from wheelscan.cli.json_output import echo_json
    from wheelscan.cli.store_json import results_document, status_document
    from wheelscan.store import Store

    symbol = _symbol(ticker) if ticker else None
    if command == "status":
        document = status_document(Store().read_status())
    else:
        document = results_document(Store().read_results(), symbol)
    echo_json(document)
    if document.get("warning"):
        sys.stderr.write(f"wheelscan: warning: {document['warning']}\n")


def run() -> None:
    chosen = fast_reader(sys.argv[1:])
    if chosen is None:
        from wheelscan.cli.main import run as run_typer_app

        run_typer_app()
        return
    _answer(*chosen)
    sys.exit(0)
