"""Config `cash` against the ledger (SPEC 9): free cash, and whether a put candidate fits.

Free cash is `cash` less the collateral of the open short puts (strike × 100 per
contract); a put candidate fits when its own collateral is at most that. Without
`cash` nothing is known: free cash and `fits` are None. Pure; `with_fits` marks the
JSON results the store publishes, so any reader of them can show `fits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wheelscan.core.positions import Positions


def free_cash(cash: float | None, positions: Positions) -> float | None:
    """`cash` − the open short puts' collateral, in cents; None without `cash`."""
    return None if cash is None else round(cash - positions.put_collateral, 2)


def fits(collateral: float, free: float | None) -> bool | None:
    """Whether one contract's collateral fits in `free` cash (None when that is unknown)."""
    return None if free is None else round(collateral, 2) <= free


def cash_json(cash: float | None, positions: Positions | None) -> dict[str, Any]:
    """The `cash` object of the calls, positions and results documents; without
    `positions` (a ledger that does not read) the collateral and free cash are unknown."""
    if positions is None:
        return {"cash": cash, "put_collateral": None, "free_cash": None}
    return {
        "cash": cash,
        "put_collateral": round(float(positions.put_collateral), 2),
        "free_cash": free_cash(cash, positions),
    }


def with_fits(results: Mapping[str, Any], free: float | None) -> dict[str, Any]:
    """A `results` object (SPEC 7) whose every put candidate carries `fits`."""
    return {
        symbol: {
            **result,
            "candidates": [
                {**candidate, "fits": fits(candidate["collateral"], free)}
                for candidate in result.get("candidates", [])
            ],
        }
        for symbol, result in results.items()
    }
