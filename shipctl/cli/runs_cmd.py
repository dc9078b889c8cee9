"""`shipctl runs`: past runs, one run's orders, and its files exported again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table

app = typer.Typer(help="Past runs and their orders.", invoke_without_command=True)


@app.callback()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
) -> None:
    """List recent runs with their counts."""
    if ctx.invoked_subcommand is not None:
        return
    from shipctl.jobs.runs import list_runs

    context: AppContext = ctx.obj
    found = eventloop.run(list_runs(context.settings, limit))
    if not found:
        context.stdout.print("no runs yet")
        return
    table = Table(title="Runs", title_justify="left")
    for column in ("run", "kind", "mode", "input", "status", "orders", "purchased", "failed",
                   "already", "started"):
        table.add_column(column)
    for run in found:
        table.add_row(str(run.id), run.kind, run.mode, escape(run.input_path or ""), run.status,
                      str(run.orders_total), str(run.purchased), str(run.failed),
                      str(run.already_purchased), f"{run.started_at:%Y-%m-%d %H:%M}")
    print_table(context.stdout, table)


@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The run number (see `shipctl runs`).")],
    results_out: Annotated[Path | None, typer.Option("--results-out",
                                                     help="Write the results CSV.")] = None,
    labels_out: Annotated[Path | None, typer.Option("--labels-out",
                                                    help="Write the labels (.pdf/.zpl).")] = None,
    force: opt.Force = False,
) -> None:
    """A run's orders; with --results-out / --labels-out, its files again."""
    from shipctl.jobs.runs import show_run

    context: AppContext = ctx.obj
    detail = eventloop.run(show_run(context.settings, run_id, results_out=results_out,
                                    labels_out=labels_out, force=force,
                                    carriers=context.carriers))
    run = detail.run
    context.stdout.print(
        f"run {run.id} · {run.kind} · {run.mode} · {escape(run.input_path or '')} · {run.status}"
    )
    table = Table()
    for column in ("reference", "state", "carrier", "service", "rate", "tracking", "error"):
        table.add_column(column, overflow="fold")
    for order in detail.orders:
        table.add_row(escape(order.reference), order.state.value, order.carrier or "",
                      order.service or "", f"{order.rate}" if order.rate is not None else "",
                      order.tracking_code or "", escape(order.error_code or ""))
    print_table(context.stdout, table)
    if detail.workers:
        workers = Table(title="Workers", title_justify="left")
        for column in ("host", "pid", "how", "started", "finished", "bought"):
            workers.add_column(column, justify="right" if column == "bought" else "left")
        for worker in detail.workers:
            workers.add_row(
                escape(worker.host), str(worker.pid), "joined" if worker.joined else "started",
                f"{worker.started_at:%Y-%m-%d %H:%M:%S}",
                f"{worker.finished_at:%H:%M:%S}" if worker.finished_at else "working",
                str(worker.bought),
            )
        print_table(context.stdout, workers)
    if results_out:
        context.stdout.print(f"results: {results_out}")
    if labels_out:
        context.stdout.print(f"labels:  {labels_out} ({detail.labels_written} labels)")
