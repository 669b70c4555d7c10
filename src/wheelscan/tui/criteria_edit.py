"""Changing the put criteria from the app: config.toml first, then a re-evaluation.

The criteria live in one place, config.toml, which the app's scan process, `scan`
and cron all read: an edit in the panel (tui.criteria_panel) goes through
`config.set_value`, the code behind `wheelscan config set` (validated with the
config file's rules and messages, atomic, comments kept), in a thread worker.
Once written, the app starts its scan process exactly as `s` does; inside
`chain_cache_minutes` it re-evaluates the answers the store keeps without a
request (SPEC 1.4), and the status line says so from the published scan record.

A scan already running (the app's own, or another process's) is not disturbed:
the file is written at once and the re-evaluation starts when that scan ends.

A mixin of `WheelscanApp` (tui.app); its message handlers go by Textual's naming
convention, since `@on` only registers handlers defined in the App class itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.message import Message

from wheelscan.cli.messages import plural
from wheelscan.core.models import CRITERIA, Criteria, ScanState
from wheelscan.tui.criteria_panel import CriteriaPanel, shown_value
from wheelscan.tui.formatting import criteria_summary
from wheelscan.tui.runtime import while_running

if TYPE_CHECKING:
    from textual.screen import Screen

    from wheelscan.config import Settings
    from wheelscan.store import PublishedResults
    from wheelscan.tui.scan_state import ScanRun

_WRITING = threading.Lock()
"""One read-modify-write of config.toml at a time (two quick edits, two workers)."""

CHANGED = "criteria changed"
NEW_CRITERIA = " with the new criteria"


@dataclass
class CriterionWritten(Message):
    """What became of `key` = `text`: the criteria config.toml now gives (`criteria`) and
    what to tell the user; `refused`: nothing was written. `changed`: the file changed."""

    key: str
    criteria: Criteria | None
    message: str
    refused: bool = False
    changed: bool = False


def write_criterion(key: str, text: str, path: Path) -> CriterionWritten:
    """Write `key` = `text` to the config file at `path`, as `wheelscan config set` does
    (blocking: call it off the event loop). A value equal to the file's writes nothing."""
    from wheelscan.config import KEYS, load_settings, set_value
    from wheelscan.config_keys import ConfigError

    with _WRITING:
        try:
            before = load_settings(path)
            value = KEYS[key].parse(text)
            if KEYS[key].check(value) is None and value == before.value(key):
                return CriterionWritten(
                    key, before.criteria, f"{key} is {shown_value(value)} already"
                )
            stored, removed = set_value(key, text, path)
            after = load_settings(path)
        except ConfigError as error:
            return CriterionWritten(key, None, str(error), refused=True)
        except OSError as error:
            return CriterionWritten(key, None, f"{path}: cannot write: {error}", refused=True)
    message = f"{key} = {shown_value(stored)} in {path.name}"
    if removed:
        message += f" ({', '.join(removed)} removed: it set the same)"
    return CriterionWritten(key, after.criteria, message, changed=True)


