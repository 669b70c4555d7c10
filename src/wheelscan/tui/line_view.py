"""What the app's line-drawn widgets share (the puts tree, tui.puts_tree; the tables,
tui.grid): a line cursor and its keys, a scroll height set without a layout pass,
redrawing only the screen lines that changed, and messages that name their widget.

A layout pass (Textual reflowing and repainting the whole screen, 20-70 ms on a
small machine) was the event loop's longest stall while a scan streams in;
setting `virtual_size` asks for one even when nothing on screen moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from math import ceil
from typing import ClassVar, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

Item = TypeVar("Item")

LINE_KEYS: list[BindingType] = [
    Binding("up", "cursor(-1)", "Up", show=False),
    Binding("down", "cursor(1)", "Down", show=False),
    Binding("pageup", "page(-1)", "Page up", show=False),
    Binding("pagedown", "page(1)", "Page down", show=False),
    Binding("home", "jump(0)", "First", show=False),
    Binding("end", "jump(-1)", "Last", show=False),
]


@dataclass
class WidgetMessage(Message):
    """A message about the widget that posts it, its `control`: `@on(Message, "#id")`
    picks it by that widget's id."""

    widget: Widget

    @property
    def control(self) -> Widget:
        return self.widget


def runs(rows: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(first, count) of each run of consecutive numbers in the ascending `rows`."""
    first = last = None
    for row in rows:
        if first is not None and last is not None and row != last + 1:
            yield first, last - first + 1
            first = None
        if first is None:
            first = row
        last = row
    if first is not None and last is not None:
        yield first, last - first + 1


def thumb(virtual: int, window: int, position: float) -> tuple[int, int]:
    """The cells where a vertical scrollbar `window` cells high draws its thumb (Textual's
    ScrollBarRender draws its ends in eighths of a cell; a bar is redrawn when its thumb
    moves by a cell, not at every eighth: redrawing it costs a frame of several ms)."""
    if not window or virtual <= window:
        return (0, 0)
    size = max(1.0, window * window / virtual)
    start = (window - size) * position / (virtual - window)
    return int(start), ceil(start + size)


class LineView(ScrollView, can_focus=True):
    """Lines with a cursor; `header_lines` on top stay when the rest scrolls down."""

    BINDINGS: ClassVar[list[BindingType]] = LINE_KEYS
    header_lines: ClassVar[int] = 0
    own_scrollbar: ClassVar[bool] = False
    """The widget draws its own scrollbar, one cell wide (`bar_cell`), and hides
    Textual's: Textual's coming or going is three layout passes in a row."""
    hint_class: ClassVar[str] = ""
    """The component class the hint is drawn in."""

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.thumb_drawn = (0, 0)
        self.style_drawn: Style | None = None
        self.bar_strips: tuple[Strip, Strip] | None = None
        self.hint = ""
        """What the view says while it has no lines (drawn in it: a widget shown and
        hidden beside it is a layout pass each time)."""

    @property
    def base_style(self) -> Style:
        """The widget's style, worked out from its CSS once until the CSS changes
        (`rich_style` works it out at every call: most of the cost of drawing a line)."""
        if self.style_drawn is None:
            self.style_drawn = self.rich_style
        return self.style_drawn

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.style_drawn = self.bar_strips = None

    def bar_rows(self, lines: int, top: float) -> range:
        """The screen rows of the own scrollbar's thumb, `lines` lines scrolled to `top`."""
        start, end = thumb(lines, self.scrollable_content_region.height, top)
        return range(start, end)

    def bar_cell(self, y: int) -> Strip:
        """Screen row `y`'s cell of the own scrollbar: its track or its thumb."""
        if self.bar_strips is None:
            _, background = self.background_colors
            track = background + self.styles.scrollbar_background
            handle = track + self.styles.scrollbar_color
            self.bar_strips = (
                Strip([Segment(" ", Style(bgcolor=track.rich_color))], 1),
                Strip([Segment(" ", Style(bgcolor=handle.rich_color))], 1),
            )
        return self.bar_strips[y in self.bar_rows(self.line_count, self.scroll_y)]

    @property
    def allow_vertical_scroll(self) -> bool:
        """With its own scrollbar (Textual's hidden) the view still scrolls: keys, the
        wheel."""
        if not self.own_scrollbar:
            return super().allow_vertical_scroll
        lines = self.virtual_size.height
        return not self._check_disabled() and lines > self.scrollable_content_region.height

    @property
    def line_count(self) -> int:
        """How many lines the cursor moves over."""
        raise NotImplementedError

    def at_cursor(self, items: Sequence[Item]) -> Item | None:
        """The item of `items` (one per line) the cursor is on."""
        return items[self.cursor] if 0 <= self.cursor < len(items) else None

    @property
    def showing_hint(self) -> bool:
        return not self.line_count and bool(self.hint)

    def show_hint(self, hint: str) -> None:
        if hint != self.hint:
            self.hint = hint
            if not self.line_count:
                self.refresh()

    def hint_line(self, y: int, width: int) -> Strip:
        """Screen row `y` past the lines: blank, or while there are none the hint, wrapped
        4 cells in below a blank line."""
        if not self.showing_hint:
            return Strip.blank(width, self.base_style)
        lines = Text(self.hint).wrap(self.app.console, max(10, width - 8))
        if not 1 <= y <= len(lines):
            return Strip.blank(width, self.base_style)
        style = self.base_style + self.get_component_rich_style(self.hint_class)
        text = Text("    ", style=style) + lines[y - 1]
        text.stylize(style)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, self.base_style)

    @property
    def lines_shown(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_lines)

    def action_cursor(self, step: int) -> None:
        if self.line_count:
            self.cursor = min(self.line_count - 1, max(0, self.cursor + step))

    def action_page(self, pages: int) -> None:
        self.action_cursor(pages * self.lines_shown)

    def action_jump(self, index: int) -> None:
        if self.line_count:
            self.cursor = index % self.line_count

    def keep_cursor_visible(self) -> None:
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.lines_shown:
            self.scroll_to(y=self.cursor - self.lines_shown + 1, animate=False, immediate=True)

    def size_to(self, size: Size) -> None:
        """The scroll size follows the lines. Setting `virtual_size` asks for a layout
        pass; it is needed only when a scrollbar comes or goes (or the width changes),
        otherwise the vertical bar is told its new proportions, and redrawn only when
        its thumb moves."""
        if size == self.virtual_size:
            return
        if self.own_scrollbar:
            self.set_reactive(Widget.virtual_size, size)
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
            return
        height = self.container_size.height
        same_bar = (size.height > height) == (self.virtual_size.height > height)
        if not same_bar or size.width != self.virtual_size.width:
            self.virtual_size = size
            return
        self.set_reactive(Widget.virtual_size, size)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            bar.set_reactive(ScrollBar.window_size, height)
            drawn = thumb(size.height, height, self.scroll_y)
            if drawn != self.thumb_drawn:
                self.thumb_drawn = drawn
                bar.refresh()

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Redraw these lines (numbered from the first line, the header's included)."""
        for first, count in runs(rows):
            self.refresh_lines(first, count)
