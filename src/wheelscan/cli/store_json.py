"""The JSON documents of `status --json` and `results --json`, free of typer.

Both the typer commands (store_cmds.py) and the fast entry point (fast.py)
build their output here, so the two paths print the same document.
"""

from __future__ import annotations

from typing import Any

from wheelscan.store import PublishedResults, StoreStatus


def status_document(state: StoreStatus) -> dict[str, Any]:
    return {
        "running": state.running,
        "lock": state.lock.to_json() if state.lock else None,
        "progress": state.progress.to_json(with_results=False) if state.progress else None,
        "interrupted": state.interrupted,
        "last_run": state.last_run,
        "warning": state.warning,
    }


def results_document(published: PublishedResults, symbol: str | None) -> dict[str, Any]:
    """The published results (only `symbol`'s when given), with their age and staleness."""
    chosen = published.results
    if symbol is not None:
        chosen = {symbol: chosen[symbol]} if symbol in chosen else {}
    document = published.document()
    document["results"] = chosen
    document.update(
        age_s=None if published.age_s is None else round(published.age_s, 1),
        stale=published.stale,
        ttl_minutes=published.ttl_s / 60,
        last_run=published.last_run,
        warning=published.warning,
    )
    return document
