"""`wheelscan positions …`: record trades in the ledger, list the state folded from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.messages import plural, warn
from wheelscan.cli.options import JsonOption, SourceOption
from wheelscan.cli.settings_cmds import VALUE_MAY_LOOK_LIKE_AN_OPTION

if TYPE_CHECKING:
    from wheelscan.core.ledger import Event
    from wheelscan.core.positions import Position, ShortOption
    from wheelscan.core.short_marks import ShortMark
    from wheelscan.positions import Ledger

positions_app = typer.Typer(
    name="positions",
    help="Record trades in the ledger (positions.toml); list shares, basis and open shorts.",
    no_args_is_help=True,
)

When = Annotated[
    str | None,
    typer.Option("--date", help="When it happened, YYYY-MM-DD.", show_default="today in New York"),
]
Note = Annotated[str, typer.Option(help="A note kept with the event.")]
Contract = Annotated[str, typer.Argument(help="OCC contract, e.g. KO261218P00060000.")]
Quantity = Annotated[
    int | None,
    typer.Option("--quantity", "-q", help="Contracts.", show_default="all open", min=1),
]


def _today() -> date:
    from wheelscan.core.expiry import new_york_date

    return new_york_date(datetime.now(UTC))


def _day(text: str | None, default: date | None = None) -> date:
    """The event's date: --date, else `default`, else today; never after today."""
    from wheelscan.positions import PositionsError

    if text is None:
        day = default or _today()
    else:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise PositionsError(f"--date must be YYYY-MM-DD, got {text!r}") from None
    if day > _today():
        raise PositionsError(f"{day} is after today: the ledger records what has happened")
    return day


def _record(events: list[Event], as_json: bool) -> None:
    from wheelscan.positions import append_events, positions_document

    ledger = append_events(events)
    if as_json:
        echo_json({**positions_document(ledger), "added": [e.to_json() for e in events]})
        return
    for event in events:
        typer.echo(f"recorded {event.describe()} in {ledger.path}")


def _closing(
    kind: str, contract: str, quantity: int | None, day: date, note: str, price: float | None = None
) -> Event:
    """An event closing `quantity` (default: every open) contracts of `contract`."""
    from wheelscan.core.ledger import Event
    from wheelscan.positions import load_ledger

    event = Event(kind, day, quantity or 1, price, contract=contract, note=note)
    if quantity is None:
        short = load_ledger().state.get(event.symbol).short(event.contract or "")
        if short is not None:
            event = replace(event, quantity=short.quantity)
    return event


