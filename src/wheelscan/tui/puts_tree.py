"""The puts view's tree: one line per ticker, its candidates below it when it is open.

Drawn a line at a time (tui.line_view) like tui.grid's table. Textual's Tree asks
for a layout pass (a repaint of the whole screen) at every change of a node and
renders every visible line again after each, which while hundreds of tickers
stream in kept the event loop busy for most of each frame. Here nothing changes
the layout; a ticker's lines are built when first drawn (only those on screen
ever are) and kept until it changes, and after a change only the screen lines
that show something else are drawn again: tickers landing below the window cost
no drawing. The hint of an empty tree is drawn in it (a widget shown and hidden
beside it was a layout pass each time). The labels fit the width (tui.labels
picks the columns): the tree never scrolls sideways, the column header above it
stays aligned.

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
from textual.strip import Strip

from wheelscan.tui.columns import SortOrder
from wheelscan.tui.line_view import LineView, WidgetMessage
from wheelscan.tui.model import TickerRow

OPEN, CLOSED, LEAF, LAST_LEAF, NO_CHILDREN = "▼ ", "▶ ", "├── ", "└── ", "  "


@dataclass(frozen=True)
class NodeRef:
    """What a line stands for: a ticker, or one of its contracts."""

    symbol: str
    contract: str | None = None


@dataclass
class _Ticker:
    """A ticker as the tree draws it, from `row` and `marks`; its label and leaves are
    built when first drawn and kept until the ticker changes."""

    row: TickerRow
    marks: Any
    place: tuple[Any, ...]
    drawn_as: tuple[object, ...]
    contracts: list[str]
    built_label: Text | None = None
    built_leaves: dict[str, Text] | None = None

    @property
    def label(self) -> Text:
        if self.built_label is None:
            self.built_label = self.marks.label(self.row)
        return self.built_label

    def leaf(self, contract: str) -> Text:
        if self.built_leaves is None:
            self.built_leaves = {
                c["contract"]: self.marks.leaf(self.row, c) for c in self.row.candidates
            }
        return self.built_leaves[contract]


class PutsTree(LineView):
    """Tickers in the sort order, each with its candidates as aligned leaves."""

    own_scrollbar = True
    hint_class = "puts-tree--guide"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open / details", show=False),
        Binding("space", "toggle", "Toggle", show=False),
        Binding("right", "open", "Open", show=False),
        Binding("left", "close", "Close", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"puts-tree--cursor", "puts-tree--guide"}
    DEFAULT_CSS = """
    PutsTree { height: 1fr; overflow: hidden hidden; }
    PutsTree > .puts-tree--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; }
    PutsTree:blur > .puts-tree--cursor { background: $block-cursor-blurred-background; }
    PutsTree > .puts-tree--guide { color: $text-muted; }
    """

    @dataclass
    class Highlighted(WidgetMessage):
        ref: NodeRef | None

    @dataclass
    class Selected(WidgetMessage):
        """Enter on a contract."""

        ref: NodeRef

    @dataclass
    class Toggled(WidgetMessage):
        """A ticker was opened or closed (the app remembers which are open)."""

        symbol: str
        expanded: bool

    @dataclass
    class Resized(WidgetMessage):
        """Its width changed: the columns that fit may have too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tickers: dict[str, _Ticker] = {}
        self.ordered: list[str] = []
        self.places: list[tuple[Any, ...]] = []
        """`ordered`'s tickers' places in the order, for bisecting."""
        self.expanded_symbols: set[str] = set()
        self.order: SortOrder | None = None
        self.lines: list[NodeRef] = []
        self.strips: dict[str, dict[str | None, Strip]] = {}
        self.changed: set[str] = set()
        """The tickers drawn differently since the screen was last told what to redraw."""
        self.cursor_moved = False
        """Until the user moves the cursor it stays on the first line, whatever streams in;
        then it stays on what it is on."""

    # -- what it shows --------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return list(self.ordered)

    def label(self, symbol: str) -> Text:
        return self.tickers[symbol].label

    def contracts(self, symbol: str) -> list[str]:
        return list(self.tickers[symbol].contracts)

    def is_expanded(self, symbol: str) -> bool:
        ticker = self.tickers.get(symbol)
        return symbol in self.expanded_symbols and ticker is not None and bool(ticker.contracts)

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def label_width(self) -> int:
        """The width lines are drawn in: the tree's, less its scrollbar's cell."""
        width = self.scrollable_content_region.width
        return width - 1 if self._bar_for(len(self.lines)) else width

    def _bar_for(self, lines: int) -> bool:
        return lines > self.scrollable_content_region.height

    @property
    def cursor_ref(self) -> NodeRef | None:
        return self.at_cursor(self.lines)

    def line_text(self, index: int) -> Text:
        """Line `index` as drawn (without the cursor's style)."""
        ref = self.lines[index]
        ticker = self.tickers[ref.symbol]
        if ref.contract is None:
            icon = (
                (OPEN if self.is_expanded(ref.symbol) else CLOSED)
                if ticker.contracts
                else NO_CHILDREN
            )
            return Text.assemble((icon, "dim"), ticker.label)
        guide = LAST_LEAF if ticker.contracts[-1] == ref.contract else LEAF
        return Text.assemble((guide, "dim"), ticker.leaf(ref.contract))

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
            self.places.clear()
            self.strips.clear()
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

    def _position(self, symbol: str) -> int:
        """Where `symbol` is in `ordered` (bisecting its place; a tie is looked for)."""
        index = bisect.bisect_left(self.places, self.tickers[symbol].place)
        if index < len(self.ordered) and self.ordered[index] == symbol:
            return index
        return self.ordered.index(symbol)

    def _drop(self, symbol: str) -> bool:
        if symbol not in self.tickers:
            return False
        index = self._position(symbol)
        del self.ordered[index], self.places[index], self.tickers[symbol]
        self.strips.pop(symbol, None)
        return True

    def _show(self, row: TickerRow, marks: Any, place: tuple[Any, ...]) -> bool:
        drawn_as = marks.drawn_as(row)
        old = self.tickers.get(row.symbol)
        if old is not None and old.place == place and old.drawn_as == drawn_as:
            return False
        if old is not None and old.place != place:
            self._drop(row.symbol)
            old = None
        contracts = [candidate["contract"] for candidate in row.candidates]
        self.tickers[row.symbol] = _Ticker(row, marks, place, drawn_as, contracts)
        if old is None:
            index = bisect.bisect(self.places, place)
            self.ordered.insert(index, row.symbol)
            self.places.insert(index, place)
        self.strips.pop(row.symbol, None)
        self.changed.add(row.symbol)
        return True

    def _relayout(self, everything: bool = False) -> None:
        """Flatten the open tickers into lines; the cursor stays on what it was on. Only
        the screen lines that now show something else are drawn again (`everything`:
        all of them)."""
        was, before, cursor_before = self.cursor_ref, self.lines, self.cursor
        top_before = round(self.scroll_y)
        lines: list[NodeRef] = []
        for symbol in self.ordered:
            lines.append(NodeRef(symbol))
            if symbol in self.expanded_symbols:
                lines.extend(NodeRef(symbol, c) for c in self.tickers[symbol].contracts)
        self.lines = lines
        self.size_to(Size(0, len(lines)))  # never wider than the screen: no sideways scroll
        index = self._index_of(was) if self.cursor_moved else 0
        self.set_reactive(PutsTree.cursor, max(0, min(index, len(lines) - 1)))
        bar_came = self._bar_for(len(lines)) != self._bar_for(len(before))
        if everything or bar_came or not before or not lines or round(self.scroll_y) != top_before:
            self.refresh()
        else:
            self._redraw_changed(before, cursor_before)
            moved = set(self.bar_rows(len(before), top_before)) ^ set(
                self.bar_rows(len(lines), self.scroll_y)
            )
            self.refresh_rows(sorted(top_before + y for y in moved))
        self.changed.clear()
        if self.cursor_ref != was:
            self.post_message(self.Highlighted(self, self.cursor_ref))
        if bar_came:
            self.post_message(self.Resized(self))

    def _redraw_changed(self, before: list[NodeRef], cursor_before: int) -> None:
        """Redraw the screen lines whose line, ticker or cursor mark changed."""
        top = round(self.scroll_y)
        moved = self.cursor != cursor_before
        dirty = []
        for index in range(top, top + self.scrollable_content_region.height):
            old = before[index] if index < len(before) else None
            new = self.lines[index] if index < len(self.lines) else None
            ticker_changed = new is not None and new.symbol in self.changed
            if old != new or ticker_changed or (moved and index in (cursor_before, self.cursor)):
                dirty.append(index)
        self.refresh_rows(dirty)

    def _index_of(self, ref: NodeRef | None) -> int:
        """The line of `ref`, else of its ticker, else the cursor's (kept in range)."""
        for wanted in (ref, NodeRef(ref.symbol)) if ref is not None else ():
            if wanted in self.lines:
                return self.lines.index(wanted)
        return self.cursor if ref is None else min(self.cursor, len(self.lines) - 1)

    def expand(self, symbol: str, expanded: bool = True) -> None:
        if symbol not in self.tickers or (symbol in self.expanded_symbols) == expanded:
            return
        if expanded:
            self.expanded_symbols.add(symbol)
        else:
            self.expanded_symbols.discard(symbol)
        self.strips.get(symbol, {}).pop(None, None)
        self.changed.add(symbol)
        self._relayout()
        self.post_message(self.Toggled(self, symbol, expanded))

    def move_to(self, ref: NodeRef) -> None:
        if ref in self.lines:
            self.cursor = self.lines.index(ref)

    # -- drawing ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.cursor_moved = True
        self.keep_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_ref))

    def on_resize(self) -> None:
        self.strips.clear()
        self._relayout(everything=True)
        self.post_message(self.Resized(self))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.strips.clear()

    def render_line(self, y: int) -> Strip:
        """Line `y`, and the scrollbar's cell on its right when the lines need one (the
        strips kept are the full width: the bar's coming needs none made again)."""
        width = self.scrollable_content_region.width
        line = self._line(round(self.scroll_y) + y, y, width)
        if self.label_width == width:
            return line
        return Strip.join([line.crop(0, width - 1), self.bar_cell(y)])

    def _line(self, index: int, y: int, width: int) -> Strip:
        if index >= len(self.lines):
            return self.hint_line(y, width)
        ref = self.lines[index]
        kept = self.strips.setdefault(ref.symbol, {})
        strip = kept.get(ref.contract)
        if strip is None:
            segments = Segment.apply_style(
                self.line_text(index).render(self.app.console), self.base_style
            )
            strip = kept[ref.contract] = Strip(segments).crop_extend(0, width, self.base_style)
        if index != self.cursor:
            return strip
        cursor = self.get_component_rich_style("puts-tree--cursor")
        over = Style(bgcolor=cursor.bgcolor, color=cursor.color, bold=True)
        return Strip(Segment.apply_style(strip, post_style=over), strip.cell_length)

    # -- keys and mouse -----------------------------------------------------------------

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
