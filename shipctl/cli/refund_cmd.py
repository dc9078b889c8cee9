"""`shipctl refund`: refund bought labels by reference, tracking code or shipment id, after
showing what will be refunded; `--status` follows submitted refunds up."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import ExitCode, InputError

if TYPE_CHECKING:
    from shipctl.jobs.refund import FollowUpReport, RefundPlan, RefundReport
    from shipctl.store.shipments import StoredOrder


class By(StrEnum):
    """Which field of a label a key is matched against."""

    REFERENCE = "reference"
    TRACKING_CODE = "tracking-code"
    SHIPMENT_ID = "shipment-id"


STATUS_STYLE = {"submitted": "green", "refunded": "bold green", "rejected": "bold red",
                "not_applicable": "bold red"}
REFUSED_NOTE = ("the carrier rejected the refund, or found the label already scanned "
                "(not_applicable): the label is still valid and was paid for, its order is "
                "`purchased` again; after a rejection `shipctl refund KEY` asks again")


def refund(
    ctx: typer.Context,
    keys: Annotated[list[str] | None, typer.Argument(
        help="References, tracking codes or shp_ ids of bought labels.", show_default=False,
        metavar="KEY")] = None,
    by: Annotated[By | None, typer.Option(
        "--by", help="Match the keys against this field only (default: any of them).",
        show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Refund without asking.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be refunded; refund nothing.")] = False,
    status: Annotated[bool, typer.Option(
        "--status", help="Read every submitted refund again and record EasyPost's answer.")
    ] = False,
    concurrency: opt.Concurrency = None,
    store: opt.Store = None,
) -> None:
    """Ask EasyPost to refund labels, after showing them (reference, carrier, service, tracking
    code, amount) and confirming. A key matching more than one shipment refunds nothing (exit 2).
    Only labels of the current mode (simulated, test or live) are matched."""
    context: AppContext = ctx.obj
    if status:
        if keys or by or dry_run:
            raise InputError("--status takes no keys, --by or --dry-run: it follows every "
                             "submitted refund up")
        raise typer.Exit(int(_follow_up(context)))
    if not keys:
        raise InputError("name the labels to refund (reference, tracking code or shipment "
                         "id), or pass --status to follow refunds up")
    if not dry_run and not yes and not context.interactive:
        raise InputError("no terminal to confirm the refund on: pass --yes to refund, or "
                         "--dry-run to see what would be refunded")
    from shipctl.jobs.refund import refund_labels

    settings = context.settings
    if store:
        settings = settings.model_copy(update={"store": store})
    if settings.simulate:
        context.notice("simulated: labels come from the built-in simulator and are not postage")

    def decide(plan: RefundPlan) -> bool:
        _show_plan(context, plan)
        if dry_run or yes:
            return not dry_run
        from rich.prompt import Confirm

        count = len(plan.labels)
        return Confirm.ask(f"Refund {count} label{'s' if count != 1 else ''} "
                           f"(${plan.total:,.2f})?", console=context.stderr, default=False)

    report = eventloop.run(refund_labels(
        settings, keys, by=by.value if by else None, decide=decide, dry_run=dry_run,
        concurrency=concurrency, carriers=context.carriers))
    raise typer.Exit(int(_show_report(context, report)))


def _label_row(order: StoredOrder) -> list[str]:
    amount = "" if order.rate is None else f"${order.rate:,.2f}"
    return [escape(order.reference), escape(order.carrier or ""), escape(order.service or ""),
            escape(order.tracking_code or ""), amount]


def _show_plan(context: AppContext, plan: RefundPlan) -> None:
    count = len(plan.labels)
    table = Table(title=f"To refund: {count} {plan.mode} label{'s' if count != 1 else ''}, "
                  f"${plan.total:,.2f}", title_justify="left")
    noted = any(order.refund_status == "rejected" for _, order in plan.labels)
    for column in ("key", "reference", "carrier", "service", "tracking code", "amount",
                   "shipment", *(("note",) if noted else ())):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for key, order in plan.labels:
        note = ("[red]its earlier refund was rejected[/]" if order.refund_status == "rejected"
                else "")
        table.add_row(escape(key), *_label_row(order), order.shipment_id or "",
                      *((note,) if noted else ()))
    print_table(context.stdout, table)


def _show_report(context: AppContext, report: RefundReport) -> ExitCode:
    out, err = context.stdout, context.stderr
    for problem in report.plan.ambiguous:
        table = Table(title=f"{escape(problem.key)} matches {len(problem.matches)} shipments",
                      title_justify="left")
        for column in ("reference", "carrier", "service", "tracking code", "amount",
                       "shipment", "state"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for order in problem.matches:
            table.add_row(*_label_row(order), order.shipment_id or "", order.state.value)
        print_table(out, table)
    for problem in report.plan.problems:
        if problem.code == "ALREADY_REQUESTED":
            out.print(f"[yellow]{escape(problem.message)}[/]", soft_wrap=True)
        else:
            err.print(f"[bold red]error:[/] {escape(problem.message)}", soft_wrap=True)
    if report.status == "refused":
        count = len(report.plan.ambiguous)
        err.print(f"[bold red]nothing refunded:[/] {count} key{'s' if count != 1 else ''} "
                  "name more than one shipment", soft_wrap=True)
        return ExitCode.BAD_INPUT
    if report.status == "dry_run":
        out.print("dry run: nothing refunded")
    elif report.status == "declined":
        out.print("not confirmed: nothing refunded")
        return ExitCode.INTERRUPTED
    elif report.status == "done":
        _show_outcomes(context, report)
    failed = report.failed or any(p.code != "ALREADY_REQUESTED" for p in report.plan.problems)
    return ExitCode.PARTIAL_FAILURE if failed else ExitCode.SUCCESS


def _show_outcomes(context: AppContext, report: RefundReport) -> None:
    table = Table(title="Refunds", title_justify="left")
    for column in ("key", "reference", "carrier", "service", "tracking code", "amount",
                   "status"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    refused = False
    for outcome in report.outcomes:
        if outcome.result is None:
            continue
        state = outcome.result.refund_status
        refused = refused or state in ("rejected", "not_applicable")
        table.add_row(escape(outcome.key), *_label_row(outcome.order),
                      f"[{STATUS_STYLE.get(state, 'yellow')}]{escape(state)}[/]")
    if table.row_count:
        print_table(context.stdout, table)
    if refused:
        context.stdout.print(f"[bold red]not refunded:[/] {REFUSED_NOTE}", soft_wrap=True)
    for outcome in report.failed:
        context.stderr.print(f"[bold red]error:[/] {escape(outcome.error or outcome.key)}",
                             soft_wrap=True)


def _follow_up(context: AppContext) -> ExitCode:
    from shipctl.jobs.refund import follow_up_refunds

    settings = context.settings
    if settings.simulate:
        context.notice("simulated: labels come from the built-in simulator and are not postage")
    report = eventloop.run(follow_up_refunds(settings, carriers=context.carriers))
    show_follow_up(context, report)
    return ExitCode.PARTIAL_FAILURE if report.refused or report.failed else ExitCode.SUCCESS


def show_follow_up(context: AppContext, report: FollowUpReport) -> None:
    """The submitted refunds read again; a refused one in red, with what it means."""
    out = context.stdout
    if not report.followed:
        out.print(f"no {report.mode} refund is waiting for the carrier's answer")
        return
    table = Table(title=f"Submitted refunds read again ({report.mode})", title_justify="left")
    for column in ("reference", "carrier", "service", "tracking code", "amount", "status"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for item in report.followed:
        shown = (f"[{STATUS_STYLE.get(item.status, 'yellow')}]{escape(item.status)}[/]"
                 if item.status else "[red]not read[/]")
        table.add_row(*_label_row(item.order), shown)
    print_table(out, table)
    counts = {s: sum(1 for f in report.followed if f.status == s)
              for s in ("submitted", "refunded", "rejected", "not_applicable", "not_requested")}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none read")
    if counts["not_requested"]:
        out.print(f"{counts['not_requested']} not_requested: the request whose answer was lost "
                  "never reached EasyPost; the label is still valid (`shipctl refund KEY` asks "
                  "again)", soft_wrap=True)
    if report.refused:
        out.print(f"[bold red]{len(report.refused)} not refunded:[/] {REFUSED_NOTE}",
                  soft_wrap=True)
    for item in report.failed:
        context.stderr.print(f"[bold red]error:[/] {escape(item.order.reference)}: "
                             f"{escape(item.error or '')}", soft_wrap=True)
