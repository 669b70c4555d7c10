"""Tables that fit the console.

Each column has a priority, and columns are dropped lowest priority first until
the rest fit at their full width, so a number is never cut. Only a text column
marked `shrink` (a path) may be shortened, with an ellipsis.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

PIPED_WIDTH = 160
COLUMN_GAP = 3  # rich's SIMPLE_HEAD box: a space, the divider, a space
Row = dict[str, Any]  # one candidate plus its `ticker` and `price`


def stdout_console() -> Console:
    """A console on stdout: the terminal's width, else $COLUMNS, else wide enough for
    every column (piped output keeps whole rows)."""
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(file=sys.stdout, width=PIPED_WIDTH if wide else None, highlight=False)


@dataclass(frozen=True)
class Column:
    """A table column: `priority` 0 is always shown, higher numbers are dropped first."""

    header: str
    priority: int
    cell: Callable[[Row], str]
    justify: str = "right"
    shrink: int = 0  # a text column that may be cut to this many cells (0: never cut)


def fit_table(columns: Sequence[Column], rows: Sequence[Row], width: int) -> Table:
    """The rows under the columns that fit in `width`, in the columns' order."""
    cells = [[column.cell(row) for row in rows] for column in columns]
    natural = [
        max([cell_len(column.header), *map(cell_len, texts)])
        for column, texts in zip(columns, cells, strict=True)
    ]
    widths: dict[int, int] = {}
    used = 0
    for index in sorted(range(len(columns)), key=lambda i: columns[i].priority):
        column = columns[index]
        gap = COLUMN_GAP if widths else 0
        room = width - used - gap
        if natural[index] <= room or column.priority == 0:
            widths[index] = natural[index]
        elif column.shrink and room >= column.shrink:
            widths[index] = room
        else:
            break
        used += gap + widths[index]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    chosen = sorted(widths)
    for index in chosen:
        column = columns[index]
        table.add_column(
            column.header,
            justify=column.justify,  # type: ignore[arg-type]
            width=widths[index],
            no_wrap=True,
            overflow="ellipsis",
        )
    for position in range(len(rows)):
        table.add_row(*(Text(cells[index][position]) for index in chosen))
    return table
