"""`shipctl pickup`: schedule a carrier pickup of the day's labels, list them, cancel one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import ExitCode

if TYPE_CHECKING:
    from shipctl.jobs.pickup import PickupOutcome, ScheduleReport

app = typer.Typer(help="Carrier pickups of the day's labels.", no_args_is_help=True)


@app.command("schedule")
def schedule_cmd(
    ctx: typer.Context,
    day: Annotated[str, typer.Option(
        "--date", help="Pickup day, the labels' ship date: today, tomorrow or YYYY-MM-DD.")
    ] = "today",
    window: Annotated[str, typer.Option(
        "--window", help="When the carrier may come, local time: HH:MM-HH:MM.")
    ] = "09:00-17:00",
    instructions: Annotated[str | None, typer.Option(
        "--instructions", help="For the driver, e.g. 'Dock 3, ring the bell'.",
        show_default=False)] = None,
    carrier: Annotated[str | None, typer.Option(
        "--carrier", help="Only this carrier's labels (default: every carrier).",
        show_default=False)] = None,
    service: Annotated[str | None, typer.Option(
        "--service", help="Buy this pickup service (default: the cheapest offered).",
        show_default=False)] = None,
) -> None:
    """Create a pickup for the day's labels from each origin address, show its rates, and buy
    the cheapest (or --service). Once a day per carrier and address: a rerun buys nothing
    again, and a buy whose answer was lost is looked up on EasyPost."""
    from shipctl.jobs.pickup import parse_window, schedule
    from shipctl.shipdates import parse_ship_date, weekend_warning

    context: AppContext = ctx.obj
    pickup_day = parse_ship_date(day, flag="--date")
    hours = parse_window(window)
    warning = weekend_warning(pickup_day)
    if warning:
        context.notice(f"warning: {warning}")
    report = eventloop.run(schedule(
        context.settings, context.carriers, day=pickup_day, window=hours,
        instructions=instructions, carrier_name=carrier, service=service))
    raise typer.Exit(int(_show(context, report)))


def _show(context: AppContext, report: ScheduleReport) -> ExitCode:
    out, err = context.stdout, context.stderr
    if not report.outcomes:
        out.print(f"no {report.mode} label ships on {report.day}: no pickup to schedule")
        return ExitCode.SUCCESS
    offered = [o for o in report.outcomes if o.rates]
    if offered:
        rates = Table(title=f"Pickup rates for {report.day} ({report.mode})",
                      title_justify="left")
        for column in ("origin", "carrier", "service", "rate", ""):
            rates.add_column(column, justify="right" if column == "rate" else "left")
        for outcome in offered:
            p = outcome.pickup
            for rate in outcome.rates:
                chosen = "← bought" if (rate.carrier, rate.service) == (p.carrier, p.service) \
                    and p.state == "scheduled" else ""
                rates.add_row(escape(p.origin), escape(rate.carrier), escape(rate.service),
                              f"${rate.rate:,.2f}", chosen)
        print_table(out, rates)
    table = Table(title=f"Pickups for {report.day} ({report.mode})", title_justify="left")
    for column in ("carrier", "origin", "labels", "status", "pickup", "service", "rate",
                   "confirmation", "window", "note"):
        table.add_column(column, justify="right" if column in ("labels", "rate") else "left")
    for outcome in report.outcomes:
        p = outcome.pickup
        done = outcome.status in ("scheduled", "already")
        table.add_row(
            escape(p.label_carrier), escape(p.origin), str(outcome.labels),
            "already scheduled" if outcome.status == "already" else outcome.status,
            p.pickup_id or "", escape(p.service or "") if done else "",
            f"${p.rate or 0:,.2f}" if done else "", p.confirmation or "",
            # In the machine's time zone, as --window was given.
            f"{p.min_datetime.astimezone():%H:%M}–{p.max_datetime.astimezone():%H:%M}",
            escape(_note(outcome)))
        if not done:
            err.print(f"[red]pickup {outcome.status}: {escape(p.label_carrier)} from "
                      f"{escape(p.origin)}: {escape(outcome.message or '')}[/]",
                      soft_wrap=True)
    print_table(out, table)
    scheduled = [o for o in report.outcomes if o.status == "scheduled"]
    earlier = [o for o in report.outcomes if o.status == "already"]
    out.print(f"{len(scheduled)} pickup(s) scheduled now, {len(earlier)} scheduled before")
    bad = [o for o in report.outcomes if o.status in ("failed", "unknown")]
    return ExitCode.PARTIAL_FAILURE if bad else ExitCode.SUCCESS


def _note(outcome: PickupOutcome) -> str:
    if outcome.status == "already":
        if outcome.pickup.label_count != outcome.labels:
            return f"by an earlier run, for {outcome.pickup.label_count} labels then"
        return "by an earlier run"
    if outcome.resolved:
        return "its lost answer found on EasyPost"
    if outcome.status in ("failed", "unknown"):
        return "see below" if outcome.message else ""
    return ""


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option(
        "--date", help="Only this day: today, tomorrow or YYYY-MM-DD (default: every day).",
        show_default=False)] = None,
) -> None:
    """The pickups scheduled (and cancelled), newest day first."""
    from shipctl.jobs.pickup import list_pickups
    from shipctl.shipdates import parse_ship_date

    context: AppContext = ctx.obj
    pickup_day = parse_ship_date(day, flag="--date") if day else None
    mode, found = eventloop.run(list_pickups(context.settings, context.carriers,
                                             day=pickup_day))
    if not found:
        context.stdout.print(f"no {mode} pickups")
        return
    table = Table(title=f"Pickups ({mode})", title_justify="left")
    for column in ("date", "pickup", "state", "carrier", "service", "rate", "labels",
                   "confirmation", "origin"):
        table.add_column(column, justify="right" if column in ("rate", "labels") else "left")
    for p in found:
        table.add_row(str(p.pickup_date), p.pickup_id or "", p.state, escape(p.carrier or ""),
                      escape(p.service or ""), "" if p.rate is None else f"${p.rate:,.2f}",
                      str(p.label_count), p.confirmation or "", escape(p.origin))
    print_table(context.stdout, table)


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The pickup's id (pickup_…) from `pickup list`.",
                                       metavar="ID")],
) -> None:
    """Cancel a scheduled pickup; the carrier will not come, and its price is credited."""
    from shipctl.jobs.pickup import cancel

    context: AppContext = ctx.obj
    row = eventloop.run(cancel(context.settings, context.carriers, key))
    context.stdout.print(f"pickup {row.pickup_id} cancelled ({row.pickup_date}, "
                         f"{escape(row.label_carrier)} from {escape(row.origin)})")
