"""Ticker symbols as Yahoo writes them (SPEC 4)."""

from __future__ import annotations

import re

from wheelscan.core.errors import InputError

_SYMBOL = re.compile(r"[A-Z0-9.\-^=]{1,10}")


class SymbolError(InputError):
    """A string that cannot be a Yahoo ticker symbol."""


def normalize_symbol(raw: str) -> str:
    """Upper-cased, validated symbol: letters, digits, `.`, `-`, `^`, `=`, 1–10 chars."""
    symbol = raw.strip().upper()
    if not _SYMBOL.fullmatch(symbol) or symbol.strip(".") == "":
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise SymbolError(f"invalid symbol {shown!r}: use 1–10 of A–Z 0–9 . - ^ =")
    return symbol


def normalize_symbols(raw: list[str]) -> list[str]:
    """Validated symbols in order, duplicates dropped."""
    return list(dict.fromkeys(normalize_symbol(s) for s in raw))
