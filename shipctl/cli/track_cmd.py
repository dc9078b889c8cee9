"""`shipctl track [CODE…]`: the nightly sweep of every shipment in flight, or codes on demand."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, TextIO, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import ExitCode
from shipctl.moments import parse_since

if TYPE_CHECKING:
    from shipctl.jobs.track import (
        CodeResult,
        LookupFailure,
        LookupReport,
        SweepReport,
        TrackingException,
    )


def track(
    ctx: typer.Context,
    codes: Annotated[list[str] | None, typer.Argument(
        help="Tracking codes to look up now; none: sweep every shipment in flight.",
        show_default=False, metavar="CODE")] = None,
    carrier: Annotated[str | None, typer.Option(
        "--carrier", help="Carrier of the codes given, e.g. USPS (default: the shipment's).")]
        = None,
    since: Annotated[str, typer.Option(
        "--since", help="Sweep labels bought since then: an age (60d, 8w, 2m) or a date.")]
        = "60d",
    stale_days: Annotated[int, typer.Option(
        "--stale-days", min=1, help="No new event for this many days is an exception.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print one summary line, exceptions and errors (for cron).")]
        = False,
    new_only: Annotated[bool, typer.Option(
        "--new-only", help="Report returned and failed shipments only on the sweep that "
        "sees them change (default: every sweep until refunded or bought again).")] = False,
    fail_on_exceptions: Annotated[bool, typer.Option(
        "--fail-on-exceptions", help="Exit 4 when there are exceptions.")] = False,
    unmanifested_days: Annotated[int | None, typer.Option(
        "--unmanifested-days", min=0, show_default=False,
        help="Also list labels bought more than N days ago that are on no scan form and "
        "have no carrier scan.")] = None,
    method: Annotated[str, typer.Option(
        "--method", help="list (paced list pages, the fast way) or each (one call per code).",
        hidden=True)] = "list",
) -> None:
    """Refresh tracking: every purchased shipment still in flight, or the CODEs given.

    Exit 0: every lookup worked; 1: some failed (listed); 4: exceptions, with --fail-on-exceptions.
    """
    from shipctl.jobs import track as jobs

    context: AppContext = ctx.obj
    if not as_json:
        context = _stamped(context)
    settings = context.settings
    stale_after = timedelta(days=stale_days)
    if method not in ("list", "each"):
        raise typer.BadParameter(f"{method!r}: use list or each", param_hint="--method")
    if settings.simulate and not (quiet or as_json):
        context.notice("simulated: tracking comes from the built-in simulator")
    if codes:
        lookup = eventloop.run(jobs.run_lookup(
            settings, codes, now=context.clock(), carrier=carrier, stale_after=stale_after,
            carriers=context.carriers))
        raise typer.Exit(_show_lookup(context, lookup, as_json=as_json, quiet=quiet,
                                      fail_on_exceptions=fail_on_exceptions))
    now = context.clock()
    purchased_since = parse_since(since, now)
    from shipctl.cli.progress import TrackingProgress

    started = time.monotonic()
    try:
        with TrackingProgress(context.stderr, live=context.interactive and not as_json,
                              quiet=quiet) as progress:
            report = eventloop.run(jobs.run_sweep(
                settings, now=now, since=now - purchased_since,
                stale_after=stale_after, method="each" if method == "each" else "list",
                progress=progress, carriers=context.carriers, new_only=new_only,
                unmanifested_after=None if unmanifested_days is None
                else timedelta(days=unmanifested_days)))
    except jobs.EasyPostUnreachable as error:
        if as_json:
            raise
        # One line, timestamped in a log like every other line of the sweep.
        context.stderr.print(f"[bold red]error:[/] {escape(error.message)} "
                             f"({time.monotonic() - started:.1f} s)", soft_wrap=True)
        raise typer.Exit(int(error.exit_code)) from None
    raise typer.Exit(_show_sweep(context, report, as_json=as_json, quiet=quiet,
                                 fail_on_exceptions=fail_on_exceptions))


def exit_code(failures: int, exceptions: int, *, fail_on_exceptions: bool) -> int:
    """1 when lookups failed (the sweep is incomplete), else 4 for exceptions if asked, else 0."""
    if failures:
        return ExitCode.PARTIAL_FAILURE
    if exceptions and fail_on_exceptions:
        return ExitCode.EXCEPTIONS_FOUND
    return ExitCode.SUCCESS


def _print_json(context: AppContext, data: object) -> None:
    context.stdout.print(json.dumps(data, indent=2), markup=False, highlight=False,
                         soft_wrap=True)


def _show_sweep(context: AppContext, report: SweepReport, *, as_json: bool, quiet: bool,
                fail_on_exceptions: bool) -> int:
    code = exit_code(len(report.failures), len(report.exceptions),
                     fail_on_exceptions=fail_on_exceptions)
    if as_json:
        _print_json(context, report.model_dump(
            mode="json", exclude={"unmanifested"} if report.unmanifested is None else None))
        return code
    out = context.stdout
    if quiet:  # one line per run, so a log shows that each night ran
        out.print(_summary_line(report), soft_wrap=True)
    _unmanifested_table(context, report)
    _settled_table(context, report)
    if report.outcome == "skipped":
        if not quiet:
            out.print("Another sweep is running against this database: skipped.")
        return code
    if report.in_flight == 0:
        if not quiet:
            out.print(f"No shipments in flight (bought since {report.purchased_since:%Y-%m-%d}"
                      ", not delivered, returned, failed or cancelled).")
        _refunds_table(out, report, quiet=quiet)
        _failures_table(context, report.failures)
        return code
    if not quiet:
        out.print(
            f"Tracked {report.checked} of {report.in_flight} shipments in flight in "
            f"{report.elapsed_seconds:.1f} s: {report.new_events} new events, "
            f"{len(report.exceptions)} exceptions, {report.failed} failed lookups."
        )
        table = Table(title="by status", title_justify="left")
        table.add_column("status")
        table.add_column("shipments", justify="right")
        for status, count in report.by_status.items():
            table.add_row(status, str(count))
        print_table(out, table)
    _exceptions_table(out, report.exceptions)
    _refunds_table(out, report, quiet=quiet)
    _failures_table(context, report.failures)
    return code


def _summary_line(report: SweepReport) -> str:
    """`track: 572 checked, 3 exceptions, 14.2 s`."""
    if report.outcome == "skipped":
        return "track: skipped, another sweep is running against this database"
    failed = f", {report.failed:,} failed" if report.failed else ""
    exceptions = len(report.exceptions)
    return (f"track: {report.checked:,} checked, {exceptions:,} "
            f"exception{'' if exceptions == 1 else 's'}{failed}, "
            f"{report.elapsed_seconds:.1f} s")


class _StampedLines(io.TextIOBase):
    """A log's file: every line it is given starts with the time it was written (UTC)."""

    def __init__(self, target: TextIO, clock: Callable[[], datetime]) -> None:
        self.target = target
        self.clock = clock
        self.at_line_start = True

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            if self.at_line_start:
                self.target.write(f"{self.clock():%Y-%m-%dT%H:%M:%SZ} ")
            self.target.write(piece)
            self.at_line_start = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def _stamped(context: AppContext) -> AppContext:
    """The context with each console that is not a terminal writing timestamped lines."""

    def stamp(console: Console, *, stderr: bool) -> Console:
        if console.is_terminal:
            return console
        target = sys.stderr if stderr else sys.stdout
        stamped = cast(TextIO, _StampedLines(target, lambda: datetime.now(UTC)))
        return Console(file=stamped,
                       highlight=False, width=console.width, no_color=console.no_color)

    return replace(context, stdout=stamp(context.stdout, stderr=False),
                   stderr=stamp(context.stderr, stderr=True))


