"""Intrinsic-value badges (SPEC 4): is the strike at or below what the trader thinks it is worth?"""

from __future__ import annotations

GOOD = "good"
HIGH = "high"
UNKNOWN = "n/a"


def badge_for(strike: float, intrinsic_value: float | None) -> str:
    """`good` when K ≤ intrinsic value, `high` when above, `n/a` without a value."""
    if intrinsic_value is None:
        return UNKNOWN
    return GOOD if strike <= intrinsic_value else HIGH


def discount_pct(price: float, intrinsic_value: float | None) -> float | None:
    """(value − price) / value × 100: how far below its value the stock trades."""
    if intrinsic_value is None or intrinsic_value <= 0:
        return None
    return (intrinsic_value - price) / intrinsic_value * 100.0
