"""Printing Rich tables: fit a terminal, but never cut a figure short in a file or a pipe."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


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
