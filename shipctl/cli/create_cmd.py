"""`shipctl create`: one label from flags or a JSON order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from shipctl import eventloop
from shipctl.cli import options as opt
from shipctl.cli import verify_flag as vf
from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table

if TYPE_CHECKING:
    from shipctl.jobs.create import CreateResult, RatesView

ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "state", "zip", "country",
                  "phone", "email")
To = "Destination"
From = "Origin (default: [from_address] in shipctl.toml)"


def _option(flag: str, panel: str, text: str) -> Any:
    return typer.Option(flag, help=text, rich_help_panel=panel, show_default=False)


def create(
    ctx: typer.Context,
    to_name: Annotated[str | None, _option("--to-name", To, "Recipient name.")] = None,
    to_company: Annotated[str | None, _option("--to-company", To, "Company.")] = None,
    to_street1: Annotated[str | None, _option("--to-street1", To, "Street.")] = None,
    to_street2: Annotated[str | None, _option("--to-street2", To, "Apartment, suite.")] = None,
    to_city: Annotated[str | None, _option("--to-city", To, "City.")] = None,
    to_state: Annotated[str | None, _option("--to-state", To, "State (US: 2 letters).")] = None,
    to_zip: Annotated[str | None, _option("--to-zip", To, "ZIP or postal code.")] = None,
    to_country: Annotated[str, _option("--to-country", To, "ISO country code.")] = "US",
    to_phone: Annotated[str | None, _option("--to-phone", To, "Phone.")] = None,
    to_email: Annotated[str | None, _option("--to-email", To, "Email.")] = None,
    to_residential: Annotated[bool | None, _option(
        "--to-residential/--to-commercial", To, "A home (UPS and FedEx charge more to one) or "
        "a business; default: not known (--verify finds out).")] = None,
    from_name: Annotated[str | None, _option("--from-name", From, "Sender name.")] = None,
    from_company: Annotated[str | None, _option("--from-company", From, "Company.")] = None,
    from_street1: Annotated[str | None, _option("--from-street1", From, "Street.")] = None,
    from_street2: Annotated[str | None, _option("--from-street2", From, "Suite.")] = None,
    from_city: Annotated[str | None, _option("--from-city", From, "City.")] = None,
    from_state: Annotated[str | None, _option("--from-state", From, "State.")] = None,
    from_zip: Annotated[str | None, _option("--from-zip", From, "ZIP.")] = None,
    from_country: Annotated[str | None, _option("--from-country", From, "Country.")] = None,
    from_phone: Annotated[str | None, _option("--from-phone", From, "Phone.")] = None,
    from_email: Annotated[str | None, _option("--from-email", From, "Email.")] = None,
    weight: Annotated[str | None, _option("--weight", "Parcel", "12oz, 1.5lb, 0.7kg.")] = None,
    parcel: Annotated[str | None, _option(
        "--parcel", "Parcel", "A preset from settings (e.g. small) or LxWxH inches.")] = None,
    reference: Annotated[str | None, _option(
        "--reference", "Order", "Your order id (default: create-<time>).")] = None,
    from_json: Annotated[Path | None, _option(
        "--from-json", "Order", "Read the whole order from a JSON file instead.")] = None,
    carrier: Annotated[str | None, _option("--carrier", "Rates", "Only this carrier.")] = None,
    service: Annotated[str | None, _option("--service", "Rates", "Only this service.")] = None,
    rule: opt.Rule = None,
    carriers: opt.Carriers = None,
    residential_carriers: opt.ResidentialCarriers = None,
    max_days: opt.MaxDays = None,
    max_rate: opt.MaxRate = None,
    verify: vf.Verify = None,
    dry_run: Annotated[bool, _option("--dry-run", "Order", "Show the rates; buy nothing.")] = False,
    yes: opt.Yes = False,
    rebuy: Annotated[bool, _option("--rebuy", "Order",
                                   "Buy a new label for a reference that has one.")] = False,
    label_out: Annotated[Path | None, _option(
        "--label-out", "Output", "Where to save the label (default: REFERENCE.pdf).")] = None,
    label_format: opt.LabelFormatOption = None,
    force: opt.Force = False,
    as_json: Annotated[bool, _option("--json", "Output", "Print the result as JSON.")] = False,
    ship_date: opt.ShipDate = None,
) -> None:
    """Buy one label: quote, show the rates with the chosen one marked, confirm, buy, save."""
    from shipctl.jobs.create import OrderFields, build_order, create_label, order_from_json

    context: AppContext = ctx.obj
    settings = context.settings
    opt.require_confirmation_or_yes(context, yes=yes, dry_run=dry_run)
    if from_json is not None:
        order = order_from_json(from_json, settings)
    else:
        fields = OrderFields(
            reference=reference, weight=weight, parcel=parcel, carrier=carrier, service=service,
            to_address={**dict(zip(ADDRESS_FIELDS, (
                to_name, to_company, to_street1, to_street2, to_city, to_state, to_zip,
                to_country, to_phone, to_email), strict=True)), "residential": to_residential},
            from_address=dict(zip(ADDRESS_FIELDS, (
                from_name, from_company, from_street1, from_street2, from_city, from_state,
                from_zip, from_country, from_phone, from_email), strict=True)),
        )
        order = build_order(settings, fields, context.clock().strftime("%Y%m%d-%H%M%S"))
    if order.from_address is None:
        settings.require_from_address()  # before anything is quoted
    rate_rule = opt.rate_rule(rule, list(carriers or []), max_days, max_rate,
                              settings.default_rate_rule, residential_carriers,
                              settings.residential_carriers)
    if order.carrier:
        opt.known_carriers([(order.carrier, order.service)], "--carrier/--service")
    if settings.simulate:
        context.notice("simulated: labels come from the built-in simulator and are not postage")

    def confirm(view: RatesView) -> bool:
        if not as_json:
            _show_rates(context, view)
        if yes:
            return True
        from rich.prompt import Confirm

        chosen = view.chosen
        assert chosen is not None
        return Confirm.ask(f"Buy {chosen.carrier} {chosen.service} for ${chosen.rate}?",
                           console=context.stderr, default=False)

    result = eventloop.run(create_label(
        settings, order, rule=rate_rule, confirm=confirm,
        label_format=label_format, label_out=opt.output_path(label_out),
        force=force, verify=vf.verify_mode(verify, False, "off"), dry_run=dry_run,
        rebuy=rebuy, carriers=context.carriers,
        ship_date=opt.ship_date(context, ship_date),
        reference_given=from_json is not None or reference is not None,
    ))
    if result.resumed is not None:
        context.notice(f"{result.resumed}: an earlier create of this order had no known "
                       "outcome; its shipment was retrieved first (no second label)")
    if as_json:
        context.stdout.print_json(json.dumps(_as_json(result)))
        return
    if result.label is None:
        _show_rates(context, result.rates)
        return
    _show_label(context, result)


def _show_rates(context: AppContext, view: RatesView) -> None:
    title = f"Rates for {escape(view.order.reference)} ({view.shipment.shipment_id})"
    table = Table(title=title, title_justify="left")
    for column in ("", "carrier", "service", "rate", "days", "excluded because"):
        table.add_column(column, justify="right" if column in ("rate", "days") else "left")
    for verdict in view.verdicts:
        quote = verdict.quote
        table.add_row(
            "[bold green]→[/]" if verdict.chosen else "",
            escape(quote.carrier), escape(quote.service), f"${quote.rate}",
            "" if quote.delivery_days is None else str(quote.delivery_days),
            escape(verdict.excluded_because or ""),
            style="bold" if verdict.chosen else ("dim" if verdict.excluded_because else None),
        )
    print_table(context.stdout, table)
    for message in view.shipment.messages:
        context.stdout.print(f"[yellow]carrier message:[/] {escape(message.message)}")
    if view.chosen is None and view.verdicts:
        context.stdout.print("[red]no rate matches the rule[/]")


def _show_label(context: AppContext, result: CreateResult) -> None:
    label = result.label
    assert label is not None
    out = context.stdout
    out.print(f"[bold green]bought[/] {escape(label.carrier)} {escape(label.service)} "
              f"for ${label.rate} {label.currency}")
    out.print(f"tracking code:  {escape(label.tracking_code)}")
    days = "?" if label.delivery_days is None else str(label.delivery_days)
    out.print(f"delivery days:  {days}")
    out.print(f"shipment:       {label.shipment_id}")
    out.print(f"label:          {escape(str(result.label_path))}", soft_wrap=True)


def _as_json(result: CreateResult) -> dict[str, Any]:
    view = result.rates
    body: dict[str, Any] = {
        "reference": view.order.reference,
        "shipment_id": view.shipment.shipment_id,
        "mode": view.mode,
        "rates": [
            {"carrier": v.quote.carrier, "service": v.quote.service, "rate": str(v.quote.rate),
             "currency": v.quote.currency, "delivery_days": v.quote.delivery_days,
             "chosen": v.chosen, "excluded_because": v.excluded_because}
            for v in view.verdicts
        ],
        "purchased": result.label is not None,
    }
    if result.label is not None:
        label = result.label
        body.update({
            "tracking_code": label.tracking_code, "carrier": label.carrier,
            "service": label.service, "rate": str(label.rate), "currency": label.currency,
            "delivery_days": label.delivery_days, "label_url": label.label_url,
            "label_path": str(result.label_path), "run_id": result.run_id,
        })
    return body
