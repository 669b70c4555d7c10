"""A table of many rows drawn a line at a time, its header scrolling sideways with them.

The all-candidates, calls and plan views use it. Textual's DataTable measures
every cell of every row it is given, on the event loop, which for the thousands
of candidates of a large watchlist blocks the app for seconds at each re-sort or
keystroke of the filter. `RowsTable` keeps its rows as data, makes the cells of
a line only when that line is drawn (the visible ones), and has fixed column
widths. Line 0 is the header: it stays on top when the rows scroll down and
moves with them when they scroll sideways, so values stay under their headings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.strip import Strip

from wheelscan.tui.line_view import LINE_KEYS, LineView, WidgetMessage

RowData = TypeVar("RowData")


@dataclass(frozen=True)
class GridColumn:
    key: str
    title: str
    width: int
    right: bool = False


def row_text(columns: Sequence[GridColumn], cells: Sequence[Text | str]) -> Text:
    """One line: each cell padded or cut (with …) to its column, one space between two."""
    line = Text(no_wrap=True)
    for index, (column, cell) in enumerate(zip(columns, cells, strict=False)):
        if index:
            line.append(" ")
        text = cell if isinstance(cell, Text) else Text(cell)
        if text.cell_len > column.width:
            text = text.copy()
            text.truncate(column.width, overflow="ellipsis")
        padding = " " * (column.width - text.cell_len)
        if column.right:
            line.append(padding)
            line.append_text(text)
        else:
            line.append_text(text)
            line.append(padding)
    return line


@dataclass
class TableMessage(WidgetMessage):
    @property
    def table(self) -> RowsTable[Any]:
        return self.widget  # type: ignore[return-value]


class RowsTable(LineView, Generic[RowData]):
    """Rows of `RowData`, drawn by `cells(row)`; a row cursor; a clickable header."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *LINE_KEYS,
        Binding("enter", "select", "Details", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rows-table--header", "rows-table--cursor"}
    DEFAULT_CSS = """
    RowsTable { height: 1fr; }
    RowsTable > .rows-table--header { text-style: bold; color: $text-muted; }
    RowsTable > .rows-table--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; }
    RowsTable:blur > .rows-table--cursor { background: $block-cursor-blurred-background; }
    """
    header_lines = 1

    @dataclass
    class Highlighted(TableMessage):
        key: str | None

    @dataclass
    class Selected(TableMessage):
        key: str | None

    @dataclass
    class Resized(TableMessage):
        """Its width changed: the columns that fit may have too."""

    @dataclass
    class HeaderClicked(TableMessage):
        column: str

    def __init__(self, cells: Callable[[RowData], Sequence[Text | str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cells = cells
        self.columns: list[GridColumn] = []
        self.keys: list[str] = []
        self.data: list[RowData] = []
        self.header = Text()

    # -- what it shows ----------------------------------------------------------------

    def show(
        self,
        columns: Sequence[GridColumn],
        rows: Sequence[tuple[str, RowData]],
        header: Text | None = None,
    ) -> None:
        """Show `rows` (key, data) under `columns`; the cursor stays on its key if it can."""
        was = self.cursor_key
        self.columns = list(columns)
        self.keys = [key for key, _ in rows]
        self.data = [data for _, data in rows]
        self.header = header or row_text(self.columns, [c.title for c in self.columns])
        width = sum(c.width for c in self.columns) + max(0, len(self.columns) - 1)
        self.size_to(Size(width, len(self.keys) + 1))
        index = self.keys.index(was) if was in self.keys else min(self.cursor, len(self.keys) - 1)
        self.cursor = max(0, index)
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self.keys)

    @property
    def cursor_key(self) -> str | None:
        return self.at_cursor(self.keys)

    @property
    def cursor_data(self) -> RowData | None:
        return self.at_cursor(self.data)

    def line_text(self, index: int) -> Text:
        """Row `index` as it is drawn (without the cursor's style)."""
        return row_text(self.columns, self.cells(self.data[index]))

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized(self))

    def watch_cursor(self, cursor: int) -> None:
        self.keep_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))

    # -- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            text, style = self.header, self.get_component_rich_style("rows-table--header")
        else:
            index = scroll_y + y - 1
            if index >= len(self.keys):
                return Strip.blank(width, self.base_style)
            text = self.line_text(index)
            style = (
                self.get_component_rich_style("rows-table--cursor")
                if index == self.cursor
                else Style()
            )
        segments = list(text.render(self.app.console))
        strip = Strip(Segment.apply_style(segments, self.base_style + style))
        return strip.crop_extend(scroll_x, scroll_x + width, self.base_style + style)

    # -- keys and mouse -----------------------------------------------------------------

    def action_select(self) -> None:
        self.post_message(self.Selected(self, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        x = event.x + round(self.scroll_x)
        if event.y == 0:
            left = 0
            for column in self.columns:
                if left <= x < left + column.width + 1:
                    self.post_message(self.HeaderClicked(self, column.key))
                    return
                left += column.width + 1
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.keys):
            if index == self.cursor and event.chain > 1:
                self.action_select()
            self.cursor = index
