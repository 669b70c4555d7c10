"""What the user does with the results: switch views, filter, sort, copy.

A mixin of `WheelscanApp` (tui.app), which holds the state it names and draws
(`refresh_views`, `refresh_status`); every choice goes to `ui_with`, which keeps
it (tui.remembering). Its message handlers go by Textual's naming convention,
since `@on` only registers handlers defined in the App class itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.actions import SkipAction
from textual.widgets import Input

from wheelscan.tui.app_state import SORTED_VIEWS, VIEWS, UiState
from wheelscan.tui.columns import SortOrder
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.help import HelpScreen
from wheelscan.tui.runtime import while_running
from wheelscan.tui.tickets import sell_ticket

if TYPE_CHECKING:
    from textual.screen import Screen

    from wheelscan.tui.grid import RowsTable
    from wheelscan.tui.view import MainView
    from wheelscan.tui.widgets import ViewBar


class Navigates:
    """Views, filter, sort and copy; the App provides what is declared here."""

    ui: UiState
    filter: ResultsFilter
    main: MainView
    screen: Screen
    screen_stack: list[Screen]
    notify: Callable[..., Any]
    push_screen: Callable[..., Any]
    copy_to_clipboard: Callable[[str], None]
    ui_with: Callable[..., UiState]
    refresh_views: Callable[[], None]
    refresh_status: Callable[[], None]
    load_side_view: Callable[[], None]
    order: Callable[[str], SortOrder]

    # -- views --------------------------------------------------------------------------

    def action_show_view(self, view: str) -> None:
        if view not in VIEWS:
            return
        self.main.switch(view)
        self.ui_with(view=view)
        if view == "all":
            self.main.show_candidates(self.filter, self.order("all"))
        if view in ("calls", "plan"):
            self.load_side_view()
        self.refresh_status()

    def action_next_view(self) -> None:
        self.action_show_view(VIEWS[(VIEWS.index(self.main.view) + 1) % len(VIEWS)])

    def on_view_bar_chosen(self, event: ViewBar.Chosen) -> None:
        self.action_show_view(event.view)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- sort ---------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        self.sort_view(lambda order: order.next_key())

    def action_sort_reverse(self) -> None:
        self.sort_view(lambda order: order.flipped())

    def on_rows_table_header_clicked(self, event: RowsTable.HeaderClicked) -> None:
        if event.table.id == "candidates":
            self.sort_view(lambda order: order.by(event.column))

    def sort_view(self, change: Callable[[SortOrder], SortOrder]) -> None:
        view = self.main.view
        if view not in SORTED_VIEWS:
            self.notify("The Puts and All candidates views sort; this one keeps its order.")
            return
        self.ui_with(sorts={**self.ui.sorts, view: change(self.order(view))})
        self.refresh_views()
        self.refresh_status()

    # -- filter: applied as it is typed -------------------------------------------------

    def action_filter(self) -> None:
        if self.main.filter_field.has_focus or self.screen is not self.screen_stack[0]:
            raise SkipAction  # a `/` typed in a field (b/e<50, the palette) is text
        self.main.open_filter(self.filter.text)

    @while_running
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.set_filter(event.value)

    @while_running
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.main.close_filter()

    def action_escape(self) -> None:
        if self.main.filter_open:
            self.main.close_filter()
        if self.filter.text:
            self.set_filter("")
        elif self.main.details_wanted:
            self.main.want_details(False)

    def set_filter(self, text: str) -> None:
        if text == self.filter.text:
            return
        self.filter = ResultsFilter.parse(text)
        self.ui_with(filter=self.filter.text)
        self.refresh_views()
        self.refresh_status()

    # -- copy ---------------------------------------------------------------------------

    def action_copy(self) -> None:
        self.copy_highlighted(ticket=False)

    def action_copy_ticket(self) -> None:
        self.copy_highlighted(ticket=True)

    def copy_highlighted(self, *, ticket: bool) -> None:
        """The highlighted contract's OCC symbol, or (`ticket`) a ticket selling it at the
        bid; in the Plan view, the action's own ticket. Copied, and said in a toast."""
        view = self.main.view
        text: str | None = None
        if view == "plan":
            action = self.main.cursor_action()
            text = None if action is None else action.get("ticket")
        elif view == "calls":
            call = self.main.cursor_call()
            if call is not None:
                text = sell_ticket(call["symbol"], call, "call") if ticket else call["contract"]
        elif (pair := self.main.cursor_contract()) is not None:
            row, candidate = pair
            text = sell_ticket(row.symbol, candidate, "put") if ticket else candidate["contract"]
        if text is None:
            what = "an action with a ticket" if view == "plan" else "a contract (enter opens one)"
            self.notify(f"Highlight {what} first.", title="Copy")
            return
        self.copy_to_clipboard(text)
        self.notify(text, title="Copied")
