"""The wheel's morning through the real entry point (issue 16, "Done when").

On the demo market, its clock pinned (WHEELSCAN_DEMO_NOW), a ledger holds a short put
at exactly 50 % profit (SPY), an in-the-money short put (QQQ), 200 assigned shares
(AMD) and cash for exactly two new puts. A real `refresh --source demo --force`
publishes the scan; `plan --json` must then list exactly the actions worked out here,
in order: the managed shorts from the demo's own chains (their asks, the spot, the
later expirations each can roll to, in exact fractions), the covered call and the new
puts from the stored answers (the published candidates), tickets written by hand.
Contracts are picked from the demo's chain so the premiums give those states.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import cli_support
from cli_support import Ran
from wheelscan.config import Settings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.ledger import ASSIGN, SELL, SHARES, Event
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.core.plan_inputs import PlanRules
from wheelscan.core.positions import Positions
from wheelscan.positions import append_events, load_ledger
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.yahoo.demo import NOW_ENV, DemoMarket
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport
from yahoo_doubles import FIXED_NOW

TODAY = FIXED_NOW.astimezone(NEW_YORK).date()
DEADLINE_S = 180
MINUS = "\u2212"
ROLL_MAX_DTE, MAX_ROLLS, TICKER_PCT = 45, 3, Fraction(25, 100)
ASSIGNED = date(2026, 11, 20)  # the Friday before: AMD's two puts were assigned
AMD_PREMIUM = Fraction("4.00")
HEAVY = ("numpy", "pandas", "yfinance", "typer", "textual", "wheelscan.scan.engine")


def wheelscan(*args: str) -> Ran:
    """`wheelscan ARGS` in this process, the demo's clock pinned (the fast path's own
    imports are checked in a real process, `imports_of`)."""
    return cli_support.wheelscan(*args, env={NOW_ENV: FIXED_NOW.isoformat()})


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def answer(market: DemoMarket, symbol: str, day: date) -> dict[str, Any]:
    """The demo's raw options answer for `symbol` on `day` (what Yahoo's JSON says)."""
    return market.options_json(symbol, epoch(day))["optionChain"]["result"][0]


def spot(market: DemoMarket, symbol: str) -> Fraction:
    quote = market.options_json(symbol, None)["optionChain"]["result"][0]["quote"]
    return money(quote["regularMarketPrice"])


def quoted_puts(market: DemoMarket, symbol: str, day: date) -> list[dict[str, Any]]:
    """The two-sided puts (a strike, 0 < bid ≤ ask) of `symbol` on `day`, by strike."""
    rows = answer(market, symbol, day)["options"][0]["puts"]
    usable = [r for r in rows if "strike" in r and 0 < r.get("bid", 0) <= r.get("ask", 0)]
    return sorted(usable, key=lambda row: row["strike"])


def money(value: Any) -> Fraction:
    return Fraction(str(value))


def strike_text(strike: Any) -> str:
    return f"{float(strike):g}"


def later_expirations(market: DemoMarket, symbol: str, after: date) -> list[date]:
    return [d for d in market.expirations(symbol) if d > after and (d - TODAY).days <= 45]


def expected_rolls(
    market: DemoMarket, symbol: str, expiration: date, strike: Fraction, close_ask: Fraction
) -> list[tuple[str, date, Fraction, Fraction]]:
    """SPEC 10's rolls of a short put worked out on the demo's raw chains: a later
    expiration ≤ 45 DTE, strike ≤ the current one, a two-sided bid (or no ask at all),
    net credit = new bid − current ask > 0, the best three by annualized net credit
    (ties: larger credit, earlier expiration, contract). (contract, day, strike, net)."""
    choices = []
    for day in later_expirations(market, symbol, expiration):
        dte = (day - TODAY).days
        for row in answer(market, symbol, day)["options"][0]["puts"]:
            if "strike" not in row or "bid" not in row or money(row["strike"]) > strike:
                continue
            bid = money(row["bid"])
            if bid <= 0 or ("ask" in row and money(row["ask"]) < bid):
                continue
            net = bid - close_ask
            if net > 0:
                annualized = net / money(row["strike"]) * 365 / dte
                choices.append((-annualized, -net, day, row["contractSymbol"], row["strike"]))
    choices.sort()
    return [(c[3], c[2], money(c[4]), -c[1]) for c in choices[:MAX_ROLLS]]


def pick_shorts(market: DemoMarket) -> dict[str, dict[str, Any]]:
    """The two open short puts, picked from the chains so that SPY's sale price makes
    exactly 50 % at today's ask (sold at twice it) and QQQ's strike is above the spot."""
    spy_day, qqq_day = date(2026, 12, 18), date(2026, 12, 11)
    spy_below = spot(market, "SPY") * Fraction(93, 100)
    qqq_above = spot(market, "QQQ") * Fraction(102, 100)
    spy = [r for r in quoted_puts(market, "SPY", spy_day) if money(r["strike"]) < spy_below][-1]
    qqq = next(r for r in quoted_puts(market, "QQQ", qqq_day) if money(r["strike"]) > qqq_above)
    return {
        "SPY": {"row": spy, "day": spy_day, "sold": 2 * money(spy["ask"])},
        "QQQ": {"row": qqq, "day": qqq_day, "sold": money(qqq["ask"]) * Fraction(6, 10)},
    }


def amd_put(market: DemoMarket) -> tuple[str, Fraction]:
    """The assigned AMD put: the first listed strike at or above the spot."""
    nearest = market.expirations("AMD")[0]
    strike = next(
        money(r["strike"]) for r in quoted_puts(market, "AMD", nearest)
        if money(r["strike"]) >= spot(market, "AMD")
    )  # fmt: skip
    return f"AMD{ASSIGNED:%y%m%d}P{int(strike * 1000):08d}", strike


def record_ledger(market: DemoMarket) -> dict[str, Any]:
    shorts = pick_shorts(market)
    contract, strike = amd_put(market)
    sold_on = date(2026, 11, 16)
    append_events([
        Event(SELL, sold_on, 1, float(s["sold"]), contract=s["row"]["contractSymbol"])
        for s in shorts.values()
    ] + [
        Event(SELL, date(2026, 11, 13), 2, float(AMD_PREMIUM), contract=contract),
        Event(ASSIGN, ASSIGNED, 2, contract=contract),
    ])  # fmt: skip
    return {"shorts": shorts, "amd_strike": strike}


def manage_expected(market: DemoMarket, shorts: dict[str, dict[str, Any]]) -> list[tuple]:
    """Each short's manage action and its rolls, soonest expiry first (QQQ, then SPY)."""
    actions = []
    for symbol in sorted(shorts, key=lambda s: shorts[s]["day"]):
        short = shorts[symbol]
        row, day = short["row"], short["day"]
        strike, ask = money(row["strike"]), money(row["ask"])
        profit_pct = (short["sold"] - ask) / short["sold"] * 100
        rules = []
        if profit_pct >= 50:
            rules.append("take_profit")
        if spot(market, symbol) < strike:
            rules.append("itm")
        assert (day - TODAY).days > 5, "neither short is expiring"
        leg = f"{symbol} {day} {strike_text(strike)} P"
        ticket = f"BUY +1 {leg} @ {float(ask):.2f} LMT"
        actions.append(("manage", row["contractSymbol"], 1, rules, ticket))
        rolls = expected_rolls(market, symbol, day, strike, ask)
        assert rolls, f"{symbol}'s short has rolls for a credit in the demo's chains"
        for contract, new_day, new_strike, net in rolls:
            ticket = (
                f"BUY +1 {leg} / SELL {MINUS}1 {symbol} {new_day} {strike_text(new_strike)} P"
                f" @ {float(net):.2f} CREDIT LMT"
            )
            actions.append(("roll", contract, 1, ["roll_for_credit"], ticket))
    return actions


