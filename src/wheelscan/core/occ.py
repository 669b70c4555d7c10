"""OCC option symbols as Yahoo writes them: root, expiration, put or call, strike (SPEC 2–3).

`QQQ261218P00600000` is root QQQ, 2026-12-18, put, strike 600. The root is
everything before the fixed 15-character tail (YYMMDD, C or P, strike × 1000 in
eight digits), so an adjusted contract after a corporate action, `QQQ1261218P00600000`,
reads as root QQQ1: a deliverable other than 100 shares of QQQ (`nonstandard`).

Index roots: SPX, NDX and RUT themselves are AM-settled (09:30 on the expiration
date); their weekly and PM-settled series (SPXW, NDXP, RUTW) settle at 16:00 and
are standard contracts of the same index.

numpy is imported only by the two masks a chain's pricing uses, so the ledger, which
parses contracts here, loads without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_TAIL = re.compile(r"(\d{2})(\d{2})(\d{2})([CP])(\d{8})")
_TAIL_LENGTH = 15
# Suffixes OCC gives an index's own weekly (W) and PM-settled (P) series.
INDEX_SERIES_SUFFIXES = ("W", "P")
INDEX = "INDEX"


@dataclass(frozen=True)
class OccSymbol:
    root: str
    expiration: date
    kind: Literal["put", "call"]
    strike: float


def parse_occ(symbol: str) -> OccSymbol | None:
    """The parts of an OCC symbol; None when it is not one (Yahoo omits the root's padding)."""
    text = symbol.strip().upper()
    root = text[:-_TAIL_LENGTH].rstrip()
    tail = _TAIL.fullmatch(text[-_TAIL_LENGTH:])
    if tail is None or not root or not root.isalnum():
        return None
    year, month, day, flag, strike = tail.groups()
    try:
        expiration = date(2000 + int(year), int(month), int(day))
    except ValueError:
        return None
    return OccSymbol(root, expiration, "call" if flag == "C" else "put", int(strike) / 1000.0)


def contract_root(symbol: str) -> str | None:
    parsed = parse_occ(symbol)
    return None if parsed is None else parsed.root


def underlying_root(symbol: str) -> str:
    """The OCC root of an underlying's own contracts: `^SPX` → SPX, `BRK-B` → BRKB."""
    return "".join(ch for ch in symbol.upper() if ch.isalnum())


def standard_roots(underlying_symbol: str, quote_type: str | None) -> frozenset[str]:
    """The underlying's own root, and for an index its W and P series too (SPXW, NDXP)."""
    own = underlying_root(underlying_symbol)
    if quote_type != INDEX:
        return frozenset({own})
    return frozenset({own, *(own + suffix for suffix in INDEX_SERIES_SUFFIXES)})


def is_am_settled(root: str | None, underlying_symbol: str, quote_type: str | None) -> bool:
    """An index contract under the index's own root (SPX, not SPXW) settles at 09:30."""
    return quote_type == INDEX and root == underlying_root(underlying_symbol)


def standard_root_mask(
    contracts: Iterable[str], underlying_symbol: str, quote_type: str | None
) -> NDArray[np.bool_]:
    """Per contract symbol: True when its root is a standard one for the underlying.

    Reads the root as the text before the 15-character tail without checking the
    tail (a chain's dates and strikes come from their own fields): a scan holds
    hundreds of thousands of symbols, and a slice and a set lookup are all it takes.
    """
    import numpy as np

    allowed = standard_roots(underlying_symbol, quote_type)
    return np.fromiter((s[:-_TAIL_LENGTH] in allowed for s in contracts), dtype=bool)


def am_settled_mask(
    contracts: Iterable[str], underlying_symbol: str, quote_type: str | None
) -> NDArray[np.bool_]:
    """Per contract symbol: True when it settles at 09:30 (an index's own root)."""
    import numpy as np

    if quote_type != INDEX:
        return np.fromiter((False for _ in contracts), dtype=bool)
    own = underlying_root(underlying_symbol)
    return np.fromiter((s[:-_TAIL_LENGTH] == own for s in contracts), dtype=bool)
