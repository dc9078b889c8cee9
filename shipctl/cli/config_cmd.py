"""`shipctl config`: the effective settings and where each came from."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table

app = typer.Typer(help="Show the effective settings.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print every setting, its value (secrets masked) and where it came from."""
    from shipctl.config import describe

    context: AppContext = ctx.obj
    loaded = context.loaded()
    table = Table(title="shipctl settings", title_justify="left")
    table.add_column("setting", style="bold")
    table.add_column("value")
    table.add_column("from", style="dim")
    for name, value, source in describe(loaded):
        table.add_row(name, escape(value), escape(source))
    print_table(context.stdout, table)
    context.stdout.print("settings files, lowest first (then environment, then flags):")
    for layer in loaded.files:
        state = "read" if layer.exists else "absent"
        context.stdout.print(f"  {layer.kind}: {escape(str(layer.path))} ({state})",
                             soft_wrap=True)
