"""The puts view's tree: one line per ticker, its candidates below it when it is open.

Drawn a line at a time like tui.grid's table. Textual's Tree asks for a layout
pass (a repaint of the whole screen) at every change of a node and renders every
visible line again after each, which while hundreds of tickers stream in kept
the event loop busy for most of each frame; here a changed ticker re-renders its
own lines only (each line's strip is kept until its ticker changes), and nothing
here changes the layout. The labels fit the width (tui.labels picks the columns),
so the tree never scrolls sideways and the column header above it stays aligned.

Keys: up/down/page/home/end move, enter opens a ticker (or selects a contract:
the details), space toggles, right opens, left closes (or goes to the ticker).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from wheelscan.tui.columns import SortOrder
from wheelscan.tui.model import TickerRow

OPEN, CLOSED, LEAF, LAST_LEAF, NO_CHILDREN = "▼ ", "▶ ", "├── ", "└── ", "  "


@dataclass(frozen=True)
class NodeRef:
    """What a line stands for: a ticker, or one of its contracts."""

    symbol: str
    contract: str | None = None


@dataclass
class _Ticker:
    label: Text
    leaves: list[tuple[str, Text]]
    place: tuple[Any, ...]
    drawn_as: tuple[object, ...]


class PutsTree(ScrollView, can_focus=True):
    """Tickers in the sort order, each with its candidates as aligned leaves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open / details", show=False),
        Binding("space", "toggle", "Toggle", show=False),
        Binding("right", "open", "Open", show=False),
        Binding("left", "close", "Close", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"puts-tree--cursor", "puts-tree--guide"}
    DEFAULT_CSS = """
    PutsTree { height: 1fr; overflow-x: hidden; }
    PutsTree > .puts-tree--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; }
    PutsTree:blur > .puts-tree--cursor { background: $block-cursor-blurred-background; }
    PutsTree > .puts-tree--guide { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        tree: PutsTree
        ref: NodeRef | None

        @property
        def control(self) -> PutsTree:
            return self.tree

    @dataclass
    class Selected(Message):
        """Enter on a contract."""

        tree: PutsTree
        ref: NodeRef

        @property
        def control(self) -> PutsTree:
            return self.tree

    @dataclass
    class Toggled(Message):
        """A ticker was opened or closed (the app remembers which are open)."""

        tree: PutsTree
        symbol: str
        expanded: bool

        @property
        def control(self) -> PutsTree:
            return self.tree

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tickers: dict[str, _Ticker] = {}
        self.ordered: list[str] = []
        self.expanded_symbols: set[str] = set()
        self.order: SortOrder | None = None
        self.lines: list[NodeRef] = []
        self.strips: dict[str, dict[str | None, Strip]] = {}
        self.cursor_moved = False
        """Until the user moves the cursor it stays on the first line, whatever streams in;
        then it stays on what it is on."""

    # -- what it shows --------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return list(self.ordered)

    def label(self, symbol: str) -> Text:
        return self.tickers[symbol].label

    def contracts(self, symbol: str) -> list[str]:
        return [contract for contract, _ in self.tickers[symbol].leaves]

    def is_expanded(self, symbol: str) -> bool:
        return symbol in self.expanded_symbols and bool(self.tickers.get(symbol, None))

    @property
    def cursor_ref(self) -> NodeRef | None:
        return self.lines[self.cursor] if 0 <= self.cursor < len(self.lines) else None

    def line_text(self, index: int) -> Text:
        """Line `index` as drawn (without the cursor's style)."""
        ref = self.lines[index]
        ticker = self.tickers[ref.symbol]
        if ref.contract is None:
            icon = (
                (OPEN if self.is_expanded(ref.symbol) else CLOSED) if ticker.leaves else NO_CHILDREN
            )
            return Text.assemble((icon, "dim"), ticker.label)
        contracts = [contract for contract, _ in ticker.leaves]
        label = dict(ticker.leaves)[ref.contract]
        guide = LAST_LEAF if contracts[-1] == ref.contract else LEAF
        return Text.assemble((guide, "dim"), label)

    # -- changes ------------------------------------------------------------------------

    def prune(self, wanted: list[str], order: SortOrder) -> list[str]:
        """Remove the tickers not in `wanted` (all of them when the ones kept are not in
        `wanted`'s order, or the order is another one); returns `wanted`, to be drawn
        (`update_rows`) a batch at a time."""
        keep = set(wanted)
        kept = [symbol for symbol in self.ordered if symbol in keep]
        if order != self.order or kept != [symbol for symbol in wanted if symbol in self.tickers]:
            self.tickers.clear()
            self.ordered.clear()
        else:
            for symbol in [s for s in self.ordered if s not in keep]:
                self._drop(symbol)
        self.order = order
        self._relayout()
        return wanted

    def update_rows(
        self, rows: Iterable[TickerRow], hidden: Iterable[str], marks: Any, order: SortOrder
    ) -> None:
        """Add or update the tickers of `rows` at their place in `order`, remove `hidden`.
        A ticker drawn from the same row and marks at the same place is left alone."""
        self.order = order
        changed = False
        for symbol in hidden:
            changed = self._drop(symbol) or changed
        for row in rows:
            changed = self._show(row, marks, order.ticker_key(row)) or changed
        if changed:
            self._relayout()

    def _drop(self, symbol: str) -> bool:
        if self.tickers.pop(symbol, None) is None:
            return False
        self.ordered.remove(symbol)
        return True

    def _show(self, row: TickerRow, marks: Any, place: tuple[Any, ...]) -> bool:
        drawn_as = marks.drawn_as(row)
        old = self.tickers.get(row.symbol)
        if old is not None and old.place == place and old.drawn_as == drawn_as:
            return False
        leaves = [(c["contract"], marks.leaf(row, c)) for c in row.candidates]
        if old is not None and old.place != place:
            self.ordered.remove(row.symbol)
            old = None
        self.tickers[row.symbol] = _Ticker(marks.label(row), leaves, place, drawn_as)
        if old is None:
            places = [self.tickers[s].place for s in self.ordered]
            self.ordered.insert(bisect.bisect(places, place), row.symbol)
        self.strips.pop(row.symbol, None)
        return True

    def _relayout(self) -> None:
        """Flatten the open tickers into lines; the cursor stays on what it was on."""
        was = self.cursor_ref
        lines: list[NodeRef] = []
        for symbol in self.ordered:
            lines.append(NodeRef(symbol))
            if symbol in self.expanded_symbols:
                lines.extend(NodeRef(symbol, c) for c, _ in self.tickers[symbol].leaves)
        self.lines = lines
        self.strips = {s: kept for s, kept in self.strips.items() if s in self.tickers}
        self._size_to(Size(self.scrollable_content_region.width, len(lines)))
        index = self._index_of(was) if self.cursor_moved else 0
        self.set_reactive(PutsTree.cursor, max(0, min(index, len(lines) - 1)))
        self.refresh()
        if self.cursor_ref != was:
            self.post_message(self.Highlighted(self, self.cursor_ref))

    def _size_to(self, size: Size) -> None:
        """The scroll height follows the lines. Setting `virtual_size` asks for a layout
        pass (the whole screen); it is needed only when the scrollbar comes or goes,
        otherwise the bar is told its new proportions."""
        if size == self.virtual_size:
            return
        height = self.container_size.height
        same_bar = (size.height > height) == (self.virtual_size.height > height)
        if not same_bar or size.width != self.virtual_size.width:
            self.virtual_size = size
            return
        self.set_reactive(Widget.virtual_size, size)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = size.height
            bar.window_size = height
            bar.refresh()
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def _index_of(self, ref: NodeRef | None) -> int:
        if ref is None:
            return self.cursor
        if ref in self.lines:
            return self.lines.index(ref)
        ticker = NodeRef(ref.symbol)
        return (
            self.lines.index(ticker)
            if ticker in self.lines
            else min(self.cursor, len(self.lines) - 1)
        )

    def expand(self, symbol: str, expanded: bool = True) -> None:
        if symbol not in self.tickers or (symbol in self.expanded_symbols) == expanded:
            return
        if expanded:
            self.expanded_symbols.add(symbol)
        else:
            self.expanded_symbols.discard(symbol)
        self.strips.get(symbol, {}).pop(None, None)
        self._relayout()
        self.post_message(self.Toggled(self, symbol, expanded))

    def move_to(self, ref: NodeRef) -> None:
        if ref in self.lines:
            self.cursor = self.lines.index(ref)

    # -- drawing ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.cursor_moved = True
        self._keep_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_ref))

    def _keep_cursor_visible(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    @dataclass
    class Resized(Message):
        """Its width changed: the columns that fit may have too."""

        tree: PutsTree

        @property
        def control(self) -> PutsTree:
            return self.tree

    def on_resize(self) -> None:
        self.strips.clear()
        self._relayout()
        self.post_message(self.Resized(self))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        ref = self.lines[index]
        kept = self.strips.setdefault(ref.symbol, {})
        strip = kept.get(ref.contract)
        if strip is None:
            segments = Segment.apply_style(
                self.line_text(index).render(self.app.console), self.rich_style
            )
            strip = kept[ref.contract] = Strip(segments).crop_extend(0, width, self.rich_style)
        if index != self.cursor:
            return strip
        cursor = self.get_component_rich_style("puts-tree--cursor")
        over = Style(bgcolor=cursor.bgcolor, color=cursor.color, bold=True)
        return Strip(Segment.apply_style(strip, post_style=over), strip.cell_length)

    # -- keys and mouse -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.lines:
            self.cursor = min(len(self.lines) - 1, max(0, self.cursor + step))

    def action_page(self, pages: int) -> None:
        self.action_move(pages * max(1, self.scrollable_content_region.height))

    def action_jump(self, index: int) -> None:
        if self.lines:
            self.cursor = index % len(self.lines)

    def action_toggle(self) -> None:
        ref = self.cursor_ref
        if ref is not None:
            self.expand(ref.symbol, not self.is_expanded(ref.symbol))
            self.move_to(NodeRef(ref.symbol))

    def action_open(self) -> None:
        ref = self.cursor_ref
        if ref is not None and ref.contract is None:
            self.expand(ref.symbol)

    def action_close(self) -> None:
        ref = self.cursor_ref
        if ref is None:
            return
        if ref.contract is None:
            self.expand(ref.symbol, False)
        else:
            self.move_to(NodeRef(ref.symbol))

    def action_select(self) -> None:
        ref = self.cursor_ref
        if ref is None:
            return
        if ref.contract is None:
            self.action_toggle()
        else:
            self.post_message(self.Selected(self, ref))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if not 0 <= index < len(self.lines):
            return
        if index == self.cursor or (self.lines[index].contract is None and event.x < 2):
            self.cursor = index
            self.action_select()
        else:
            self.cursor = index
