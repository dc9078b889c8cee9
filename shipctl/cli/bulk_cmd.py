"""`shipctl bulk FILE`: validate, quote, confirm and buy a whole file of orders."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli import print_options as po
from shipctl.cli import shipment_flags as sf
from shipctl.cli import verify_flag as vf
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table
from shipctl.cli.verify_view import show_residential, show_verification
from shipctl.errors import ExitCode, InputError

if TYPE_CHECKING:
    from shipctl.cli.progress import OrderProgress
    from shipctl.config import Settings
    from shipctl.jobs.bulk import BulkOptions, BulkReport, Confirm, QuoteSummary
    from shipctl.models import ShipmentOptions
    from shipctl.orders import LoadOptions
    from shipctl.store.shipments import StoredOrder


def _load_options(
    settings: Settings, fmt: str | None, mapping: str | None, maps: list[str] | None,
    mapping_file: Path | None, sku_weights: Path | None, default_weight: str | None,
    parcel: str | None, catalog: Path | None = None, default_phone: str | None = None,
    shipment_options: ShipmentOptions | None = None,
) -> LoadOptions:
    from shipctl.jobs.bulk import load_options
    from shipctl.orders import load_mapping_file, load_sku_weights
    from shipctl.orders.catalog import load_catalog
    from shipctl.units import parse_weight

    user_map = dict(load_mapping_file(mapping_file)) if mapping_file else {}
    for item in maps or []:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(f"{item!r} is not FIELD=COLUMN", param_hint="--map")
        user_map[field.strip()] = column.strip()
    weight = None
    if default_weight is not None:
        try:
            weight = parse_weight(default_weight)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--default-weight") from None
    load = load_options(
        settings, format=fmt, mapping="custom" if user_map and not mapping else mapping,
        user_map=user_map, sku_weights=load_sku_weights(sku_weights) if sku_weights else None,
        default_weight=weight, default_parcel=parcel,
        catalog=load_catalog(catalog) if catalog else None, default_phone=default_phone,
        shipment_options=shipment_options,
    )
    load.check()
    return load


def bulk(
    ctx: typer.Context,
    file: Annotated[str | None, typer.Argument(
        help="Orders file (CSV, JSON, JSON Lines) or - (stdin).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, json or jsonl (needed for -).",
                                            rich_help_panel="Input")] = None,
    mapping: Annotated[str | None, typer.Option(
        "--mapping", help="shipctl, easypost, shopify or custom (default: from the header).",
        rich_help_panel="Input")] = None,
    maps: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN, e.g. reference=Order or to.name='Ship To' (repeat).",
        rich_help_panel="Input")] = None,
    mapping_file: Annotated[Path | None, typer.Option(
        "--mapping-file", help="A file of FIELD=COLUMN pairs.", rich_help_panel="Input")] = None,
    sku_weights: Annotated[Path | None, typer.Option(
        "--sku-weights", help="CSV of sku,weight for Shopify exports.",
        rich_help_panel="Input")] = None,
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", help="CSV of sku,weight,hs_tariff_number,origin_country,"
        "customs_description (default: the catalog setting).", rich_help_panel="Input")] = None,
    default_phone: Annotated[str | None, typer.Option(
        "--default-phone", help="Phone of international recipients whose order gives none.",
        rich_help_panel="Input")] = None,
    duties_paid: Annotated[bool, typer.Option(
        "--duties-paid", help="International labels with duties paid by the sender (DDP).",
        rich_help_panel="Input")] = False,
    default_weight: Annotated[str | None, typer.Option(
        "--default-weight", help="Weight of orders that give none, e.g. 1lb.",
        rich_help_panel="Input")] = None,
    parcel: Annotated[str | None, typer.Option(
        "--parcel", help="Parcel preset for orders that give none.",
        rich_help_panel="Input")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Ship the valid orders even if some are invalid.")] = False,
    show_skipped: Annotated[bool, typer.Option(
        "--show-skipped", help="List every skipped order (default: a count by reason).",
        rich_help_panel="Output")] = False,
    rule: opt.Rule = None,
    carriers: opt.Carriers = None,
    residential_carriers: opt.ResidentialCarriers = None,
    max_days: opt.MaxDays = None,
    max_rate: opt.MaxRate = None,
    label_format: opt.LabelFormatOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Quote only; buy nothing.")] = False,
    yes: opt.Yes = False,
    rebuy: Annotated[bool, typer.Option(
        "--rebuy", help="Buy new labels even for references already purchased.")] = False,
    concurrency: opt.Concurrency = None,
    results_out: Annotated[Path | None, typer.Option(
        "--results-out", help="Write a results CSV (tracking numbers) here.",
        rich_help_panel="Output")] = None,
    labels_out: Annotated[Path | None, typer.Option(
        "--labels-out", help="Write every label bought into one .pdf or .zpl file.",
        rich_help_panel="Output")] = None,
    force: opt.Force = False,
    store: opt.Store = None,
    sort: po.Sort = None,
    labels_layout: po.LabelsLayout = None,
    label_dpi: po.LabelDpi = None,
    packing_slips: po.PackingSlips = None,
    slips_with_labels: po.SlipsWithLabels = False,
    print_: po.Print = False,
    printer: po.Printer = None,
    insurance: sf.Insurance = None,
    signature: sf.Signature = None,
    saturday_delivery: sf.Saturday = False,
    hazmat: sf.Hazmat = None,
    carrier_account: sf.CarrierAccount = None,
    is_return: sf.Return = False,
    verify: Annotated[str | None, typer.Option(
        vf.FLAG, metavar="[on|strict|off]", show_default=False, rich_help_panel="Addresses",
        help="Verify every destination with EasyPost before quoting: --verify (on), --verify "
        "strict (EasyPost's verify_strict) or --verify off (default: setting `verify`, "
        "else off).")] = None,
    verify_strict: vf.VerifyStrict = False,
    accept_corrections: Annotated[bool, typer.Option(
        "--accept-corrections", help="Ship to the addresses as verification corrected them.",
        rich_help_panel="Addresses")] = False,
    ship_date: opt.ShipDate = None,
    join: Annotated[int | None, typer.Option(
        "--join", metavar="RUN", min=1,
        help="Work run RUN alongside its other workers, from the database (no FILE).")] = None,
) -> None:
    """Validate, quote and buy a label for every order in FILE; a rerun never buys twice."""
    from shipctl.jobs.bulk import BulkOptions

    context: AppContext = ctx.obj
    settings = context.settings
    if duties_paid:
        customs = settings.customs.model_copy(update={"incoterm": "DDP"})
        settings = settings.model_copy(update={"customs": customs})
    if join is not None or file is None:
        raise typer.Exit(_join(context, settings, file, join, yes=yes, concurrency=concurrency))
    opt.require_confirmation_or_yes(context, yes=yes, dry_run=dry_run)
    _check_labels_out(labels_out)
    options = BulkOptions(
        path=file if file == "-" else Path(file),
        load=_load_options(settings, fmt, mapping, maps, mapping_file, sku_weights,
                           default_weight, parcel, catalog, default_phone, sf.shipment_options(
                               insurance=insurance, signature=signature,
                               saturday_delivery=saturday_delivery, hazmat=hazmat,
                               carrier_account=carrier_account, is_return=is_return)),
        rule=opt.rate_rule(rule, carriers, max_days, max_rate, settings.default_rate_rule,
                           residential_carriers, settings.residential_carriers),
        label_format=label_format,
        dry_run=dry_run, skip_invalid=skip_invalid, rebuy=rebuy, concurrency=concurrency,
        results_out=opt.output_path(results_out), labels_out=opt.output_path(labels_out),
        force=force, store=_store(store), ship_date=opt.ship_date(context, ship_date),
        print_room=po.print_room(settings, sort=sort, layout=labels_layout, dpi=label_dpi,
                                 slips=packing_slips, slips_with_labels=slips_with_labels,
                                 print_=print_, printer=printer, labels_out=labels_out),
        verify=vf.verify_mode(verify, verify_strict, settings.verify),
        accept_corrections=accept_corrections,
    )
    from shipctl.cli.progress import OrderProgress

    with OrderProgress(context.stderr, live=context.stderr.is_terminal) as progress:

        def confirm(quote: QuoteSummary) -> bool:
            progress.pause()
            return _confirm(context, quote)

        report = eventloop.run(
            _run(context, settings, options, progress, None if (yes or dry_run) else confirm)
        )
    raise typer.Exit(_show(context, report, settings, show_skipped=show_skipped))


def _check_labels_out(path: Path | None) -> None:
    """Refused before anything is read: only PDF, ZPL and EPL2 labels merge into one file."""
    if path is None or path.suffix.lower() in (".pdf", ".zpl", ".epl"):
        return
    kind = f"{path.suffix[1:].upper()} labels don't merge" if path.suffix else "no extension"
    raise typer.BadParameter(f"{kind}: use .pdf, .zpl or .epl", param_hint="--labels-out")


def _join(context: AppContext, settings: Settings, file: str | None, run_id: int | None,
          *, yes: bool, concurrency: int | None) -> int:
    """`bulk --join RUN`: one more worker on an existing run, with the run's own options."""
    from shipctl.cli.progress import OrderProgress
    from shipctl.jobs.join import join_bulk

    if run_id is None:
        raise typer.BadParameter("give an orders FILE, or --join RUN", param_hint="FILE")
    if file is not None:
        raise typer.BadParameter("--join RUN takes its orders from the run, not a file",
                                 param_hint="FILE")
    if not yes:
        raise InputError("a joined worker buys the run's orders without asking: pass --yes")

    async def work(progress: OrderProgress) -> BulkReport:
        stop = _stop_on_signals(context)
        return await join_bulk(settings, run_id, concurrency=concurrency, progress=progress,
                               stop=stop, carriers=context.carriers)

    with OrderProgress(context.stderr, live=context.stderr.is_terminal) as progress:
        report = eventloop.run(work(progress))
    return _show(context, report)


