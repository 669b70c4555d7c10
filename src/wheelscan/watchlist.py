"""The watchlist: the symbols a watchlist scan covers."""

from __future__ import annotations

import tomllib
from importlib.resources import files


def default_symbols() -> list[str]:
    """The watchlist shipped with the package, used until the user writes their own."""
    text = files("wheelscan").joinpath("data/default_watchlist.toml").read_text()
    return list(tomllib.loads(text)["tickers"])
