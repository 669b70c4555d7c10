"""`wheelscan positions …` through the real app: a wheel cycle, refusals, import, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan.cli.main import app
from wheelscan.core.expiry import new_york_date
from wheelscan.core.scan_record import SCHEMA_VERSION

runner = CliRunner()
TODAY = new_york_date(datetime.now(UTC))


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def occ(symbol: str, expiration: date, kind: str, strike: float) -> str:
    return f"{symbol}{expiration:%y%m%d}{kind[0].upper()}{round(strike * 1000):08d}"


PUT = occ("KO", ago(40), "put", 60)
CALL = occ("KO", ago(10), "call", 62)
OPEN_CALL = occ("KO", TODAY + timedelta(days=30), "call", 65)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["positions", *args])
    return result.exit_code, result.stdout, result.stderr


def ok_json(*args: str) -> dict:
    code, out, err = invoke(*args, "--json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def one_error(*args: str) -> str:
    code, out, err = invoke(*args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wheelscan: error: "), err
    assert out == ""
    return lines[0].removeprefix("wheelscan: error: ")


def ledger(home: Path) -> Path:
    return home / "positions.toml"


def test_a_wheel_cycle_from_the_command_line(wheelscan_home: Path) -> None:
    sold = ok_json("sell", PUT, "1", "1.50", "--date", ago(70).isoformat())
    assert sold["schema"] == SCHEMA_VERSION
    assert [e["kind"] for e in sold["added"]] == ["sell"]
    assert sold["totals"] == {"realized_pl": 0.0, "open_premium": 150.0, "put_collateral": 6000.0}

    code, out, _ = invoke("assign", PUT, "--date", ago(40).isoformat())
    assert code == 0 and f"recorded assign 1 {PUT}" in out
    ok_json("sell", CALL, "1", "1.00", "--date", ago(35).isoformat())

    document = ok_json("list")
    (ko,) = document["positions"]
    assert (ko["symbol"], ko["shares"], ko["basis"]) == ("KO", 100, 60.0)
    assert ko["adjusted_basis"] == pytest.approx(60 - (150 + 100) / 100)
    assert (ko["covered_shares"], ko["uncovered_shares"], ko["realized_pl"]) == (100, 0, 150.0)
    (short,) = ko["short_options"]
    assert (short["contract"], short["type"], short["strike"], short["quantity"]) == (
        CALL,
        "call",
        62.0,
        1,
    )
    assert (short["expiration"], short["open_premium"], short["mark"]) == (
        ago(10).isoformat(),
        100.0,
        None,
    )
    assert document["events"] == 3

    called = ok_json("assign", CALL)  # a call's assignment is recorded as called away
    assert called["added"][0]["kind"] == "called_away"
    assert called["added"][0]["date"] == TODAY.isoformat()
    assert called["positions"][0]["shares"] == 0
    assert called["totals"]["realized_pl"] == pytest.approx(150 + 100 + 200)
    assert 'kind = "called_away"' in ledger(wheelscan_home).read_text()


def test_the_human_list(wheelscan_home: Path) -> None:
    code, out, _ = invoke("list")
    assert code == 0 and "no positions yet" in out
    invoke("add-shares", "KO", "200", "50", "--date", ago(20).isoformat())
    assert invoke("list")[1].startswith("# 1 event in ")
    invoke("sell", CALL, "1", "2.00", "--date", ago(19).isoformat())
    code, out, _ = invoke("list")
    lines = out.splitlines()
    assert lines[0].startswith("# 2 events in ") and "realized +0.00" in lines[0]
    figures = ["200", "sh", "basis", "50.00", "adjusted", "49.00", "uncovered", "100"]
    assert lines[1].split() == ["KO", *figures, "realized", "+0.00"]
    assert lines[2].split() == ["short", "call", CALL, "x1", "open", "2.00", "($200.00)"]
    assert all(len(line) <= 80 for line in lines[1:])


def test_shares_sold_and_default_quantities(wheelscan_home: Path) -> None:
    code, out, _ = invoke("add-shares", "ko", "300", "50", "--date", ago(30).isoformat())
    assert code == 0
    code, out, _ = invoke("add-shares", "KO", "-50", "55", "--date", ago(29).isoformat())
    assert (code, out.split()[:4]) == (0, ["recorded", "shares", "-50", "KO"])
    ok_json("sell", CALL, "2", "1.00", "--date", ago(28).isoformat())
    closed = ok_json("close", CALL, "0.40", "--date", ago(27).isoformat())
    assert closed["added"][0]["quantity"] == 2  # every open contract by default
    assert closed["positions"][0]["realized_pl"] == pytest.approx(50 * 5 + 2 * 60)

    expired_put = occ("KO", ago(5), "put", 45)
    ok_json("sell", expired_put, "3", "0.50", "--date", ago(26).isoformat())
    ok_json("expire", expired_put, "-q", "1")
    expired = ok_json("expire", expired_put)
    assert expired["added"][0] == {
        "kind": "expire",
        "date": ago(5).isoformat(),  # the expiration date by default
        "symbol": "KO",
        "contract": expired_put,
        "quantity": 2,
        "price": 0.0,
        "note": "",
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("sell", OPEN_CALL, "1", "1"), "need 100 uncovered shares of KO; 0 are held uncovered"),
        (("sell", CALL, "1", "1.00"), f"{CALL} expired on {ago(10)}, before {TODAY}"),
        (("sell", "KO60P", "1", "1.00"), "needs an OCC contract like KO261218P00060000"),
        (("sell", PUT, "0", "1.00"), "quantity must be a whole number of contracts above 0"),
        (("sell", PUT, "1", "1.00", "--date", "yesterday"), "--date must be YYYY-MM-DD"),
        (
            ("sell", PUT, "1", "1.00", "--date", (TODAY + timedelta(days=1)).isoformat()),
            "is after today",
        ),
        (("sell", PUT, "1", "1.00", "--symbol", "PEP"), f"{PUT} is not an option on PEP"),
        (("close", OPEN_CALL, "0.10"), f"{OPEN_CALL} is not an open short option"),
        (("expire", occ("KO", TODAY + timedelta(days=30), "put", 50)), "is after today"),
        (("add-shares", "KO", "-5", "50"), "sells 5 shares of KO but only 0"),
        (("add-shares", "KO$", "5", "50"), "invalid symbol 'KO$'"),
        (("sell", PUT, "one", "1.00"), "Invalid value for 'quantity'"),
    ],
)
def test_a_refusal_is_one_line_exit_2_and_writes_nothing(
    wheelscan_home: Path, args: tuple[str, ...], needle: str
) -> None:
    assert needle in one_error(*args)
    assert not ledger(wheelscan_home).exists()


def test_a_bad_ledger_file_is_named_at_its_line(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    ledger(wheelscan_home).write_text(
        f"[[events]]\ndate = 2026-01-05\nkind = 'sell'\ncontract = '{PUT}'\nquantity = 'one'\n"
    )
    message = one_error("list")
    assert message.startswith(f"{ledger(wheelscan_home)}:5: event 1: quantity must be")


def test_import_a_broker_csv(wheelscan_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "broker.csv"
    source.write_text('Symbol,Qty,Cost Basis\nKO,100,6000\nPEP,20,"$3,000.00"\n')
    imported = ok_json("import", str(source), "--date", ago(3).isoformat())
    assert [(e["symbol"], e["quantity"], e["price"]) for e in imported["added"]] == [
        ("KO", 100, 60.0),
        ("PEP", 20, 150.0),
    ]
    assert [p["shares"] for p in imported["positions"]] == [100, 20]

    before = ledger(wheelscan_home).read_bytes()
    source.write_text("Symbol,Qty,Cost\nKO,100,60\nPEP,-3,150\nT,2,x\n")
    message = one_error("import", str(source))
    assert f"{source}:3: quantity must be a whole number of shares above 0" in message
    assert f"{source}:4: cost must be a number, got 'x'" in message
    assert message.endswith("(2 bad lines, nothing was imported)")
    assert ledger(wheelscan_home).read_bytes() == before


def test_the_real_entry_point(wheelscan_home: Path) -> None:
    environment = {**os.environ, "WHEELSCAN_HOME": str(wheelscan_home)}

    def wheelscan(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wheelscan", "positions", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=environment,
        )

    refused = wheelscan("sell", OPEN_CALL, "1", "1.00")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"wheelscan: error: sell 1 {OPEN_CALL} on {TODAY.isoformat()}: 1 covered call(s) need 100"
        " uncovered shares of KO; 0 are held uncovered (nothing was written)"
    ]
    assert wheelscan("sell", PUT, "1", "1.5", "--date", ago(50).isoformat()).returncode == 0
    listed = wheelscan("list", "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)["positions"][0]["short_options"][0]["contract"] == PUT
