"""`shipctl analytics`: spend, carriers, transit times and exceptions over a time window."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli.context import AppContext
from shipctl.cli.tables import Column, fit_width, fitted_table, print_table, sparkline
from shipctl.errors import InputError

if TYPE_CHECKING:
    from shipctl.analytics.sections import Report, SectionResult
    from shipctl.analytics.window import Window

FORMATS = ("table", "json", "csv", "html")

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
    mode: Annotated[
        str | None,
        typer.Option(
            help="live, test, simulated, demo (`shipctl demo seed`) or all. "
            "[default: the mode of the configured key; simulated with --simulate]"
        ),
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            help="Sections, comma-separated: overview, carrier, service, day, week, month, "
            "route, status, failures, addresses, manifested."
        ),
    ] = "overview,carrier,service,week,route,status,failures",
    top: Annotated[int, typer.Option(help="How many routes to show.")] = 10,
    output: Annotated[str, typer.Option("--format", help="table, json, csv or html.")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file (html: required).")
    ] = None,
    open_file: Annotated[
        bool, typer.Option("--open", help="Open the HTML report in a browser.")
    ] = False,
) -> None:
    """Report on the labels bought in a window (default: the last 30 days)."""
    from shipctl.analytics.report import analytics_report, parse_sections
    from shipctl.analytics.window import key_mode, make_window

    context: AppContext = ctx.obj
    output = output.lower()
    if output not in FORMATS:
        raise InputError(f"--format {output!r} is not one of {', '.join(FORMATS)}")
    if output == "html" and out is None:
        raise InputError("--format html writes a file: give it with --out report.html")
    if open_file and output != "html":
        raise InputError("--open opens an HTML report: add --format html")
    now = context.clock()
    settings = context.settings
    if mode is None:
        key = settings.easypost_api_key
        mode = key_mode(key.get_secret_value() if key else None, simulate=settings.simulate)
    window = make_window(since, until, now, carrier=carrier, mode=mode)
    sections = parse_sections(by)
    if top < 1:
        raise InputError(f"--top {top}: give a number of routes of at least 1")
    if output == "html":
        assert out is not None
        _write_html(context, settings.database_dsn, window, top, out, open_file=open_file)
        return
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
    if out is not None:
        _write(out, _render(report, output))
        context.stderr.print(
            f"wrote {escape(str(out))} (modes: {', '.join(report.window.modes)})", highlight=False
        )
        return
    _print(context, report, output)


def _write(path: Path, text: str) -> None:
    from shipctl.errors import OutputError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def _render(report: Report, output: str) -> str:
    from shipctl.analytics import export

    if output == "json":
        return export.to_json(report)
    if output == "csv":
        return export.to_csv(report)
    from rich.console import Console

    console = Console(record=True, width=10_000, file=io.StringIO(), color_system=None)
    _print_tables(console, report)
    return console.export_text()


def _write_html(
    context: AppContext, database_url: str | None, window: Window, top: int, out: Path,
    *, open_file: bool,
) -> None:
    import webbrowser

    from shipctl.analytics.html import html_report, render

    data = eventloop.run(
        html_report(database_url, context.settings.data_dir, window, top=top, as_of=context.clock())
    )
    _write(out, render(data, generated=context.clock()))
    context.stderr.print(
        f"wrote {escape(str(out))} (modes: {', '.join(window.modes)})", highlight=False
    )
    if open_file:
        webbrowser.open(out.resolve().as_uri())


# EasyPost seldom gives a delivery date; see docs/analytics.md.
PROMISE_NOTE = ("on time: by EasyPost's delivery date, else the rate's delivery_days "
                "in business days from purchase")


def _print(context: AppContext, report: Report, output: str) -> None:
    from shipctl.analytics import export

    if output == "json":
        context.stdout.out(export.to_json(report), end="", highlight=False)
    elif output == "csv":
        context.stdout.out(export.to_csv(report), end="", highlight=False)
        # one table of figures on stdout; which labels they cover goes beside it
        context.stderr.print(f"modes: {', '.join(report.window.modes)}", highlight=False)
    else:
        _print_tables(context.stdout, report)


def _print_tables(console: Console, report: Report) -> None:
    window = report.window
    console.print(
        f"[bold]Labels bought[/] {window.since:%Y-%m-%d %H:%M} → "
        f"{window.until:%Y-%m-%d %H:%M} UTC"
        + (f", carrier {escape(window.carrier)}" if window.carrier else "")
        + f", modes: {', '.join(window.modes)}",
        soft_wrap=not console.is_terminal,  # a file or a pipe keeps the line whole
    )
    width = fit_width(console)
    for result in report.results:
        print_table(console, _table(result, width))


def _cell(kind: str, value: object) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "money":
        return f"${Decimal(str(value)):,}"  # "$10,645.33"
    if kind == "count":
        return f"{int(value):,}"  # type: ignore[call-overload]
    return str(value)


# Left out first (from the right) when a terminal is too narrow for every column.
OPTIONAL_FIELDS = frozenset({
    "transit_days_mean", "delivered", "average_cost", "refund_amount", "delivered_share",
    "example_message",
})  # fmt: skip


def _table(result: SectionResult, width: int | None) -> Table:
    from shipctl.analytics.export import output_value

    section = result.section
    columns = [
        Column(
            field.title,
            [_cell(field.kind, output_value(field.kind, row[field.name])) for row in result.rows],
            numeric=field.kind not in ("text", "date"),
            optional=field.name in OPTIONAL_FIELDS,
        )
        for field in section.fields
    ]
    if width is not None and section.name == "overview" and len(result.rows) == 1:
        # one row of many figures: on a terminal, a figure per line fits any width
        columns = [
            Column("figure", [field.title for field in section.fields]),
            Column("value", [c.cells[0] for c in columns], numeric=True),
        ]
    # a bar per row where a glance beats the figures: labels over time, spend per carrier
    bars: list[float] | None = None
    caption = None
    if result.rows and section.bucket is not None:
        labels = [int(row["labels"]) for row in result.rows]
        bars = [n / (max(labels) or 1) for n in labels]
        caption = "spend " + sparkline([float(row["spend"] or 0) for row in result.rows])
    elif result.rows and section.name == "carrier":
        spend = [float(row["spend"] or 0) for row in result.rows]
        bars = [value / (max(spend) or 1) for value in spend]
        caption = "bars: spend"
    if not result.rows:
        caption = "no labels in this window"
    elif any(f.name == "on_time_share" for f in section.fields):
        caption = "; ".join(filter(None, [caption, PROMISE_NOTE]))
    return fitted_table(columns, title=section.title, width=width, bars=bars, caption=caption)
