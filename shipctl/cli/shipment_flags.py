"""Shipment options for every order of a run (a column of the file overrides them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from shipctl.models import ShipmentOptions

PANEL = "Shipment options"
Insurance = Annotated[str | None, typer.Option(
    "--insurance", help="Insure each label for this declared value, e.g. 100.00 (column "
    "`insurance`).", rich_help_panel=PANEL, show_default=False)]
Signature = Annotated[str | None, typer.Option(
    "--signature", help="none, signature or adult (column `signature`).",
    rich_help_panel=PANEL, show_default=False)]
Saturday = Annotated[bool, typer.Option(
    "--saturday-delivery", help="Ask for Saturday delivery (column `saturday_delivery`).",
    rich_help_panel=PANEL)]
Hazmat = Annotated[str | None, typer.Option(
    "--hazmat", help="EasyPost hazmat class, e.g. LIMITED_QUANTITY or LITHIUM (column "
    "`hazmat`).", rich_help_panel=PANEL, show_default=False)]
CarrierAccount = Annotated[str | None, typer.Option(
    "--carrier-account", help="Rate and buy with this EasyPost carrier account (ca_…; "
    "column `carrier_account`).", rich_help_panel=PANEL, show_default=False)]
Return = Annotated[bool, typer.Option(
    "--return", help="Return labels: the parcel comes back from the customer (column "
    "`return`).", rich_help_panel=PANEL)]


def shipment_options(
    *, insurance: str | None, signature: str | None, saturday_delivery: bool,
    hazmat: str | None, carrier_account: str | None, is_return: bool,
) -> ShipmentOptions | None:
    """The run's ShipmentOptions, or a BadParameter naming the flag."""
    from shipctl.models import ShipmentOptions
    from shipctl.orders import shipment_options as parse

    chosen: dict[str, Any] = {}
    for flag, name, text, parser in (
        ("--insurance", "insurance", insurance, parse.parse_insurance),
        ("--signature", "signature", signature, parse.parse_signature),
        ("--hazmat", "hazmat", hazmat, parse.parse_hazmat),
        ("--carrier-account", "carrier_account", carrier_account, parse.parse_account),
    ):
        if text is None:
            continue
        try:
            chosen[name] = parser(text)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint=flag) from None
    if saturday_delivery:
        chosen["saturday_delivery"] = True
    if is_return:
        chosen["is_return"] = True
    return ShipmentOptions(**chosen) if chosen else None