@positions_app.command("list")
def list_(
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch", help="Ask the source for the quotes of open shorts the store lacks."
        ),
    ] = False,
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Shares, basis, adjusted basis, open short options and realized P/L per symbol.

    Open shorts are marked (mid, P/L, ITM, DTE, earnings) from the options answers the
    store keeps from the last scan or `calls` (chain_cache_minutes); without --fetch
    listing sends no request. Free cash is config `cash` less the open puts' collateral.
    """
    from wheelscan.config import effective_settings
    from wheelscan.core.cash import cash_json
    from wheelscan.positions import load_ledger, positions_document

    settings = effective_settings(source=source)
    ledger = load_ledger()
    marks: dict[str, ShortMark] = {}
    if ledger.state.shorts:
        from wheelscan.holdings import latest_marks

        marks, warnings = latest_marks(ledger.state, settings, fetch=fetch)
        for line in warnings:
            warn(line)
    cash = cash_json(settings.cash, ledger.state)
    if as_json:
        echo_json({**positions_document(ledger, marks), "cash": cash})
        return
    _print_ledger(ledger, marks, cash)


@positions_app.command("add-shares", context_settings=VALUE_MAY_LOOK_LIKE_AN_OPTION)
def add_shares(
    symbol: Annotated[str, typer.Argument(help="The stock, e.g. KO.")],
    quantity: Annotated[int, typer.Argument(help="Shares bought; negative for shares sold.")],
    price: Annotated[float, typer.Argument(help="Dollars per share.")],
    when: When = None,
    note: Note = "",
    as_json: JsonOption = False,
) -> None:
    """Record shares bought (or sold: `add-shares KO -50 61.20`)."""
    from wheelscan.core.ledger import SHARES, Event

    _record([Event(SHARES, _day(when), quantity, price, symbol, note=note)], as_json)


@positions_app.command("sell")
def sell(
    contract: Contract,
    quantity: Annotated[int, typer.Argument(help="Contracts sold.")],
    price: Annotated[float, typer.Argument(help="Premium per share received.")],
    symbol: Annotated[
        str, typer.Option(help="The underlying when it differs from the root (BRK-B).")
    ] = "",
    when: When = None,
    note: Note = "",
    as_json: JsonOption = False,
) -> None:
    """Record a short put or covered call sold to open (a call needs 100 uncovered shares)."""
    from wheelscan.core.ledger import SELL, Event

    event = Event(SELL, _day(when), quantity, price, symbol, contract, note)
    _record([event], as_json)


@positions_app.command("close")
def close(
    contract: Contract,
    price: Annotated[float, typer.Argument(help="Premium per share paid.")],
    quantity: Quantity = None,
    when: When = None,
    note: Note = "",
    as_json: JsonOption = False,
) -> None:
    """Record an open short bought to close."""
    from wheelscan.core.ledger import BUY_TO_CLOSE

    event = _closing(BUY_TO_CLOSE, contract, quantity, _day(when), note, price)
    _record([event], as_json)


@positions_app.command("expire")
def expire(
    contract: Contract,
    quantity: Quantity = None,
    when: Annotated[
        str | None,
        typer.Option("--date", help="YYYY-MM-DD.", show_default="the expiration date"),
    ] = None,
    note: Note = "",
    as_json: JsonOption = False,
) -> None:
    """Record an open short that expired worthless (its premium is kept)."""
    from wheelscan.core.ledger import EXPIRE
    from wheelscan.core.occ import parse_occ

    option = parse_occ(contract)
    day = _day(when, option.expiration if option and when is None else None)
    _record([_closing(EXPIRE, contract, quantity, day, note)], as_json)


@positions_app.command("assign")
def assign(
    contract: Contract,
    quantity: Quantity = None,
    when: When = None,
    note: Note = "",
    as_json: JsonOption = False,
) -> None:
    """Record an assignment (a put buys 100 shares a contract at the strike; a call sells them)."""
    from wheelscan.core.ledger import ASSIGN, CALLED_AWAY
    from wheelscan.core.occ import parse_occ

    option = parse_occ(contract)
    kind = CALLED_AWAY if option is not None and option.kind == "call" else ASSIGN
    _record([_closing(kind, contract, quantity, _day(when), note)], as_json)


@positions_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A broker's CSV: symbol, quantity, cost columns.")],
    when: When = None,
    as_json: JsonOption = False,
) -> None:
    """Record the shares of a broker's positions CSV (all or nothing: a bad line adds none).

    Columns are found by name, in any case: symbol (or ticker), quantity (qty,
    shares) and cost per share (cost, average cost, price paid) or in total
    (cost basis, total cost).
    """
    from wheelscan.positions import read_broker_csv

    _record(read_broker_csv(file, _day(when)), as_json)


def _money(value: float) -> str:
    return f"{value:+,.2f}"


def _basis(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _short_line(short: ShortOption, mark: ShortMark | None) -> str:
    line = (
        f"  short {short.kind:<4} {short.contract}  x{short.quantity}"
        f"  open {short.open_price:.2f} (${short.open_premium:,.2f})"
    )
    if mark is None:
        return line
    mid = "-" if mark.mid is None else f"{mark.mid:.2f}"
    pl = "" if mark.pl is None else f"  P/L {_money(mark.pl)}"
    pct = "" if mark.pl_pct_of_max is None else f" ({mark.pl_pct_of_max:.0f}% of max)"
    flags = "".join(
        text for text, on in (("  ITM", mark.itm), ("  earnings", mark.spans_earnings)) if on
    )
    return f"{line}  mid {mid}{pl}{pct}  {mark.dte} DTE{flags}"


def _position_line(position: Position) -> str:
    return (
        f"{position.symbol:<8} {position.shares:>6} sh  basis {_basis(position.basis)}"
        f"  adjusted {_basis(position.adjusted_basis)}"
        f"  uncovered {position.uncovered_shares}  realized {_money(position.realized_pl)}"
    )


def _print_ledger(ledger: Ledger, marks: dict[str, ShortMark], cash: dict[str, Any]) -> None:
    if not ledger.events:
        typer.echo(
            f"# no positions yet ({ledger.path}): record some with"
            " `wheelscan positions add-shares`, `sell` or `import`"
        )
        return
    state = ledger.state
    free = "" if cash["cash"] is None else f", free cash ${cash['free_cash']:,.2f}"
    typer.echo(
        f"# {plural(len(ledger.events), 'event')} in {ledger.path};"
        f" realized {_money(state.realized_pl)}, put collateral ${state.put_collateral:,.2f}{free}"
    )
    for position in state:
        typer.echo(_position_line(position))
        for short in position.shorts:
            typer.echo(_short_line(short, marks.get(short.contract)))
