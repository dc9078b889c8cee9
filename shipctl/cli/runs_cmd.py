"""`shipctl runs`: past runs, one run's orders, and its files exported again."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli import print_options as po
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table

if TYPE_CHECKING:
    from shipctl.jobs.printroom import PrintRoom
    from shipctl.jobs.runs import RunSummary, RunWorker

class RunKind(StrEnum):
    BULK = "bulk"
    TRACK = "track"
    CREATE = "create"
    REFUND = "refund"
    ALL = "all"


app = typer.Typer(help="Past runs and their orders.", invoke_without_command=True)


@app.callback()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
    kind: Annotated[RunKind, typer.Option(
        "--kind", help="Which runs: bulk files (the default), track sweeps, single labels "
        "(create), refunds, or all.")] = RunKind.BULK,
) -> None:
    """List recent runs: orders, labels bought, spend; dry runs marked."""
    if ctx.invoked_subcommand is not None:
        return
    from shipctl.jobs.runs import list_runs

    context: AppContext = ctx.obj
    chosen = None if kind is RunKind.ALL else kind.value
    found = eventloop.run(list_runs(context.settings, limit, chosen))
    if not found:
        context.stdout.print("no runs yet" if chosen is None else
                             f"no {chosen} runs yet (--kind all lists every run)")
        return
    modes = {run.mode for run in found}
    title = "Runs" if chosen is None else f"{chosen.capitalize()} runs"
    if len(modes) == 1:
        title += f" ({modes.pop()})"
    print_table(context.stdout, _runs_table(found, title, kind=chosen is None,
                                            mode=len({run.mode for run in found}) > 1))


SHORT_MODES = {"simulated": "sim"}


def _runs_table(found: list[RunSummary], title: str, *, kind: bool, mode: bool) -> Table:
    """Fits 80 columns: every value whole but the input path, which folds."""
    rows = []
    for run in found:
        status = "dry run" if run.dry_run and run.status.value == "completed" else (
            f"{run.status.value}, dry" if run.dry_run else run.status.value)
        rows.append({
            "run": str(run.id), "kind": run.kind, "mode": SHORT_MODES.get(run.mode, run.mode),
            "started": f"{run.started_at:%Y-%m-%d %H:%M}", "status": status,
            "orders": f"{run.orders_total:,}", "bought": f"{run.purchased:,}",
            "failed": f"{run.failed:,}",
            "spend": f"${run.spend:,.2f}" if run.kind in ("bulk", "create") else "",
            "input": escape(run.input_path or ""),
        })
    failed = ["failed"] if any(run.failed for run in found) else []
    columns = ["run", *(["kind"] if kind else []), *(["mode"] if mode else []), "started",
               "status", "orders", "bought", *failed, "spend", "input"]
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0),
                  header_style="bold")
    for column in columns:
        whole = max(len(column), *(len(row[column]) for row in rows))
        numeric = column in ("run", "orders", "bought", "failed", "spend")
        if column == "input":
            table.add_column(column, overflow="fold", ratio=1, min_width=len(column))
        else:
            table.add_column(column, justify="right" if numeric else "left", no_wrap=True,
                             min_width=whole)
    for row in rows:
        table.add_row(*(row[column] for column in columns))
    return table



@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The run number (see `shipctl runs`).")],
    results_out: Annotated[Path | None, typer.Option("--results-out",
                                                     help="Write the results CSV.")] = None,
    labels_out: Annotated[Path | None, typer.Option("--labels-out",
                                                    help="Write the labels (.pdf/.zpl).")] = None,
    force: opt.Force = False,
    sort: po.Sort = None,
    labels_layout: po.LabelsLayout = None,
    packing_slips: po.PackingSlips = None,
    slips_with_labels: po.SlipsWithLabels = False,
    print_: po.Print = False,
    printer: po.Printer = None,
) -> None:
    """A run's orders; with --results-out / --labels-out / --packing-slips, its files again
    (sorted and laid out as the run was, unless told otherwise)."""
    from shipctl.jobs.runs import show_run

    context: AppContext = ctx.obj

    def room(recorded: Mapping[str, Any]) -> PrintRoom:
        return po.print_room(
            context.settings, sort=sort, layout=labels_layout, dpi=None, slips=packing_slips,
            slips_with_labels=slips_with_labels or bool(
                recorded.get("slips_with_labels") and labels_out
                and labels_out.suffix.lower() == ".pdf"),
            print_=print_, printer=printer, labels_out=labels_out, defaults=dict(recorded),
        )

    detail = eventloop.run(show_run(context.settings, run_id, results_out=results_out,
                                    labels_out=labels_out, force=force,
                                    carriers=context.carriers, print_room=room))
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
                _finished(worker), "?" if worker.died else str(worker.bought),
            )
        print_table(context.stdout, workers)
    if results_out:
        context.stdout.print(f"results: {results_out}")
    if labels_out:
        context.stdout.print(f"labels:  {labels_out} ({detail.labels_written} labels)")
    if packing_slips:
        context.stdout.print(f"slips:   {packing_slips} ({detail.slips_written} slips)")
    for said in detail.printed:
        context.stdout.print(f"printed: {escape(said)}")


def _finished(worker: RunWorker) -> str:
    """When the worker finished; a killed one, when it was first seen dead."""
    if worker.finished_at is None:
        return "working"
    return f"died (seen {worker.finished_at:%H:%M:%S})" if worker.died \
        else f"{worker.finished_at:%H:%M:%S}"