def covered_call_expected(results: dict[str, Any], adjusted_basis: Fraction) -> tuple:
    """AMD's best published covered call at or above the adjusted basis, 2 contracts."""
    entry = results["AMD"]["covered_calls"]
    assert entry["uncovered_shares"] == 200
    eligible = [c for c in entry["candidates"] if money(c["strike"]) >= adjusted_basis]
    best = min(
        eligible, key=lambda c: (-c["annualized_return_pct"], c["expiration"], c["contract"])
    )
    ticket = (
        f"SELL {MINUS}2 AMD {best['expiration']} {strike_text(best['strike'])} C"
        f" @ {best['bid']:.2f} LMT"
    )
    return ("covered_call", best["contract"], 2, ["uncovered_shares"], ticket)


def put_rank(item: tuple[str, dict[str, Any]]) -> tuple:
    symbol, c = item
    return (-c["annualized_return_pct"], c["expiration"], symbol, c["contract"])


def allocate(
    candidates: list[tuple[str, dict[str, Any]]], cash: Fraction, held: dict[str, Fraction]
) -> list[tuple[str, dict[str, Any]]]:
    """SPEC 10's new puts: best annualized first, one per ticker, a ticker's put collateral
    (its open shorts' included) at most 25 % of cash, all of them within free cash."""
    free, cap = cash - sum(held.values()), cash * TICKER_PCT
    taken: list[tuple[str, dict[str, Any]]] = []
    used = Fraction(0)
    for symbol, candidate in sorted(candidates, key=put_rank):
        collateral = money(candidate["strike"]) * 100
        if symbol in {s for s, _ in taken} or held.get(symbol, 0) + collateral > cap:
            continue
        if used + collateral <= free:
            taken.append((symbol, candidate))
            used += collateral
    return taken