def _store(value: str | None) -> str | None:
    if value is not None and not (0 < len(value.strip()) <= 100):
        raise typer.BadParameter("a store name is 1 to 100 characters", param_hint="--store")
    return value.strip() if value is not None else None


async def _run(context: AppContext, settings: Settings, options: BulkOptions,
               progress: OrderProgress, confirm: Confirm | None) -> BulkReport:
    from shipctl.jobs.bulk import run_bulk

    stop = _stop_on_signals(context)
    if settings.simulate:
        context.notice("simulated: labels come from the built-in simulator and are not postage")
    return await run_bulk(settings, options, progress=progress, confirm=confirm, stop=stop,
                          carriers=context.carriers)


def _stop_on_signals(context: AppContext) -> asyncio.Event:
    """An event set by the first Ctrl-C or SIGTERM (the second Ctrl-C quits at once)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def interrupted() -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        context.notice("stopping: orders in flight finish, nothing new starts (Ctrl-C again "
                       "to quit at once; a rerun resumes)")

    loop.add_signal_handler(signal.SIGINT, interrupted)
    loop.add_signal_handler(signal.SIGTERM, interrupted)
    return stop


def _confirm(context: AppContext, quote: QuoteSummary) -> bool:
    from rich.prompt import Confirm

    _show_quote(context, quote)
    return Confirm.ask(
        f"Buy {quote.orders:,} labels for ${quote.total:,.2f}?", console=context.stderr,
        default=False,
    )


def _show_quote(context: AppContext, quote: QuoteSummary) -> None:
    table = Table(title="Quote", title_justify="left")
    for column in ("carrier", "service", "orders", "total", "average"):
        table.add_column(column, justify="right" if column in ("orders", "total", "average")
                         else "left")
    for line in quote.lines:
        table.add_row(line.carrier, line.service, str(line.orders), f"${line.total:,.2f}",
                      f"${line.total / line.orders:,.2f}")
    if quote.options.insurance_fee:
        table.add_row("insurance", f"${quote.options.declared:,.2f} declared",
                      str(quote.options.insured_orders), f"${quote.options.insurance_fee:,.2f}",
                      "")
    table.add_section()
    table.add_row("[bold]all", "", f"[bold]{quote.orders:,}", f"[bold]${quote.total:,.2f}",
                  f"${quote.average:,.2f}")
    print_table(context.stdout, table)
    for said in quote.options.lines():
        context.stdout.print(f"option {escape(said)}")
    if quote.unquoted:
        _failures(context, "No matching rate or rejected by EasyPost", quote.unquoted,
                  quote.unquoted_count)
    show_residential(context, quote.residential)


def _failures(context: AppContext, title: str, orders: list[StoredOrder], count: int) -> None:
    table = Table(title=title, title_justify="left", title_style="red")
    table.add_column("reference")
    table.add_column("rows")
    table.add_column("code")
    table.add_column("reason", overflow="fold")
    for order in orders:
        rows = ",".join(str(r) for r in order.order.rows)
        table.add_row(escape(order.reference), rows, order.error_code or "",
                      escape(order.error_message or ""))
    print_table(context.stdout, table)
    if count > len(orders):
        context.stdout.print(f"… and {count - len(orders)} more (see --results-out)")


def _show_errors(context: AppContext, report: BulkReport) -> None:
    from shipctl.jobs.accounting import collapse_missing_addresses, count_orders

    errors = collapse_missing_addresses(report.errors)
    orders = count_orders(errors)
    hidden = report.error_count - len(report.errors)  # beyond the listed ones
    more = "+" if hidden else ""
    table = Table(title=f"{_n(orders, 'invalid order')}{more}, "
                        f"{_n(len(errors) + hidden, 'error')} — nothing was bought",
                  title_justify="left", title_style="bold red")
    for column in ("order", "row", "column", "value", "problem"):
        table.add_column(column, overflow="fold")
    for error in errors:
        table.add_row(escape(" ".join((error.reference or "").split())),
                      ",".join(str(r) for r in error.rows),
                      escape(error.column), escape(repr(error.value)[1:-1][:60]),
                      escape(error.message))
    print_table(context.stdout, table)
    if report.error_count > len(report.errors):
        context.stdout.print(f"… and {report.error_count - len(report.errors)} more")
    context.stdout.print("Fix the file, or pass --skip-invalid to ship the valid orders.")


# Dropped orders named on the terminal; --results-out has them all.
LISTED_DROPPED = 50


def _n(count: int, noun: str) -> str:
    """`1 order`, `2,000 orders`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _show_replaced(context: AppContext, replaced: list[StoredOrder]) -> None:
    """`--rebuy`: the labels replaced are still valid and were paid for until refunded."""
    out = context.stdout
    total = sum((order.rate or Decimal(0) for order in replaced), Decimal(0))
    shown = replaced[:20]
    out.print(f"[yellow]{len(replaced):,} replaced label(s) are still valid and paid for "
              f"(${total:,.2f}){' (first 20)' if len(replaced) > 20 else ''}[/]: refund them "
              "with `shipctl refund " + " ".join(escape(o.tracking_code or "") for o in shown[:3])
              + (" …`" if len(shown) > 3 else "`"), soft_wrap=True)
    for order in shown:
        out.print(f"  {escape(order.reference)}  {order.tracking_code or ''}")


