"""How the app keeps what the user chose (tui.app_state): soon after each change, off the
event loop, and at once on the way out.

A mixin of `WheelscanApp` (tui.app), which holds `ui` and the widgets it reads;
its message handler goes by Textual's naming convention, since `@on` only
registers handlers defined in the App class itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from wheelscan.tui.app_state import UiState, save_state
from wheelscan.tui.runtime import while_running

if TYPE_CHECKING:
    from wheelscan.tui.puts_tree import PutsTree
    from wheelscan.tui.view import MainView

STATE_SAVE_S = 0.5


class RemembersChoices:
    """Saving `ui`; the App provides what is declared here."""

    ui: UiState
    state_file: Path | None
    save_pending: bool
    main: MainView
    theme: str
    is_running: bool
    notify: Callable[..., Any]
    set_timer: Callable[..., Any]
    call_from_thread: Callable[..., Any]

    @work(thread=True, group="state", exclusive=True, exit_on_error=False)
    def write_state(self, state: UiState) -> None:
        problem = self.save_ui(state)
        if problem:
            self.call_from_thread(self.notify, problem, title="App state", severity="warning")

    def save_ui(self, state: UiState) -> str | None:
        """Write the state file (blocking); what went wrong, if anything."""
        if self.state_file is None:
            return None
        try:
            save_state(self.state_file, state)
        except OSError as error:  # UnsafePathError too: the app goes on, unremembered
            return f"cannot keep the app's state: {error}"
        return None

    @while_running
    def save_due(self) -> None:
        self.save_pending = False
        self.write_state(self.ui)

    def ui_with(self, **changes: Any) -> UiState:
        """The UI state with `changes`, kept (soon, in a thread) in the state file."""
        self.ui = replace(self.ui, **changes)
        self.remember()
        return self.ui

    def remember(self, *, at_once: bool = False) -> None:
        """Keep what the user chose: within STATE_SAVE_S (or now, on the way out)."""
        if not self.is_running and not at_once:
            return
        tree = self.main.tree if self.main.is_mounted else None
        self.ui = replace(
            self.ui,
            theme=self.theme,
            expanded=tuple(sorted(tree.expanded_symbols)) if tree else self.ui.expanded,
            details=self.main.details_wanted,
        )
        if at_once:
            self.save_ui(self.ui)
        elif not self.save_pending:
            self.save_pending = True
            self.set_timer(STATE_SAVE_S, self.save_due)

    def on_puts_tree_toggled(self, message: PutsTree.Toggled) -> None:
        self.remember()

    def on_main_view_details_wanted(self, message: MainView.DetailsWanted) -> None:
        self.remember()