def cash_for_two_puts(results: dict[str, Any], held: dict[str, Fraction]) -> Fraction:
    """Cash whose free part is exactly the collateral of the two best puts on symbols
    without an open short (checked below to be what the allocation takes)."""
    ranked = sorted(
        ((s, c) for s, r in results.items() for c in r["candidates"] if s not in held),
        key=put_rank,
    )
    first = ranked[0]
    second = next(item for item in ranked if item[0] != first[0])
    return sum(held.values()) + (money(first[1]["strike"]) + money(second[1]["strike"])) * 100


def test_the_morning_plan_lists_exactly_the_expected_actions_in_order(
    wheelscan_home: Path,
) -> None:
    market = DemoMarket(now=FIXED_NOW)
    book = record_ledger(market)
    shorts = book["shorts"]

    refreshed = wheelscan("refresh", "--source", "demo", "--force")
    assert refreshed.returncode == 0, refreshed.stderr
    store = Store.for_source("demo")
    published = store.read_results()
    store.close()
    results = published.results
    assert {"SPY", "QQQ", "AMD"} <= set(results) and not published.stale

    held = {s: money(short["row"]["strike"]) * 100 for s, short in shorts.items()}
    cash = cash_for_two_puts(results, held)
    puts = [(s, c) for s, r in results.items() for c in r["candidates"]]
    new_puts = allocate(puts, cash, held)
    assert len(new_puts) == 2, "the cash is for exactly two new puts"
    configured = wheelscan("config", "set", "cash", str(float(cash)))
    assert configured.returncode == 0, configured.stderr

    expected = manage_expected(market, shorts)
    assert [a[3] for a in expected if a[0] == "manage"] == [["itm"], ["take_profit"]]
    adjusted_basis = book["amd_strike"] - AMD_PREMIUM  # 2 puts' premium over 200 shares
    expected.append(covered_call_expected(results, adjusted_basis))
    for symbol, candidate in new_puts:
        ticket = (
            f"SELL {MINUS}1 {symbol} {candidate['expiration']} {strike_text(candidate['strike'])} P"
            f" @ {candidate['bid']:.2f} LMT"
        )
        expected.append(("new_put", candidate["contract"], 1, ["fits_free_cash"], ticket))

    done = wheelscan("plan", "--json", "--source", "demo")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert MINUS in done.stdout and "\\u2212" not in done.stdout, "tickets read as typed"
    document = json.loads(done.stdout)
    got = [
        (a["kind"], a["contract"], a["quantity"], [w["rule"] for w in a["why"]], a["ticket"])
        for a in document["actions"]
    ]
    assert got == expected
    assert document["schema"] == 2 and document["results"]["scan_id"] == published.scan["id"]
    collateral = sum(money(c["strike"]) * 100 for _, c in new_puts)
    assert money(document["cash"]["allocated"]) == collateral
    assert document["cash"]["left"] == 0 and document["warnings"] == []
    take_profit = next(
        w for a in document["actions"] for w in a["why"] if w["rule"] == "take_profit"
    )
    assert take_profit["profit_pct"] == 50.0

    text = wheelscan("plan", "--source", "demo")
    assert text.returncode == 0 and text.stderr == "", text.stderr
    lines = text.stdout.splitlines()
    tickets = [a[4] for a in expected]
    assert [line.strip() for line in lines if line.strip() in tickets] == tickets
    assert all(len(line) <= 80 for line in lines if line.strip() not in tickets), text.stdout
    numbered = [line.split(".")[0] for line in lines if line[:1].isdigit()]
    assert numbered == ["1", "2", "3", "4", "5"], "2 shorts, 1 covered call, 2 new puts"

    probe = cli_support.imports_of("plan", "--json", "--source", "demo", modules=HEAVY)
    assert probe.loaded == [], probe.ran.stderr
    assert json.loads(probe.ran.stdout)["actions"] == document["actions"]