def _show_dropped(context: AppContext, report: BulkReport) -> None:
    out = context.stdout
    out.print(f"[yellow]{_n(len(report.dropped), 'invalid order')} not shipped "
              f"(--skip-invalid):[/]", soft_wrap=True)
    for order in report.dropped[:LISTED_DROPPED]:
        out.print(f"  {escape(str(order))}", soft_wrap=True)
    more = len(report.dropped) - LISTED_DROPPED
    if more > 0:
        out.print(f"  … and {_n(more, 'more order')}"
                  + (" (see --results-out)" if report.results_out or report.run_id else ""))
    if report.error_count > len(report.errors):
        out.print(f"  … and more: {report.error_count:,} errors in all")


def _show_skipped(context: AppContext, report: BulkReport, *, every: bool) -> None:
    from shipctl.jobs.accounting import EXAMPLES, skipped_by_kind

    out = context.stdout
    out.print(f"{_n(len(report.skipped), 'order')} skipped:")
    for kind, orders in skipped_by_kind(report.skipped).items():
        if every:
            for order in orders:
                out.print(f"  {escape(order.reference)}: {escape(order.reason)}", soft_wrap=True)
            continue
        names = ", ".join(order.reference for order in orders[:EXAMPLES])
        rest = " …" if len(orders) > EXAMPLES else ""
        out.print(f"  {len(orders):,} {escape(kind)} ({escape(names)}{rest})", soft_wrap=True)
    if not every and len(report.skipped) > len(skipped_by_kind(report.skipped)):
        out.print("  (--show-skipped lists them all)")


