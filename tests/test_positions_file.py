"""positions.toml and broker CSVs: errors at file:line, atomic 0600 appends, all or nothing."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from wheelscan import files
from wheelscan.core.ledger import Event
from wheelscan.positions import (
    PositionsError,
    append_events,
    load_ledger,
    parse_ledger,
    positions_path,
    read_broker_csv,
)

PUT = "KO260220P00060000"
CALL = "KO260320C00062000"
SOLD_PUT = Event("sell", date(2026, 1, 5), 1, 1.5, contract=PUT, note="first put")
ASSIGNED = Event("assign", date(2026, 2, 20), 1, contract=PUT)


def test_no_file_is_an_empty_ledger_and_nothing_is_written(wheelscan_home: Path) -> None:
    ledger = load_ledger()
    assert (ledger.path, ledger.events, list(ledger.state)) == (positions_path(), (), [])
    assert not wheelscan_home.exists()


def test_appends_are_0600_and_read_back_as_written(wheelscan_home: Path) -> None:
    append_events([SOLD_PUT])
    after = append_events([ASSIGNED])
    path = wheelscan_home / "positions.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(wheelscan_home.stat().st_mode) == 0o700
    assert load_ledger().events == (SOLD_PUT, ASSIGNED) == after.events
    assert load_ledger().lines == (4, 12)  # after the header comment; a blank between
    assert after.state.get("KO").shares == 100
    assert 'note = "first put"' in path.read_text()


def test_an_append_keeps_the_text_before_it(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    path = wheelscan_home / "positions.toml"
    mine = (
        "# my ledger\n[[events]]\ndate = 2026-01-05  # the day I started\nkind = 'sell'\n"
        f"contract = '{PUT}'\nquantity = 1\nprice = 1.5\n"
    )
    path.write_text(mine)
    append_events([ASSIGNED])
    assert path.read_text().startswith(mine)
    assert len(load_ledger().events) == 2


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "positions.toml"
    path.write_text(text)
    return path


GOOD = (
    f'[[events]]\ndate = 2026-01-05\nkind = "sell"\ncontract = "{PUT}"\nquantity = 1\nprice = 1.5\n'
)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("[[events]]\ndate = \n", None, "not valid TOML"),
        (f"cash = 5\n{GOOD}", 1, "unknown key 'cash' (events go in [[events]] tables)"),
        (f"{GOOD}cash = 5\n", 7, "event 1: unknown key 'cash'"),
        ('\nevents = "x"\n', 2, "events must be [[events]] tables"),
        (GOOD.replace("price = 1.5", "price = 1.5\nprize = 2"), 7, "unknown key 'prize'"),
        (GOOD.replace('kind = "sell"\n', ""), 1, "event 1: an event needs kind"),
        (GOOD.replace("quantity = 1", "quantity = -1"), 5, "quantity must be"),
        (GOOD.replace(PUT, "KO60P"), 4, "needs an OCC contract"),
        (GOOD.replace("2026-01-05", '"5 Jan"'), 2, "date must be YYYY-MM-DD"),
        (GOOD.replace("2026-01-05", "2026-01-05T10:00:00"), 2, "must be a date"),
        (GOOD + "\n" + GOOD.replace(PUT, CALL), 8, "need 100 uncovered shares of KO"),
        (GOOD + "\n[[events]]\n" + "kind = 'expire'\n", 8, "event 2: an event needs date"),
    ],
)
def test_a_bad_file_names_its_line(
    wheelscan_home: Path, text: str, line: int | None, needle: str
) -> None:
    path = write(wheelscan_home, text)
    with pytest.raises(PositionsError) as caught:
        load_ledger()
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: "), message
    assert needle in message


def test_a_quoted_date_and_an_inline_array_read_fine(wheelscan_home: Path) -> None:
    table = f"date = '2026-01-05', kind = 'sell', contract = '{PUT}', quantity = 1, price = 1.5"
    text = f"events = [{{{table}}}]\n"
    write(wheelscan_home, text)
    assert load_ledger().events == (Event("sell", date(2026, 1, 5), 1, 1.5, contract=PUT),)
    with pytest.raises(PositionsError, match="not all \\[\\[events\\]\\] tables"):
        append_events([ASSIGNED])


def test_a_refused_append_writes_nothing(wheelscan_home: Path) -> None:
    append_events([SOLD_PUT])
    path = wheelscan_home / "positions.toml"
    before = path.read_bytes()
    call = Event("sell", date(2026, 1, 6), 1, 1.0, contract=CALL)
    with pytest.raises(PositionsError, match=r"need 100 uncovered shares .*nothing was written"):
        append_events([call])
    with pytest.raises(PositionsError, match="nothing was written"):
        append_events([ASSIGNED, Event("buy_to_close", date(2026, 2, 20), 1, 0.1, contract=PUT)])
    assert path.read_bytes() == before


def test_a_backdated_event_that_breaks_a_later_one_names_it(wheelscan_home: Path) -> None:
    call = Event("sell", date(2026, 2, 23), 1, 1.0, contract=CALL)
    append_events([SOLD_PUT, ASSIGNED, call])
    path = wheelscan_home / "positions.toml"
    before = path.read_bytes()
    too_many = Event("shares", date(2026, 2, 21), -200, 61.0, "KO")
    with pytest.raises(PositionsError) as caught:
        append_events([too_many])
    assert str(caught.value) == (
        "shares -200 KO on 2026-02-21: sells 200 shares of KO but only 100 are held"
        " uncovered (nothing was written)"
    )
    # Fits on its date, but leaves the later call without shares.
    with pytest.raises(PositionsError) as caught:
        append_events([Event("shares", date(2026, 2, 21), -100, 61.0, "KO")])
    assert str(caught.value) == (
        f"{path}:{load_ledger().lines[2]}: sell 1 {CALL} on 2026-02-23 would then be refused:"
        " 1 covered call(s) need 100 uncovered shares of KO; 0 are held uncovered"
        " (nothing was written)"
    )
    assert path.read_bytes() == before


def test_a_crash_before_the_rename_keeps_the_old_ledger(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_events([SOLD_PUT])
    path = wheelscan_home / "positions.toml"
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        append_events([ASSIGNED])
    assert path.read_bytes() == before
    assert os.listdir(wheelscan_home) == ["positions.toml"]


def test_parse_ledger_is_what_load_reads(tmp_path: Path) -> None:
    ledger = parse_ledger(GOOD, tmp_path / "x.toml")
    assert ledger.events == (Event("sell", date(2026, 1, 5), 1, 1.5, contract=PUT),)
    assert ledger.where(0) == f"{tmp_path / 'x.toml'}:1"


# -- broker CSVs ------------------------------------------------------------------------

ON = date(2026, 3, 2)


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "positions.csv"
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("symbol,quantity,cost\nKO,100,60.10\n", [("KO", 100, 60.10)]),
        (
            'Ticker,Description,Qty,"Avg. Cost ($)"\nko,Coca-Cola,"1,000","$60.10"\n\nPEP,,5,150\n',
            [("KO", 1000, 60.10), ("PEP", 5, 150.0)],
        ),
        ('SYMBOL,SHARES,Cost Basis\nKO,200,"$12,020.00"\n', [("KO", 200, 60.10)]),
        (
            "Symbol,Quantity,Cost Basis Total,Average Cost Basis\nKO,100,6010,60.1\n",
            [("KO", 100, 60.1)],
        ),
        ("symbol,quantity,price paid\nBRK-B,3,400\n", [("BRK-B", 3, 400.0)]),
    ],
)
def test_a_broker_csv_becomes_shares_events(
    tmp_path: Path, text: str, expected: list[tuple[str, int, float]]
) -> None:
    events = read_broker_csv(csv_file(tmp_path, text, "utf-8-sig"), ON)
    assert [(e.kind, e.date, e.note) for e in events] == [
        ("shares", ON, "imported from positions.csv")
    ] * len(expected)
    assert [(e.symbol, e.quantity) for e in events] == [(s, q) for s, q, _ in expected]
    assert [e.price for e in events] == pytest.approx([p for _, _, p in expected])


def test_every_bad_line_is_named_and_nothing_is_imported(
    tmp_path: Path, wheelscan_home: Path
) -> None:
    path = csv_file(
        tmp_path,
        "Symbol,Quantity,Cost\nKO,100,60\nPEP,10.5,150\nAccount Total,,\n"
        "KO261218P00060000,-1,2.00\nMSFT,5,n/a\nT,-5,20\nVZ,3\n",
    )
    with pytest.raises(PositionsError) as caught:
        read_broker_csv(path, ON)
    message = str(caught.value)
    assert f"{path}:3: quantity must be a whole number of shares above 0, got '10.5'" in message
    assert f"{path}:4: invalid symbol 'Account Total'" in message
    assert f"{path}:5: KO261218P00060000 is an option contract" in message
    assert f"{path}:6: cost must be a number, got 'n/a'" in message
    assert f"{path}:7: quantity must be a whole number" in message
    assert message.endswith("; and 1 more (6 bad lines, nothing was imported)")
    assert f"{path}:2" not in message


def test_a_csv_without_the_columns_or_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PositionsError, match=r":1: the CSV header has no quantity or cost column"):
        read_broker_csv(csv_file(tmp_path, "Symbol,Description\nKO,Coca-Cola\n"), ON)
    with pytest.raises(PositionsError, match="no positions below the header"):
        read_broker_csv(csv_file(tmp_path, "symbol,qty,cost\n\n"), ON)
    with pytest.raises(PositionsError, match="no header line"):
        read_broker_csv(csv_file(tmp_path, "\n\n"), ON)
    with pytest.raises(PositionsError, match="cannot read"):
        read_broker_csv(tmp_path / "missing.csv", ON)
