"""Printing Rich tables: fit a terminal, but never cut a figure short in a file or a pipe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_table(console: Console, table: Table) -> None:
    """On a terminal, fit its width; in a file or a pipe, print the table at full width.

    Off a terminal Rich assumes 80 columns, which turns tracking codes, dates and money into
    `94006387…`: cron mail and redirected output must keep every value whole.
    """
    if console.is_terminal:
        console.print(table)
        return
    natural = console.measure(table, options=console.options.update_width(10_000)).maximum
    width = console.width  # print(width=) may only narrow the output
    console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width


BAR_WIDTH = 40  # the longest bar of a bar column, when there is room
MIN_BAR_WIDTH = 8
NAME_FOLD = 12
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Column:
    """A table column as plain text: figures are never wrapped, names wrap at spaces."""

    title: str
    cells: list[str]
    numeric: bool = False
    optional: bool = False  # may be left out to fit a narrow terminal


def _longest_word(texts: Sequence[str]) -> int:
    return max((cell_len(word) for text in texts for word in text.split()), default=1)


def _widest(texts: Sequence[str]) -> int:
    return max((cell_len(text) for text in texts), default=1)


def _minimum(column: Column) -> int:
    # a figure keeps its line; a header wraps only between words; a name may wrap, and fold
    # a word longer than NAME_FOLD (it is a name, not a number)
    words = _widest(column.cells) if column.numeric else min(_longest_word(column.cells), NAME_FOLD)
    return max(words, _longest_word([column.title]))


def bar(fraction: float, width: int) -> str:
    """A bar of `width` cells at most; any non-zero value shows at least one cell."""
    return "█" * max(1 if fraction > 0 else 0, round(width * fraction))


def sparkline(values: Sequence[float]) -> str:
    """One character per value, its height relative to the largest."""
    peak = max(values, default=0) or 1
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / peak * (len(SPARKS) - 1) + 0.5))]
                   for v in values)


def fitted_table(
    columns: Sequence[Column],
    *,
    title: str,
    width: int | None,
    bars: Sequence[float] | None = None,
    caption: str | None = None,
) -> Table:
    """A table no wider than `width` (None: its natural width, for a file or a pipe).

    Figures and header words are never split: names wrap between words, optional columns
    are left out (and named in the caption) when even that is too wide, and the bar column
    (`bars`: each row's fraction of the longest) gets the room that is left, if any.
    """
    shown = list(columns)
    left_out: list[str] = []
    if width is not None:
        # each column costs its padding and one rule; the table one more rule; a bar column
        # is worth more than an optional column
        bar_room = MIN_BAR_WIDTH + 3 if bars is not None else 0
        while (sum(_minimum(c) + 3 for c in shown) + 1 + bar_room > width
               and any(c.optional for c in shown)):
            dropped = next(c for c in reversed(shown) if c.optional)
            shown.remove(dropped)
            left_out.append(dropped.title)
        if bars is not None and sum(_minimum(c) + 3 for c in shown) + 1 + bar_room > width:
            bars, bar_room = None, 0
        # narrower still: the rightmost columns go, never part of a figure
        while sum(_minimum(c) + 3 for c in shown) + 1 > width and len(shown) > 2:
            left_out.append(shown.pop().title)
    widths = [_minimum(c) for c in shown]
    bar_width = BAR_WIDTH
    if width is not None:
        room = width - sum(w + 3 for w in widths) - 1 - bar_room
        for i, column in enumerate(shown):  # widen wrapped columns to their natural width
            grow = min(room, max(_widest([column.title, *column.cells]) - widths[i], 0))
            widths[i] += grow
            room -= grow
        bar_width = min(BAR_WIDTH, room + bar_room - 3)
    table = Table(title=title, title_justify="left")
    for column, column_width in zip(shown, widths, strict=True):
        table.add_column(
            column.title,
            justify="right" if column.numeric else "left",
            # widths fit every figure whole; a header wraps between its words
            overflow="fold",
            width=column_width if width is not None else None,
        )
    with_bars = bars is not None and bar_width >= MIN_BAR_WIDTH
    if with_bars:
        table.add_column("", no_wrap=True, style="cyan")
    rows = max((len(c.cells) for c in shown), default=0)
    for index in range(rows):
        cells = [Text(c.cells[index]) for c in shown]
        if with_bars:
            assert bars is not None
            cells.append(Text(bar(bars[index], bar_width)))
        table.add_row(*cells)
    notes = [caption] if caption else []
    if left_out:
        order = [c.title for c in columns]
        left_out.sort(key=order.index)
        notes.append(f"left out to fit {width} columns: {', '.join(left_out)}")
    table.caption = "; ".join(notes) or None
    return table


def fit_width(console: Console) -> int | None:
    """The width to fit tables to: the terminal's, or None (full width) for a file or a pipe."""
    return console.width if console.is_terminal else None
