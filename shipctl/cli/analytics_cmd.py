"""`shipctl analytics`: spend, carriers, transit times and exceptions over a time window."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import InputError

if TYPE_CHECKING:
    from shipctl.analytics.sections import Report, SectionResult

FORMATS = ("table", "json", "csv")
BAR_WIDTH = 40

app = typer.Typer(
    help="Spend, carriers, transit times and exceptions of the labels bought.",
    invoke_without_command=True,
)


@app.callback()
def analytics(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option(help="Start: a date (2026-10-01), a time, or an age: 30d, 6w, 3m.")
    ] = "30d",
    until: Annotated[
        str | None,
        typer.Option(help="End, same forms; a bare date includes that day. [default: now]"),
    ] = None,
    carrier: Annotated[
        str | None, typer.Option(help="Only this carrier (USPS, UPS, FedEx…).")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="Only live, test or simulated labels.")] = None,
    by: Annotated[
        str,
        typer.Option(
            help="Sections, comma-separated: overview, carrier, service, day, week, month, "
            "route, status, failures, manifested."
        ),
    ] = "overview,carrier,service,week,route,status,failures",
    top: Annotated[int, typer.Option(help="How many routes to show.")] = 10,
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Report on the labels bought in a window (default: the last 30 days)."""
    from shipctl.analytics.report import analytics_report, parse_sections
    from shipctl.analytics.window import make_window

    context: AppContext = ctx.obj
    if output.lower() not in FORMATS:
        raise InputError(f"--format {output!r} is not one of {', '.join(FORMATS)}")
    now = context.clock()
    window = make_window(since, until, now, carrier=carrier, mode=mode)
    sections = parse_sections(by)
    if top < 1:
        raise InputError(f"--top {top}: give a number of routes of at least 1")
    report = eventloop.run(
        analytics_report(
            context.settings.database_dsn,
            context.settings.data_dir,
            window,
            sections,
            top=top,
            as_of=now,
        )
    )
    _print(context, report, output.lower())


# EasyPost seldom gives a delivery date; see docs/analytics.md.
PROMISE_NOTE = ("on time: by EasyPost's delivery date, else the rate's delivery_days "
                "in business days from purchase")


def _print(context: AppContext, report: Report, output: str) -> None:
    from shipctl.analytics import export

    if output == "json":
        context.stdout.out(export.to_json(report), end="", highlight=False)
    elif output == "csv":
        context.stdout.out(export.to_csv(report), end="", highlight=False)
    else:
        window = report.window
        context.stdout.print(
            f"[bold]Labels bought[/] {window.since:%Y-%m-%d %H:%M} → "
            f"{window.until:%Y-%m-%d %H:%M} UTC"
            + (f", carrier {window.carrier}" if window.carrier else "")
            + (f", mode {window.mode}" if window.mode else "")
        )
        for result in report.results:
            print_table(context.stdout, _table(result))


def _cell(kind: str, value: object) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "money":
        return f"${Decimal(str(value)):,}"  # "$10,645.33"
    return escape(str(value))  # error messages and names are data, not markup


def _table(result: SectionResult) -> Table:
    from shipctl.analytics.export import output_value

    section = result.section
    table = Table(title=section.title, title_justify="left")
    rows = [
        [_cell(f.kind, output_value(f.kind, row[f.name])) for f in section.fields]
        for row in result.rows
    ]
    for field in section.fields:
        # in a narrow terminal a figure or a name folds onto another line, never loses its end
        numeric = field.kind not in ("text", "date")
        table.add_column(field.title, justify="right" if numeric else "left", overflow="fold")
    chart = section.bucket is not None and bool(result.rows)
    if chart:
        table.add_column("")
        peak = max(int(row["labels"]) for row in result.rows) or 1
    for row, cells in zip(result.rows, rows, strict=True):
        if chart:
            cells.append(
                "[cyan]" + "█" * max(1, round(BAR_WIDTH * int(row["labels"]) / peak)) + "[/]"
            )
        table.add_row(*cells)
    if not result.rows:
        table.caption = "no labels in this window"
    elif any(f.name == "on_time_share" for f in section.fields):
        table.caption = PROMISE_NOTE
    return table
