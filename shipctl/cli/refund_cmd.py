"""`shipctl refund`: refund bought labels by reference, tracking code or shipment id."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import ExitCode


def refund(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(
        help="References, tracking codes or shp_ ids of bought labels.", show_default=False)],
    concurrency: opt.Concurrency = None,
) -> None:
    """Ask EasyPost to refund labels; prints each refund's status (exit 1 if any failed)."""
    from shipctl.jobs.refund import refund_labels

    context: AppContext = ctx.obj
    settings = context.settings
    if settings.simulate:
        context.notice("simulated: labels come from the built-in simulator and are not postage")
    outcomes = eventloop.run(refund_labels(settings, keys, concurrency=concurrency))
    table = Table(title="Refunds", title_justify="left")
    for column in ("key", "reference", "shipment", "status"):
        table.add_column(column)
    for outcome in outcomes:
        if outcome.result is not None:
            table.add_row(escape(outcome.key), escape(outcome.reference or ""),
                          outcome.result.shipment_id, outcome.result.refund_status)
    if table.row_count:
        print_table(context.stdout, table)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        context.stderr.print(f"[bold red]error:[/] {escape(outcome.error or outcome.key)}",
                             soft_wrap=True)
    raise typer.Exit(int(ExitCode.PARTIAL_FAILURE if failed else ExitCode.SUCCESS))