def _more(context: AppContext, left: int, run_id: int | None) -> None:
    """The line after a sample of orders: how many it leaves out, and where they all are."""
    if left > 0:
        where = f" (`shipctl runs show {run_id}` lists every order)" if run_id else ""
        context.stdout.print(f"  … and {left:,} more{where}")


def _show(
    context: AppContext, report: BulkReport, settings: Settings | None = None, *,
    show_skipped: bool = False,
) -> int:
    """Print the outcome; return the exit code."""
    from shipctl.jobs.accounting import skipped_counts

    out = context.stdout
    show_verification(context, report.verification)
    if report.status == "invalid":
        _show_errors(context, report)
        return ExitCode.BAD_INPUT
    if report.dropped:
        _show_dropped(context, report)
    if report.skipped:
        _show_skipped(context, report, every=show_skipped)
    if report.status == "nothing":
        counts = ", ".join(part for part in (
            f"{len(report.dropped):,} invalid" if report.dropped else "",
            skipped_counts(report.skipped)) if part)
        out.print(f"nothing to ship: {counts}")
        if report.results_out:
            out.print(f"results: {report.results_out}")
        return ExitCode.SUCCESS
    if report.already_purchased:
        out.print(f"{len(report.already_purchased):,} already purchased (use --rebuy for new "
                  "labels):")
        for order in report.already_sample:
            out.print(f"  {escape(order.reference)}  {order.tracking_code or ''}")
        _more(context, len(report.already_purchased) - len(report.already_sample),
              report.run_id)
    if report.refunded:
        out.print(f"{len(report.refunded)} refunded, not bought again (use --rebuy for new "
                  "labels):")
        for order in report.refunded[:20]:
            out.print(f"  {escape(order.reference)}  {order.tracking_code or ''}")
        _more(context, len(report.refunded) - 20, report.run_id)
    for order in report.changed_after_purchase:
        code = escape(order.tracking_code or "")
        out.print(
            f"[yellow]changed after purchase: {escape(order.reference)}[/] — its label was "
            f"bought for the earlier data; `--rebuy` replaces it (then `shipctl refund {code}` "
            "refunds the old one)", soft_wrap=True,
        )
    if report.replaced:
        _show_replaced(context, report.replaced)
    if report.international:
        ddp = (settings or context.settings).customs.incoterm == "DDP"
        payer = "paid by the sender (DDP)" if ddp else "paid by the recipient (DDU)"
        out.print(f"{report.international} international: customs from the line items, "
                  f"duties {payer}")
    if report.status == "declined":
        # The quote was shown at the prompt; declining is an answer, not a failure.
        _unknown_line(context, report)
        out.print("not confirmed: nothing bought")
        return ExitCode.SUCCESS
    if report.status == "quoted" and report.quote is not None:
        _show_quote(context, report.quote)
        _unknown_line(context, report)
        if report.results_out:
            out.print(f"quotes: {report.results_out}")
        out.print("dry run: nothing bought")
        return ExitCode.SUCCESS
    _summary(context, report)
    if report.status == "interrupted":
        return ExitCode.INTERRUPTED
    # Undeliverable addresses skipped under --skip-invalid are invalid orders, not failures.
    refused = report.verification.undeliverable_count if report.verification else 0
    failed = report.failed - refused
    return ExitCode.PARTIAL_FAILURE if failed > 0 or report.unknown else ExitCode.SUCCESS