def test_a_scan_asks_for_the_roll_window_once_each_and_publishes_its_quotes(
    wheelscan_home: Path,
) -> None:
    market = DemoMarket(now=FIXED_NOW)
    day = date(2026, 12, 11)
    rows = quoted_puts(market, "SPY", day)
    row = [r for r in rows if money(r["strike"]) < spot(market, "SPY") * Fraction(95, 100)][-1]
    append_events([Event(SELL, date(2026, 11, 16), 1, 5.0, contract=row["contractSymbol"])])
    positions = load_ledger().state
    strike, ask = money(row["strike"]), money(row["ask"])

    def scan(
        rules: PlanRules, kind: ScanKind = ScanKind.WATCHLIST
    ) -> tuple[dict[str, Any], DemoTransport]:
        transport = DemoTransport(DemoMarket(now=FIXED_NOW), latency=0)
        settings = Settings(source="demo", criteria=Criteria(max_dte=14), plan=rules)
        outcome = run_scan(
            ["SPY"], settings, kind=kind, store=Store.for_source("demo"),
            source=YahooSource("demo", transport), positions=positions, fresh=True,
        )  # fmt: skip
        assert outcome.state is ScanState.SUCCEEDED, outcome.message
        return outcome.document, transport

    listed = market.expirations("SPY")
    puts = [d for d in listed[1:] if 1 <= (d - TODAY).days <= 14]
    rolls = later_expirations(market, "SPY", day)
    assert rolls, "the short has later expirations within 45 DTE"
    document, transport = scan(PlanRules())
    asked = transport.options_requests
    wanted = {("SPY", None), *(("SPY", epoch(d)) for d in {*puts, day, *rolls})}
    assert len(asked) == len(set(asked)) and set(asked) == wanted
    assert document["scan"]["requests"] == len(asked), "every roll request is counted"

    quotes = document["results"]["SPY"]["roll_quotes"]
    expected = [
        (r["contractSymbol"], str(d), money(r["bid"]))
        for d in rolls
        for r in answer(market, "SPY", d)["options"][0]["puts"]
        if "strike" in r and money(r["strike"]) <= strike and money(r.get("bid", 0)) > ask
    ]
    assert [(q["contract"], q["expiration"], money(q["bid"])) for q in quotes] == expected
    assert all(q["dte"] == (date.fromisoformat(q["expiration"]) - TODAY).days for q in quotes)

    short_dte = (day - TODAY).days
    document, transport = scan(PlanRules(roll_max_dte=short_dte))
    wanted = {("SPY", None), *(("SPY", epoch(d)) for d in {*puts, day})}
    assert set(transport.options_requests) == wanted, "no later expiration fits: none asked"
    assert document["results"]["SPY"]["roll_quotes"] == []

    document, transport = scan(PlanRules(), ScanKind.ADHOC)
    assert set(transport.options_requests) == wanted, "an ad-hoc scan publishes no rolls"
    assert "roll_quotes" not in document["results"]["SPY"]