def _settled_table(context: AppContext, report: SweepReport) -> None:
    """Buys whose outcome was not known, settled before the tracking; shown even with
    --quiet: each found label was paid for and has not been printed by shipctl."""
    out = context.stdout
    if report.settled_bought:
        table = Table(title=f"labels found bought whose answer was lost "
                      f"({len(report.settled_bought)})", title_justify="left")
        for column in ("reference", "tracking code", "carrier", "service", "rate"):
            table.add_column(column, justify="right" if column == "rate" else "left")
        for item in report.settled_bought:
            table.add_row(escape(item.reference), escape(item.tracking_code), item.carrier,
                          item.service, f"${item.rate:,.2f}")
        print_table(out, table)
        out.print("recorded as purchased: print them with `shipctl runs show RUN` or "
                  "refund them with `shipctl refund REFERENCE`", soft_wrap=True)
    if report.settled_not_bought:
        out.print(f"{report.settled_not_bought} order(s) whose buy had no known outcome were "
                  "not bought: their file's rerun buys them", soft_wrap=True)
    if report.settled_unresolved:
        context.stderr.print(f"[yellow]{report.settled_unresolved} order(s) whose buy has no "
                             "known outcome could not be looked up; the next sweep tries "
                             "again[/]", soft_wrap=True)