def _unknown_line(context: AppContext, report: BulkReport) -> None:
    if report.unknown:
        n = report.unknown
        context.stdout.print(
            f"[bold yellow]{n} order{'' if n == 1 else 's'} "
            f"{'has' if n == 1 else 'have'} an unknown outcome; rerun to resolve them[/]",
            soft_wrap=True,
        )


def _summary(context: AppContext, report: BulkReport) -> None:
    out = context.stdout
    table = Table(title=f"Run {report.run_id} ({_scope(report)})", title_justify="left")
    for column in ("carrier", "service", "labels", "spend"):
        table.add_column(column, justify="right" if column in ("labels", "spend") else "left")
    for line in report.spend:
        table.add_row(line.carrier, line.service, str(line.orders), f"${line.total:,.2f}")
    table.add_section()
    table.add_row("[bold]all", "", f"[bold]{report.purchased}",
                  f"[bold]${report.total_spend:,.2f}")
    print_table(out, table)
    out.print(
        f"purchased {report.purchased:,} · failed {report.failed:,} · "
        f"skipped {len(report.skipped):,} · "
        + (f"invalid {len(report.dropped):,} · " if report.dropped else "")
        + f"already purchased {len(report.already_purchased):,}"
        + (f" · refunded {len(report.refunded):,}" if report.refunded else "")
        + (f" · unknown {report.unknown:,}" if report.unknown else "")
        + (f" · unfinished {report.unfinished:,}" if report.unfinished else "")
    )
    if report.joined or report.bought_here != report.purchased:
        out.print(f"this worker bought {report.bought_here} of the run's {report.purchased}")
    if report.failures:
        _failures(context, "Failed orders", report.failures, report.failed)
    _unknown_line(context, report)
    if report.results_out:
        out.print(f"results: {report.results_out}")
    if report.labels_out:
        out.print(f"labels:  {report.labels_out} ({report.labels_written} labels)")
        if report.international and report.labels_out.suffix.lower() == ".zpl":
            out.print("customs forms are PDFs and are not in the ZPL file: write a .pdf "
                      "(--labels-out) to print them")
    if report.slips_out:
        out.print(f"slips:   {report.slips_out} ({report.slips_written} slips)")
    for said in report.printed:
        out.print(f"printed: {escape(said)}")
    if report.status == "interrupted":
        out.print("[yellow]interrupted: rerun the same command to finish the run[/]")


def _scope(report: BulkReport) -> str:
    return report.mode if report.store == "default" else f"{report.mode}, store {report.store}"
