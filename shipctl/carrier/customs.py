"""Customs on EasyPost: the `customs_info` of an international shipment, from the order's
own line items, and the customs forms (`forms[]`) of a bought label.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.executor import CarrierExecutor
from shipctl.models import Address, CustomsSettings, LineItem, Order, needs_customs

Json = dict[str, Any]
# The least weight EasyPost is sent for one customs item, in ounces.
MIN_ITEM_OZ = Decimal("0.1")
CENT = Decimal("0.01")


def add_customs(params: Json, order: Order, from_address: Address,
                customs: CustomsSettings | None) -> None:  # fmt: skip
    """Put the order's customs declaration (and duties terms) on a shipment's params when
    its label crosses a border."""
    if customs is None or not order.items or not needs_customs(order.to_address, from_address):
        return
    params["customs_info"] = customs_info(order, customs, from_address.country)
    if customs.incoterm:
        params.setdefault("options", {})["incoterm"] = customs.incoterm


def customs_info(order: Order, customs: CustomsSettings, origin: str = "US") -> Json:
    """One customs item per line item: its quantity, total value and total weight (made in
    `origin` unless the item says otherwise)."""
    info: Json = {
        "contents_type": customs.contents_type,
        "non_delivery_option": customs.non_delivery_option,
        "restriction_type": customs.restriction_type,
        "eel_pfc": f"AES {order.itn}" if order.itn else customs.eel_pfc,
        "customs_items": [
            _item(item, weight, origin)
            for item, weight in zip(order.items, item_weights(order), strict=True)
        ],
    }
    if customs.signer:
        info["customs_signer"] = customs.signer
        info["customs_certify"] = True
    for name in ("contents_explanation", "restriction_comments"):
        if getattr(customs, name):
            info[name] = getattr(customs, name)
    return info


def item_weights(order: Order) -> list[Decimal]:
    """Each line's total weight in ounces: its own (unit weight × quantity) when known, else
    a share by quantity of what the parcel weighs beyond the weighed items."""
    known = sum((i.weight_oz * i.quantity for i in order.items if i.weight_oz), Decimal(0))
    unweighed = sum(i.quantity for i in order.items if not i.weight_oz)
    share = (order.parcel.weight_oz - known) / unweighed if unweighed else Decimal(0)
    return [
        (item.weight_oz * item.quantity if item.weight_oz else max(share, MIN_ITEM_OZ)
         * item.quantity).quantize(CENT, ROUND_HALF_UP).max(MIN_ITEM_OZ)
        for item in order.items
    ]


def _item(item: LineItem, weight: Decimal, origin: str) -> Json:
    params: Json = {
        "description": (item.description or item.name)[:255],
        "quantity": item.quantity,
        "value": float(item.total_value.quantize(CENT, ROUND_HALF_UP)),
        "currency": item.currency,
        "weight": float(weight),
        "origin_country": item.origin_country or origin,
    }
    if item.hs_tariff_number:
        params["hs_tariff_number"] = item.hs_tariff_number
    if item.sku:
        params["code"] = item.sku
    return params


async def form_urls(executor: CarrierExecutor, shipment_id: str) -> list[str]:
    """The URLs of a bought shipment's customs forms (commercial invoice, CN22…)."""
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/shipments/{shipment_id}"),
        name="retrieve shipment forms",
    )
    return [str(form["form_url"]) for form in data.get("forms") or ()
            if isinstance(form, dict) and form.get("form_url")]  # fmt: skip
