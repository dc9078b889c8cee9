"""What a shipment asks of EasyPost beyond addresses and parcel: label options and extras.

The label's print fields (`print_custom_1` carries the order reference so a packer matches
label and parcel), its format and resolution, and the order's shipment options (insurance,
signature, Saturday delivery, hazmat, carrier account, return label).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from shipctl.models import Order

if TYPE_CHECKING:
    from shipctl.config import Settings

Json = dict[str, Any]
LabelReference = Literal["reference", "none"]
# EasyPost's delivery_confirmation for each `signature` value.
DELIVERY_CONFIRMATION = {"none": "NO_SIGNATURE", "signature": "SIGNATURE",
                         "adult": "ADULT_SIGNATURE"}


@dataclass(frozen=True)
class LabelSetup:
    """How every label of a run is printed: which field goes on it, at what resolution."""

    reference: LabelReference = "reference"
    dpi: int | None = None  # EasyPost label_resolution (203 or 300); None: the carrier's

    @classmethod
    def of(cls, settings: Settings, dpi: int | None = None) -> LabelSetup:
        return cls(reference=settings.label_reference, dpi=dpi)


def label_text(order: Order, setup: LabelSetup) -> str | None:
    """The text printed on the label as print_custom_1, if any."""
    return order.reference if setup.reference == "reference" else None


def shipment_options(order: Order, label_format: str | None, setup: LabelSetup) -> Json:
    """The `options` of the EasyPost shipment for `order`."""
    options: Json = {}
    if label_format:
        options["label_format"] = label_format.upper()
    text = label_text(order, setup)
    if text:
        options["print_custom_1"] = text
    if setup.dpi:
        options["label_resolution"] = setup.dpi
    chosen = getattr(order, "options", None)
    if chosen is not None:
        if chosen.signature:
            options["delivery_confirmation"] = DELIVERY_CONFIRMATION[chosen.signature]
        if chosen.saturday_delivery:
            options["saturday_delivery"] = True
        if chosen.hazmat:
            options["hazmat"] = chosen.hazmat
    return options


def shipment_params(order: Order) -> Json:
    """Shipment fields other than options: a return label, a chosen carrier account.

    A return label keeps the order's addresses as they are: EasyPost swaps them itself when
    `is_return` is true (the parcel goes from the customer back to the warehouse).
    """
    params: Json = {}
    chosen = getattr(order, "options", None)
    if chosen is not None:
        if chosen.is_return:
            params["is_return"] = True
        if chosen.carrier_account:
            params["carrier_accounts"] = [chosen.carrier_account]
    return params
