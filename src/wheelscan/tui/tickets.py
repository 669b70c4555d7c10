"""`Y`: the order ticket of the highlighted candidate, as the plan writes tickets (SPEC 10).

A candidate is sold: one contract at its bid, `SELL −1 KO 2026-12-18 60 P @ 0.85 LMT`
(core.actions writes it, so the app's tickets and the plan's read alike).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from wheelscan.core.actions import SELL, Leg, limit_ticket


def sell_ticket(symbol: str, candidate: dict[str, Any], kind: Literal["put", "call"]) -> str:
    """Sell one contract of `symbol`'s `candidate` (a put or call candidate's JSON) at its bid."""
    leg = Leg(
        SELL,
        1,
        symbol,
        date.fromisoformat(candidate["expiration"]),
        float(candidate["strike"]),
        kind,
    )
    return limit_ticket(leg, float(candidate["bid"]))