class EditsCriteria:
    """The criteria panel's edits and the re-evaluation they start; the App provides what
    is declared here."""

    scan: ScanRun
    settings: Settings
    screen_stack: list[Screen]
    notify: Callable[..., Any]
    post_message: Callable[..., Any]
    push_screen: Callable[..., Any]
    call_later: Callable[..., Any]
    refresh_status: Callable[[], None]
    action_scan: Callable[[], None]

    criteria_note: str = ""
    """What the status line says before the criteria ("criteria changed: …")."""
    criteria_pending: bool = False
    """Written while a scan ran: re-evaluate once no scan runs."""
    criteria_scan_live: bool = False
    """The own scan running now was started for a criteria change."""
    criteria_retried: bool = False
    """The re-evaluation of the last edit was started again once already."""
    criteria_scan_due: bool = False
    """A re-evaluation succeeded: the next results published with these criteria are its."""

    # -- keys and commands -------------------------------------------------------------

    def action_criteria(self, key: str | None = None) -> None:
        """Open the criteria panel (on `key`'s row)."""
        if self.criteria_panel() is None:
            self.push_screen(CriteriaPanel(self.settings.criteria, key, self.criteria_note))
        elif key is not None:
            panel = self.criteria_panel()
            assert panel is not None
            panel.value_input(key).focus()

    def criteria_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Criteria", "Edit the put criteria; re-evaluates at once (k)", self.action_criteria
        )
        for name, criterion in CRITERIA.items():
            now = shown_value(getattr(self.settings.criteria, name))
            yield SystemCommand(
                f"Criteria: {name}",
                f"{criterion.help} (now {now})",
                partial(self.action_criteria, name),
            )

    def criteria_status(self) -> str:
        """The status line's criteria, after the note of a change when there is one."""
        summary = criteria_summary(self.settings.criteria)
        return f"{self.criteria_note} · {summary}" if self.criteria_note else summary

    # -- the write, in a thread ---------------------------------------------------------

    @work(thread=True, group="criteria", exit_on_error=False)
    def write_criterion_file(self, key: str, text: str) -> None:
        self.post_message(write_criterion(key, text, self.settings.path))

    def on_criteria_panel_apply(self, message: CriteriaPanel.Apply) -> None:
        self.write_criterion_file(message.key, message.text)

    @while_running
    def on_criterion_written(self, message: CriterionWritten) -> None:
        panel = self.criteria_panel()
        if message.refused or message.criteria is None:
            if panel is not None:
                panel.refused(message.key, message.message)
            else:
                self.notify(message.message, title="Criteria", severity="error")
            return
        text = message.message
        if message.changed:
            self.settings = replace(self.settings, criteria=message.criteria)
            self.criteria_retried = False
            text += " · " + self.reevaluate()
            self.refresh_status()
        if panel is not None:
            panel.written(message.criteria, text)

    # -- the re-evaluation ----------------------------------------------------------------

    def reevaluate(self) -> str:
        """Start the scan process as `s` does, or once the running scan ends; says which."""
        if self.scan.running:
            self.criteria_pending = True
            self.set_criteria_note("re-evaluating once the running scan ends")
            return "re-evaluating after the running scan"
        self.criteria_pending = False
        self.criteria_scan_live = True
        self.action_scan()
        if self.scan.mode != "scanning":
            self.criteria_scan_live = False
            return "not re-evaluated (see the scan's message)"
        self.scan = replace(self.scan, subject=self.scan.subject + NEW_CRITERIA)
        self.set_criteria_note("re-evaluating…")
        if self.settings.chain_cache_minutes <= 0:
            return "re-scanning (chain_cache_minutes = 0 keeps no answers)…"
        return "re-evaluating the cached answers…"

    def criteria_follow_scan(self, old: ScanRun, new: ScanRun) -> None:
        """Every change of the scan record: a re-evaluation that ended is reported (from
        the results it publishes), a pending one starts once no scan runs."""
        started = new.running and not old.running
        if started and new.mode == "scanning" and self.criteria_pending:
            # `s` pressed meanwhile: its process reads the config.toml written already.
            self.criteria_pending, self.criteria_scan_live = False, True
            self.set_criteria_note("re-evaluating…")
        elif started and not self.criteria_scan_live and not self.criteria_pending:
            self.set_criteria_note("")  # another scan: the note is of an older one
        if not old.running or new.running:
            return
        if self.criteria_scan_live:
            self.criteria_scan_live = False
            if new.outcome is ScanState.SUCCEEDED:
                self.criteria_scan_due = True
            elif new.outcome is None and not self.criteria_retried:
                # Another process took the lock first (the app watches it now): once more
                # after it, and only once, so an odd end can never loop.
                self.criteria_pending = self.criteria_retried = True
            else:
                self.set_criteria_note(f"the re-evaluation {new.outcome.lower()}")
        if self.criteria_pending:
            self.call_later(self.start_pending_criteria)

    @while_running
    def start_pending_criteria(self) -> None:
        if self.criteria_pending and not self.scan.running:
            self.reevaluate()

    def criteria_results_loaded(self, published: PublishedResults) -> None:
        """The results the re-evaluation published: how many answers came from cache."""
        scan = published.scan or {}
        if not self.criteria_scan_due or scan.get("criteria") != self.settings.criteria.to_json():
            return
        self.criteria_scan_due = False
        cached, requests = int(scan.get("cached_answers") or 0), int(scan.get("requests") or 0)
        note = f"{plural(cached, 'answer')} from cache, {plural(requests, 'request')}"
        self.set_criteria_note(note)
        panel = self.criteria_panel()
        if panel is not None:
            panel.say(f"Re-evaluated with the new criteria: {note}.", "green")

    # -- helpers ------------------------------------------------------------------------

    def set_criteria_note(self, text: str) -> None:
        self.criteria_note = f"{CHANGED}: {text}" if text else ""

    def criteria_panel(self) -> CriteriaPanel | None:
        for screen in self.screen_stack:
            if isinstance(screen, CriteriaPanel):
                return screen
        return None
