"""`wheelscan plan`: today's to-do list for the wheel (SPEC 10), from stored data only.

The document is built by daily_plan.py (no request: the latest published scan, the
ledger, config.toml) and printed as text by cli/plan_text.py.
"""

from __future__ import annotations

import typer

from wheelscan.cli.messages import warn
from wheelscan.cli.options import JsonOption, SourceOption


def plan(source: SourceOption = None, as_json: JsonOption = False) -> None:
    """Today's to-do list: open shorts to manage (take profit, in the money, spanning
    earnings, expiring) with rolls for a net credit, covered calls for uncovered shares,
    then new puts that fit free cash, best first.

    Built from the latest published scan of the source, the ledger (positions.toml)
    and config.toml (cash, take_profit_pct, max_ticker_pct, roll_max_dte,
    expiring_days, max_rolls, call_*): it sends no request. `wheelscan refresh`
    brings the scan up to date.
    """
    from wheelscan.cli.fast import echo_plan
    from wheelscan.daily_plan import stored_plan

    _, document = stored_plan(source)
    if as_json:
        echo_plan(document)
        return
    from wheelscan.cli.plan_text import plan_lines

    for line in plan_lines(document):
        typer.echo(line)
    for line in document["warnings"]:
        warn(line)
