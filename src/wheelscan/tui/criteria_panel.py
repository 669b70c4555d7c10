"""`k`: the put criteria (SPEC 3) in a panel, one line each, every value editable.

The rows are the fields of `Criteria` (`CRITERIA`), named by their config keys,
each with its range as the config file checks it. Enter in a row asks the app to
write that one key to config.toml (`Apply`); the app answers with `written` or
`refused`, and the one-line message shows at the panel's foot. The panel sits at
the screen's foot and stays open while the new results stream in above it (the
status line and the progress stay in sight); esc closes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from wheelscan.core.criterion import Criterion
from wheelscan.core.models import CRITERIA, Criteria

INPUT_PREFIX = "criteria-"
HINT = "enter: write to config.toml and re-evaluate · ↑↓ move · esc closes"


def shown_value(value: float | str) -> str:
    """A criterion's value as the user types it: 30, 0.2, inf, exclude."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:g}"


def rule_text(criterion: Criterion) -> str:
    """What the config file accepts for it: '>= 0', 'in (0, 1]', 'exclude | flag | ignore'."""
    if criterion.choices:
        return " | ".join(criterion.choices)
    kind = "whole number " if criterion.whole else ""
    return f"{kind}{criterion.valid.text}" if criterion.valid else ""


def input_key(widget_id: str | None) -> str | None:
    """The config key a row's Input edits, from its id (None for any other widget)."""
    if widget_id and widget_id.startswith(INPUT_PREFIX):
        key = widget_id.removeprefix(INPUT_PREFIX)
        return key if key in CRITERIA else None
    return None


class CriteriaPanel(ModalScreen[None]):
    """The criteria, over the app; esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("up", "app.focus_previous", "Previous", show=False),
        Binding("down", "app.focus_next", "Next", show=False),
    ]

    @dataclass
    class Apply(Message):
        """The user asks for `key` = `text` (as typed) in config.toml."""

        key: str
        text: str

    def __init__(self, criteria: Criteria, focus_key: str | None = None, note: str = "") -> None:
        super().__init__()
        self.criteria = criteria
        self.focus_key = focus_key if focus_key in CRITERIA else next(iter(CRITERIA))
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="criteria-box"):
            yield Label(Text("Put criteria (config.toml, used by s, scan and cron)", style="bold"))
            for name, criterion in CRITERIA.items():
                with Horizontal(classes="criteria-row"):
                    yield Label(name, classes="criteria-key")
                    yield Input(
                        shown_value(getattr(self.criteria, name)),
                        id=INPUT_PREFIX + name,
                        compact=True,
                        select_on_focus=True,
                        classes="criteria-value",
                    )
                    yield Label(rule_text(criterion), classes="criteria-rule")
            yield Static(id="criteria-help")
            yield Static(self.note, id="criteria-message")
            yield Static(Text(HINT, style="dim"), id="criteria-hint")

    def on_mount(self) -> None:
        self.value_input(self.focus_key).focus()

    def value_input(self, key: str) -> Input:
        return self.query_one(f"#{INPUT_PREFIX}{key}", Input)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The focused row's meaning under the rows."""
        key = input_key(event.control.id)
        if key is not None:
            criterion = CRITERIA[key]
            self.query_one("#criteria-help", Static).update(f"{criterion.label}: {criterion.help}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = input_key(event.input.id)
        if key is None:
            return
        event.stop()
        self.say(f"writing {key} = {event.value.strip()}…", "dim")
        self.post_message(self.Apply(key, event.value))

    # -- what the app answers -----------------------------------------------------------

    def written(self, criteria: Criteria, message: str) -> None:
        """The file holds `criteria` now: the rows it changed show their value (the others
        keep what the user may be typing there)."""
        for name in CRITERIA:
            if getattr(criteria, name) != getattr(self.criteria, name):
                self.value_input(name).value = shown_value(getattr(criteria, name))
        self.criteria = criteria
        self.say(message, "green")

    def refused(self, key: str, message: str) -> None:
        """Nothing was written: the message, and the row's text left to fix."""
        self.say(message, "bold red")
        self.value_input(key).focus()

    def say(self, message: str, style: str) -> None:
        self.note = message
        self.query_one("#criteria-message", Static).update(Text(message, style=style))

    def action_close(self) -> None:
        self.dismiss(None)
