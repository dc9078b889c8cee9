"""`shipctl manifest`: the day's labels on scan forms, their PDFs merged into one file;
`shipctl manifest list`: the forms made and their label counts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.errors import ExitCode

if TYPE_CHECKING:
    from shipctl.jobs.manifest import FormOutcome, ManifestReport
    from shipctl.store.manifests import RefundedLabel

app = typer.Typer(help="Scan forms (manifests) for the day's labels.",
                  invoke_without_command=True)

DateOption = Annotated[str, typer.Option(
    "--date", help="Ship date: today, tomorrow or YYYY-MM-DD (UTC).")]


@app.callback()
def manifest(
    ctx: typer.Context,
    day: DateOption = "today",
    carrier: Annotated[str | None, typer.Option(
        "--carrier", help="Only this carrier's labels (default: every carrier).",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the forms as one PDF here (default: "
        "scan-forms-DATE.pdf).", show_default=False)] = None,
    per_form: Annotated[int | None, typer.Option(
        "--per-form", min=1, max=10_000, help="Labels per form at most.", hidden=True)] = None,
    force: opt.Force = False,
) -> None:
    """Put every bought, unrefunded label of the ship date that is on no form yet on scan
    forms (one per carrier account and origin address), each label on exactly one, and write
    the forms as one PDF. A second run the same day forms only the labels bought since. A
    label EasyPost refuses (refunded or on a form made elsewhere) is left off, and listed."""
    if ctx.invoked_subcommand is not None:
        return
    from shipctl.jobs.manifest import MAX_PER_FORM
    from shipctl.jobs.manifest import manifest as run_manifest
    from shipctl.shipdates import parse_ship_date

    context: AppContext = ctx.obj
    ship_date = parse_ship_date(day, flag="--date")
    if out is not None:
        from shipctl.files import check_writable

        check_writable(out, force=force)
    report = eventloop.run(run_manifest(
        context.settings, context.carriers, ship_date=ship_date, carrier_name=carrier,
        out=out, force=force, per_form=per_form or MAX_PER_FORM))
    raise typer.Exit(int(_show(context, report)))


def _show(context: AppContext, report: ManifestReport) -> ExitCode:
    out, err = context.stdout, context.stderr
    if report.outcomes:
        table = Table(title=f"Scan forms for {report.ship_date} ({report.mode})",
                      title_justify="left")
        for column in ("carrier", "account", "origin", "labels", "status", "form", "note"):
            table.add_column(column, justify="right" if column == "labels" else "left")
        for o in report.outcomes:
            table.add_row(escape(o.group.carrier), account_text(o.group.account),
                          escape(o.group.origin), str(o.labels), o.status,
                          o.scan_form_id or "", escape(_note(o)))
        print_table(out, table)
    created = sum(o.labels for o in report.created)
    if report.created:
        out.print(f"{len(report.created)} form(s) made, {created} label(s) on them")
    elif report.outcomes:
        out.print("no form made")
    else:
        out.print(f"no label of {report.ship_date} left to put on a form")
    if report.pdf_path is not None:
        out.print(f"forms: {escape(str(report.pdf_path))} ({report.pages} pages)")
    if report.excluded:
        _show_excluded(context, [(x.label.reference, x.label.tracking_code, x.reason,
                                  x.message, x.on_scan_form) for x in report.excluded])
        err.print(f"[yellow]{len(report.excluded)} label(s) refused by EasyPost were left off "
                  "the forms for good (listed above; `shipctl manifest list` shows them "
                  "again): see to each parcel as its line says[/]", soft_wrap=True)
    if report.excluded_before:
        out.print(f"{len(report.excluded_before)} label(s) of {report.ship_date} were left off "
                  f"the forms by an earlier run (`shipctl manifest list --date "
                  f"{report.ship_date}`)")
    _show_refunded(context, report.refunded)
    if report.download_error:
        err.print(f"[bold red]error:[/] {escape(report.download_error)}", soft_wrap=True)
        return ExitCode.OUTPUT
    if report.unknown:
        err.print(f"[yellow]{len(report.unknown)} form(s) asked for without an answer: their "
                  "labels stay on them until a run finds the form on EasyPost (run "
                  "`shipctl manifest` again)[/]", soft_wrap=True)
    if report.failed:
        for o in report.failed:
            err.print(f"[red]{escape(o.group.carrier)} {escape(o.group.origin)}: "
                      f"{escape(o.message or 'refused')}[/]", soft_wrap=True)
    trouble = report.unknown or report.failed or report.excluded
    return ExitCode.PARTIAL_FAILURE if trouble else ExitCode.SUCCESS


def _note(outcome: FormOutcome) -> str:
    notes = []
    if outcome.status == "excluded":
        notes.append("EasyPost refused every label of it: left off (below)")
    elif outcome.excluded:
        notes.append(f"{len(outcome.excluded)} label(s) refused by EasyPost, left off (below)")
    if outcome.status == "failed":
        notes.append("refused: see below")
    elif outcome.message and outcome.status != "excluded":
        notes.append(outcome.message)
    elif outcome.resolved and outcome.status == "created":
        notes.append("an earlier run's form, found on EasyPost")
    if outcome.regrouped and outcome.status != "released":
        notes.append(f"{len(outcome.regrouped)} label(s) of other carrier accounts, grouped "
                     "again")
    return "; ".join(notes)


def account_text(account: str | None) -> str:
    """A carrier account id as EasyPost shows it; `not known` for labels bought before
    shipctl stored accounts whose shipments could not be read."""
    return account or "not known"


REASONS = {
    "refunded": "refunded: do not ship it",
    "on_scan_form": "on another scan form already",
    "dated_before": "dated before the form's day: the carrier scans it on its own",
    "not_bought": "not bought on EasyPost: do not ship it",
    "not_found": "not on this EasyPost account",
    "origin": "ships from another address on EasyPost",
    "refused": "refused by EasyPost",
}


def _show_excluded(
    context: AppContext, rows: list[tuple[str, str, str, str, str | None]]
) -> None:
    table = Table(title="Left off the forms (EasyPost refused them)", title_justify="left")
    for column in ("reference", "tracking code", "why", "EasyPost"):
        table.add_column(column)
    for reference, code, reason, message, on_form in rows:
        why = REASONS.get(reason, reason)
        if on_form:
            why = f"on scan form {on_form} already: hand it over with that form"
        table.add_row(escape(reference), code, why, escape(message))
    print_table(context.stdout, table)


def _show_refunded(context: AppContext, refunded: list[RefundedLabel]) -> None:
    for label in refunded:
        context.stderr.print(
            f"[yellow]{escape(label.reference)} ({label.tracking_code}) was refunded after it "
            f"was put on scan form {label.scan_form_id} ({label.ship_date}): take the parcel "
            "off the pickup[/]", soft_wrap=True)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option(
        "--date", help="Ship date: today, tomorrow or YYYY-MM-DD (default: every day).",
        show_default=False)] = None,
) -> None:
    """The scan forms made, with their carrier accounts and label counts, labels refunded
    since, and labels EasyPost refused (left off the forms for good)."""
    from shipctl.jobs.manifest import list_forms
    from shipctl.shipdates import parse_ship_date

    context: AppContext = ctx.obj
    ship_date = parse_ship_date(day, flag="--date") if day else None
    mode, forms, refunded, excluded = eventloop.run(list_forms(
        context.settings, context.carriers, ship_date=ship_date))
    if not forms:
        context.stdout.print(f"no {mode} scan forms" + (f" for {ship_date}" if ship_date else ""))
        return
    table = Table(title=f"Scan forms ({mode})", title_justify="left")
    for column in ("date", "carrier", "account", "origin", "state", "form", "labels",
                   "refunded", "left off"):
        table.add_column(column, justify="right" if column in ("labels", "refunded",
                                                               "left off") else "left")
    for f in forms:
        table.add_row(str(f.ship_date), escape(f.carrier), account_text(f.carrier_account_id),
                      escape(f.origin), f.state, f.scan_form_id or "", str(f.labels),
                      str(f.refunded) if f.refunded else "",
                      str(f.excluded) if f.excluded else "")
    print_table(context.stdout, table)
    if excluded:
        _show_excluded(context, [(x.reference, x.tracking_code, x.reason, x.message,
                                  x.on_scan_form) for x in excluded])
    _show_refunded(context, refunded)