def _refunds_table(out: Console, report: SweepReport, *, quiet: bool) -> None:
    """Submitted refunds the carrier has answered since; a refused one always shows."""
    answered = report.refunds_answered
    refused = [a for a in answered if a.status in ("rejected", "not_applicable")]
    if not quiet and report.refunds_checked:
        out.print(f"Read {report.refunds_checked} submitted refunds again: "
                  f"{len(answered)} answered, {len(refused)} not refunded.")
    shown = refused if quiet else answered
    if not shown:
        return
    table = Table(title=f"refunds answered ({len(shown)})", title_justify="left")
    for column in ("tracking code", "reference", "carrier", "refund"):
        table.add_column(column)
    for item in shown:
        style = "red" if item.status in ("rejected", "not_applicable") else "green"
        table.add_row(escape(item.tracking_code or "-"), escape(item.reference),
                      item.carrier or "-", f"[{style}]{item.status}[/]")
    print_table(out, table)
    if refused:
        out.print("[red]not refunded:[/] the carrier rejected the refund or found the label "
                  "already scanned; the label is still valid and was paid for (its order is "
                  "purchased again)", soft_wrap=True)


def _exceptions_table(out: Console, exceptions: tuple[TrackingException, ...]) -> None:
    if not exceptions:
        return
    table = Table(title=f"exceptions ({len(exceptions)})", title_justify="left")
    for column in ("tracking code", "reference", "carrier", "exception", "status",
                   "est. delivery", "last event"):
        table.add_column(column)
    for item in exceptions:
        table.add_row(
            escape(item.tracking_code), escape(item.reference or "-"), item.carrier or "-",
            "[red]" + ", ".join(item.kinds) + "[/]",
            f"{item.status}" + (f" ({item.status_detail})" if item.status_detail else ""),
            _when(item.est_delivery_date), _when(item.last_event_at),
        )
    print_table(out, table)


def _failures_table(context: AppContext, failures: tuple[LookupFailure, ...]) -> None:
    if not failures:
        return
    table = Table(title=f"failed lookups ({len(failures)})", title_justify="left")
    for column in ("tracking code", "carrier", "error", "message"):
        table.add_column(column)
    for failure in failures:
        table.add_row(escape(failure.tracking_code), failure.carrier or "-",
                      failure.error_code or "-", escape(failure.message))
    print_table(context.stdout, table)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def _show_lookup(context: AppContext, report: LookupReport, *, as_json: bool, quiet: bool,
                 fail_on_exceptions: bool) -> int:
    code = exit_code(len(report.failures), len(report.exceptions),
                     fail_on_exceptions=fail_on_exceptions)
    if as_json:
        _print_json(context, report.model_dump(mode="json"))
        return code
    if not quiet:
        for result in report.results:
            if result.update is not None:
                _timeline(context.stdout, result)
    _exceptions_table(context.stdout, report.exceptions)
    _failures_table(context, report.failures)
    return code


def _timeline(out: Console, result: CodeResult) -> None:
    update = result.update
    assert update is not None
    facts = [f"[bold]{escape(result.tracking_code)}[/] · {escape(result.carrier or '?')} · "
             f"[bold]{update.status}[/]" + (f" ({update.status_detail})"
                                             if update.status_detail else "")]
    if result.reference:
        facts.append(f"reference {escape(result.reference)}")
    if update.est_delivery_date and not update.delivered_at:
        facts.append(f"est. delivery {_when(update.est_delivery_date)}")
    if update.delivered_at:
        facts.append(f"delivered {_when(update.delivered_at)}")
    if update.signed_by:
        facts.append(f"signed by {escape(update.signed_by)}")
    table = Table(title=" · ".join(facts), title_justify="left")
    for column in ("when (UTC)", "status", "message", "where"):
        table.add_column(column)
    for event in update.events:
        where = ", ".join(p for p in (event.city, event.state, event.zip) if p)
        table.add_row(_when(event.occurred_at), event.status, escape(event.message or ""),
                      escape(where))
    if not update.events:
        table.add_row("-", update.status, "no events yet", "")
    print_table(out, table)
    if update.public_url:
        out.print(f"  {escape(update.public_url)}", soft_wrap=True)
    if result.note:
        out.print(f"  [yellow]{escape(result.note)}[/]", soft_wrap=True)
    if result.stored and result.new_events:
        out.print(f"  {result.new_events} new events stored", style="dim")


def _unmanifested_table(context: AppContext, report: SweepReport) -> None:
    """Labels bought days ago, on no scan form, never scanned: shown even with --quiet."""
    if report.unmanifested is None:
        return
    if not report.unmanifested:
        context.stdout.print("Every label bought before then is on a scan form or scanned.")
        return
    table = Table(title=f"not handed over: on no scan form, no carrier scan "
                  f"({len(report.unmanifested)})", title_justify="left")
    for column in ("tracking code", "reference", "carrier", "bought", "ship date"):
        table.add_column(column)
    for item in report.unmanifested:
        table.add_row(escape(item.tracking_code), escape(item.reference), item.carrier or "-",
                      f"{item.purchased_at:%Y-%m-%d %H:%M}", str(item.ship_date))
    print_table(context.stdout, table)