def test_the_plan_says_what_the_published_scan_lacks_and_manages_an_expiring_short(
    wheelscan_home: Path,
) -> None:
    """Without a published scan the plan still lists a short expiring within 5 days
    (no quote: no ticket), and warns; no request is made."""
    from wheelscan.daily_plan import plan_from

    expiring = date(2026, 11, 27)
    append_events([
        Event(SELL, date(2026, 11, 16), 1, 1.0, contract="KO261127P00065000"),
        Event(SELL, date(2026, 11, 16), 1, 1.0, contract="KO261218P00060000"),
    ])  # fmt: skip
    positions: Positions = load_ledger().state
    store = Store.for_source("demo")
    published = store.read_results()
    settings = Settings(source="demo", cash=20_000.0)
    plan, inputs = plan_from(published, positions, settings, FIXED_NOW)
    assert [(a.kind, a.contract, a.rules, a.ticket) for a in plan.actions] == [
        ("manage", "KO261127P00065000", ("expiring",), None)
    ]
    assert plan.actions[0].figures["dte"] == (expiring - TODAY).days
    assert plan.budget.free_cash == 20_000 - 12_500 and plan.of_kind("new_put") == []
    assert len(inputs.warnings) == 1 and "no published results from demo" in inputs.warnings[0]


def test_a_ledger_that_does_not_read_is_one_line_and_exit_2_on_both_paths(
    wheelscan_home: Path,
) -> None:
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "positions.toml").write_text("[[events]]\nkind = 'sell'\n")
    for args in (
        ("plan", "--json", "--source", "demo"),  # the fast path
        ("plan", "--source", "demo"),  # typer's
        ("plan", "--json", "--source", "nowhere"),
    ):
        done = wheelscan(*args)
        assert done.returncode == 2 and done.stdout == "", (args, done.stdout)
        assert done.stderr.startswith("wheelscan: error: ") and done.stderr.count("\n") == 1


def test_the_plans_covered_calls_are_the_calls_commands_for_the_same_ledger_and_answers(
    wheelscan_home: Path,
) -> None:
    """Shares recorded after the refresh (a PLTR put sold and assigned, KO bought) have no
    published covered calls, but the store keeps the answers the refresh fetched: `calls`
    lists them, and so must the plan (it warned "no covered calls for this holding").
    Per symbol the plan sells the best of `calls`' candidates (highest static return,
    then the earlier expiration and the contract), uncovered shares // 100 of them."""
    market = DemoMarket(now=FIXED_NOW)
    contract, _strike = amd_put(market)
    append_events([
        Event(SELL, date(2026, 11, 13), 2, float(AMD_PREMIUM), contract=contract),
        Event(ASSIGN, ASSIGNED, 2, contract=contract),
    ])  # fmt: skip
    refreshed = wheelscan("refresh", "--source", "demo", "--force")
    assert refreshed.returncode == 0, refreshed.stderr
    pltr = f"PLTR{date(2026, 11, 27):%y%m%d}P00150000"
    append_events([
        Event(SELL, date(2026, 11, 20), 1, 3.10, contract=pltr),
        Event(ASSIGN, date(2026, 11, 21), 1, contract=pltr),
        Event(SHARES, date(2026, 11, 21), 300, 60.0, "KO"),
    ])  # fmt: skip

    calls = wheelscan("calls", "--json", "--source", "demo")
    assert calls.returncode == 0, calls.stderr
    listed = json.loads(calls.stdout)
    assert listed["answers"]["published"] == 1 and listed["answers"]["requested"] == 0
    planned = wheelscan("plan", "--json", "--source", "demo")
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    assert document["warnings"] == []
    expected = {}
    for symbol, entry in listed["results"].items():
        assert entry["candidates"], f"{symbol} has covered calls to sell"
        best = min(
            entry["candidates"],
            key=lambda c: (-c["annualized_return_pct"], c["expiration"], c["contract"]),
        )
        expected[symbol] = (best["contract"], entry["contracts"], best["bid"])
    assert set(expected) == {"AMD", "PLTR", "KO"}
    got = {
        a["symbol"]: (a["contract"], a["quantity"], a["figures"]["bid"])
        for a in document["actions"]
        if a["kind"] == "covered_call"
    }
    assert got == expected
    assert expected["KO"][1] == 3 and expected["PLTR"][1] == 1
