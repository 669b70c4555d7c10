"""The plan (SPEC 10) as text: its reasons, its numbered actions, its tickets.

`reason_text` says why one action is in the plan, with the figures its rule fired on;
`plan_lines` writes the whole `plan --json` document as `wheelscan plan` prints it,
readable at 80 columns (a ticket is never cut: one longer than the line starts at
column 0). Importing it loads no typer, so the terminal app's Plan view can word its
reasons with `reason_text` too.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wheelscan.cli.messages import plural
from wheelscan.core.actions import price_text

WIDTH = 80
INDENT = "    "
SECTIONS = {
    "manage": "Open shorts to manage",
    "covered_call": "Covered calls for uncovered shares",
    "new_put": "New puts that fit the cash",
}


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _price(value: float | None) -> str:
    return "-" if value is None else price_text(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _days(count: int) -> str:
    return plural(count, "day")


def reason_text(action: Mapping[str, Any], why: Mapping[str, Any]) -> str:
    """One reason an action is in the plan, with the figures its rule fired on."""
    rule = why["rule"]
    if rule == "take_profit":
        return (
            f"take profit: {_pct(why['profit_pct'])} of the premium made"
            f" (≥ {why['threshold_pct']:g} %), {_money(why['profit'])} if bought back"
            f" at the ask {_price(why['close_ask'])}"
        )
    if rule == "itm":
        side = "below" if action["type"] == "put" else "above"
        return f"in the money: spot {_number(why['spot'])} {side} the {why['strike']:g} strike"
    if rule == "spans_earnings":
        return f"spans earnings on {why['earnings_date']} (expires {why['expiration']})"
    if rule == "expiring":
        dte = why["dte"]
        when = "expired" if dte < 0 else "expires today" if dte == 0 else f"expires in {_days(dte)}"
        return f"{when} (manage within {_days(why['within_days'])})"
    if rule == "roll_for_credit":
        total = action["figures"].get("net_credit_total")
        return (
            f"net credit {_price(why['net_credit'])} a share ({_money(total)}),"
            f" {_pct(why['annualized_net_credit_pct'])} a year"
        )
    if rule == "uncovered_shares":
        floor, policy = why["min_strike"], why["min_strike_policy"]
        strike = "any strike" if floor is None else f"strike ≥ {floor:g} ({policy} basis)"
        return (
            f"{why['uncovered_shares']} uncovered shares: {plural(why['contracts'], 'call')},"
            f" {strike}"
        )
    if rule == "fits_free_cash":
        return (
            f"fits free cash: {_money(why['collateral'])} collateral of"
            f" {_money(why['free_cash_before'])} free, {_money(why['free_cash_after'])} left;"
            f" {action['symbol']} puts {_money(why['ticker_collateral'])}"
            f" of the {_money(why['ticker_cap'])} cap"
        )
    figures = ", ".join(f"{k} {v}" for k, v in why.items() if k != "rule")
    return f"{rule}: {figures}" if figures else rule


def _leg(action: Mapping[str, Any]) -> str:
    flag = "P" if action["type"] == "put" else "C"
    return f"{action['symbol']} {action['expiration']} {action['strike']:g} {flag}"


def _headline(number: int, action: Mapping[str, Any]) -> list[str]:
    figures, quantity = action["figures"], action["quantity"]
    text = f"{number}. {'Manage' if action['kind'] == 'manage' else 'Sell'} {_leg(action)}"
    text += f" ×{quantity}, {figures['dte']} DTE"
    if action["kind"] != "manage":
        text += (
            f", bid {_price(figures['bid'])} ({_money(figures['premium_total'])}),"
            f" {_pct(figures['annualized_pct'])} a year"
        )
    return textwrap.wrap(text, WIDTH, subsequent_indent=INDENT, break_on_hyphens=False)


def _roll_headline(letter: str, action: Mapping[str, Any]) -> str:
    flag = "P" if action["type"] == "put" else "C"
    return (
        f"{INDENT}{letter}) or roll to {action['expiration']} {action['strike']:g} {flag},"
        f" {action['figures']['dte']} DTE"
    )


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )


def _ticket(ticket: str | None, indent: str) -> str:
    if ticket is None:
        return f"{indent}(no quote to price an order with: `wheelscan refresh`)"
    return f"{indent[: max(0, WIDTH - len(ticket))]}{ticket}"


def _header(document: Mapping[str, Any]) -> list[str]:
    from wheelscan.cli.reading import ago
    from wheelscan.market import format_time

    results, cash = document["results"], document["cash"]
    as_of = format_time(datetime.fromisoformat(document["as_of"]))
    if results["scan_id"] is None:
        line = f"# plan ({document['source']}) as of {as_of}: no published scan"
    else:
        stale = ", STALE" if results["stale"] else ""
        line = (
            f"# plan ({document['source']}) from scan {results['scan_id']}"
            f" ({ago(results['age_s'])}{stale}), quotes as of {as_of}"
        )
    lines = _wrapped(line, "")
    if cash["cash"] is None:
        lines.append("# no cash set, so no new puts: `wheelscan config set cash DOLLARS`")
    else:
        text = (
            f"# cash {_money(cash['cash'])}: {_money(cash['put_collateral'])} in open puts,"
            f" {_money(cash['free_cash'])} free, {_money(cash['allocated'])} to new puts,"
            f" {_money(cash['left'])} left; at most {_money(cash['ticker_cap'])} a ticker"
        )
        lines += _wrapped(text, "")
    return lines


def plan_lines(document: Mapping[str, Any]) -> list[str]:
    """The plan as text: a header, then each section's numbered actions, each with its
    reasons and ticket; a managed short's rolls are lettered alternatives under it."""
    lines = _header(document)
    actions = document["actions"]
    if not actions:
        lines += ["", "Nothing to do: no short to manage, no shares to cover, no put that fits."]
        return lines
    number, section, letter = 0, None, 0
    for action in actions:
        kind = action["kind"]
        if kind == "roll":
            letter += 1
            lines.append(_roll_headline("abcdefghijklmnopqrstuvwxyz"[(letter - 1) % 26], action))
            for why in action["why"]:
                lines += _wrapped(reason_text(action, why), INDENT + "   ")
            lines.append(_ticket(action["ticket"], INDENT + "   "))
            continue
        if kind != section:
            section = kind
            lines += ["", SECTIONS.get(kind, kind)]
        number, letter = number + 1, 0
        lines += _headline(number, action)
        for why in action["why"]:
            lines += _wrapped(reason_text(action, why), INDENT)
        lines.append(_ticket(action["ticket"], INDENT))
    return lines
