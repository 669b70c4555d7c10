"""What the app remembers between runs: theme, view, sort, filter, expanded tickers, details.

One JSON file in the state dir (`$WHEELSCAN_HOME/state/app.json`, else the
platform's user state dir), written atomically and 0600. Reading never fails:
a missing file is the defaults, and a file that does not read (bad JSON, a
value of the wrong kind) is ignored, wholly or for that value, with a warning
the app shows once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wheelscan.tui.columns import COLUMNS, SortOrder

STATE_FILE = "app.json"
VIEWS: tuple[str, ...] = ("puts", "all", "calls", "plan")
VIEW_TITLES: dict[str, str] = {
    "puts": "Puts",
    "all": "All candidates",
    "calls": "Calls",
    "plan": "Plan",
}
SORTED_VIEWS: tuple[str, ...] = ("puts", "all")
DEFAULT_SORTS: dict[str, SortOrder] = {
    "puts": SortOrder("ticker", descending=False),
    "all": SortOrder("ann", descending=True),
}


def default_state_file() -> Path:
    from wheelscan.paths import state_dir

    return state_dir() / STATE_FILE


@dataclass(frozen=True)
class UiState:
    """The app's remembered choices; `theme` None leaves Textual's default."""

    theme: str | None = None
    view: str = "puts"
    sorts: dict[str, SortOrder] = field(default_factory=lambda: dict(DEFAULT_SORTS))
    filter: str = ""
    expanded: tuple[str, ...] = ()
    details: bool = False

    def sort(self, view: str) -> SortOrder:
        return self.sorts.get(view, DEFAULT_SORTS.get(view, SortOrder()))

    def to_json(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "view": self.view,
            "sort": {
                view: {"key": order.key, "descending": order.descending}
                for view, order in self.sorts.items()
            },
            "filter": self.filter,
            "expanded": list(self.expanded),
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: Any) -> tuple[UiState, list[str]]:
        """The state a file's JSON value holds, and what in it was ignored (and why)."""
        if not isinstance(data, dict):
            return cls(), ["it is not a JSON object"]
        ignored: list[str] = []

        def take(name: str, check: Any, default: Any) -> Any:
            if name not in data:
                return default
            value = data[name]
            if check(value):
                return value
            ignored.append(f"{name} {json.dumps(value)[:40]}")
            return default

        sorts = dict(DEFAULT_SORTS)
        raw_sorts = take("sort", lambda v: isinstance(v, dict), {})
        for view, raw in raw_sorts.items():
            order = _sort_order(raw)
            if view in SORTED_VIEWS and order is not None:
                sorts[view] = order
            else:
                ignored.append(f"sort of {view!r}")
        state = cls(
            theme=take("theme", lambda v: v is None or isinstance(v, str), None),
            view=take("view", lambda v: v in VIEWS, "puts"),
            sorts=sorts,
            filter=take("filter", lambda v: isinstance(v, str), ""),
            expanded=tuple(
                take(
                    "expanded",
                    lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
                    [],
                )
            ),
            details=take("details", lambda v: isinstance(v, bool), False),
        )
        return state, ignored


def _sort_order(raw: Any) -> SortOrder | None:
    if not isinstance(raw, dict):
        return None
    key, descending = raw.get("key"), raw.get("descending")
    if key not in COLUMNS or not isinstance(descending, bool):
        return None
    return SortOrder(key, descending)


def load_state(path: Path) -> tuple[UiState, str | None]:
    """The state kept at `path` and a one-line warning about what was ignored, if anything."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UiState(), None
    except (OSError, UnicodeDecodeError) as error:
        return UiState(), f"ignored {path}: cannot read it ({error})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return UiState(), f"ignored {path}: not valid JSON ({error})"
    state, ignored = UiState.from_json(data)
    if ignored:
        return state, f"ignored in {path}: {'; '.join(ignored)}"
    return state, None


def save_state(path: Path, state: UiState) -> None:
    """Write the state (directory 0700, file 0600, atomically). Raises OSError (and
    UnsafePathError for a symlink)."""
    from wheelscan.files import atomic_write_text
    from wheelscan.paths import private_dir

    private_dir(path.parent)
    atomic_write_text(path, json.dumps(state.to_json(), indent=2) + "\n")
