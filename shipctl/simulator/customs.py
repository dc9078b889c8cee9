"""Customs: CustomsItem and CustomsInfo objects, and the customs forms of a bought label.

A shipment between two countries, or to or from a US military post office, needs a
CustomsInfo to be bought (EasyPost's rule). Bought, it carries its customs form in `forms[]`:
a CN22 for USPS, a commercial invoice for UPS and FedEx, each a PDF.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, invalid, not_found, required
from shipctl.simulator.ids import new_id
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]

INFO_FIELDS = ("contents_explanation", "contents_type", "customs_certify", "customs_signer",
               "eel_pfc", "non_delivery_option", "restriction_comments", "restriction_type")
CONTENTS_TYPES = frozenset({"documents", "gift", "merchandise", "returned_goods", "sample",
                            "dangerous_goods", "humanitarian_donation", "other"})
# As the real API words it (its answer when a cross-border label is bought without one).
CUSTOMS_REQUIRED = (
    "Unable to proceed, 'customs_info' is required for international shipments, shipments "
    "bound for US military bases, or US territories. Please see "
    "https://www.easypost.com/docs/api#customs for more information."
)
FORM_TYPES = {"USPS": "cn22", "UPS": "commercial_invoice", "FedEx": "commercial_invoice"}


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid(field, "must be a number") from None


def _money(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        raise invalid(field, "must be a number") from None


def build_item(fields: Json, now: float, *, field_prefix: str = "") -> Json:
    """A new CustomsItem, in the real API's key order."""
    for name in ("description", "quantity", "value", "weight"):
        if fields.get(name) in (None, ""):
            raise required(f"{field_prefix}{name}")
    quantity = _number(fields.get("quantity"), f"{field_prefix}quantity")
    stamp = iso(now)
    return {
        "id": new_id("cstitem"), "object": "CustomsItem", "created_at": stamp,
        "updated_at": stamp, "description": fields.get("description"),
        "hs_tariff_number": fields.get("hs_tariff_number"),
        "origin_country": fields.get("origin_country"),
        "quantity": int(quantity) if quantity is not None and quantity.is_integer() else quantity,
        "value": _money(fields.get("value"), f"{field_prefix}value"),
        "weight": _number(fields.get("weight"), f"{field_prefix}weight"),
        "code": fields.get("code"), "mode": "test", "manufacturer": fields.get("manufacturer"),
        "currency": fields.get("currency"), "eccn": fields.get("eccn"),
        "printed_commodity_identifier": fields.get("printed_commodity_identifier"),
    }


def _item(sim: Simulation, value: Any, now: float, rows: list[tuple[str, Json]], n: int) -> Json:
    if not isinstance(value, dict):
        raise invalid(f"customs_items.{n}", "must be an object")
    if "id" in value and len(value) == 1:
        stored = sim.store.get("customs_item", str(value["id"]))
        if stored is None:
            raise not_found(f"CustomsItem {value['id']} not found.")
        return stored
    item = build_item(value, now, field_prefix=f"customs_items.{n}.")
    rows.append(("customs_item", item))
    return item


def build_info(sim: Simulation, fields: Json, now: float, rows: list[tuple[str, Json]]) -> Json:
    """A new CustomsInfo; its items inline (new ones are added to `rows`) or by id."""
    contents_type = fields.get("contents_type") or "merchandise"
    if contents_type not in CONTENTS_TYPES:
        raise invalid("customs_info.contents_type", "is not a valid contents type")
    if contents_type == "other" and not fields.get("contents_explanation"):
        raise required("customs_info.contents_explanation")
    if fields.get("customs_certify") and not fields.get("customs_signer"):
        raise required("customs_info.customs_signer")
    items = [_item(sim, item, now, rows, n)
             for n, item in enumerate(fields.get("customs_items") or [])]
    stamp = iso(now)
    info: Json = {"id": new_id("cstinfo"), "object": "CustomsInfo", "created_at": stamp,
                  "updated_at": stamp}
    info.update({name: fields.get(name) for name in INFO_FIELDS})
    info["contents_type"] = contents_type
    info["non_delivery_option"] = fields.get("non_delivery_option") or "return"
    info.update({"mode": "test", "declaration": fields.get("declaration"),
                 "customs_items": items})
    rows.append(("customs_info", info))
    return info


def resolve(sim: Simulation, value: Any, now: float, rows: list[tuple[str, Json]]) -> Json | None:
    """A shipment's `customs_info`: inline, or {"id"} of one made with POST /customs_infos."""
    if not isinstance(value, dict) or not value:
        return None
    if "id" in value and len(value) == 1:
        stored = sim.store.get("customs_info", str(value["id"]))
        if stored is None:
            raise not_found(f"CustomsInfo {value['id']} not found.")
        return stored
    return build_info(sim, value, now, rows)


def _store(sim: Simulation, rows: list[tuple[str, Json]]) -> None:
    with sim.store.transaction():
        for kind, body in rows:
            sim.store.insert(kind, body)


def create_item(sim: Simulation, payload: Json) -> Json:
    """POST /customs_items."""
    fields = payload.get("customs_item")
    if not isinstance(fields, dict) or not fields:
        raise required("customs_item")
    item = build_item(fields, sim.now())
    _store(sim, [("customs_item", item)])
    return item


def create_info(sim: Simulation, payload: Json) -> Json:
    """POST /customs_infos."""
    fields = payload.get("customs_info")
    if not isinstance(fields, dict) or not fields:
        raise required("customs_info")
    rows: list[tuple[str, Json]] = []
    info = build_info(sim, fields, sim.now(), rows)
    _store(sim, rows)
    return info


def retrieve(sim: Simulation, kind: str, object_id: str) -> Json:
    found = sim.store.get(kind, object_id)
    if found is None:
        raise not_found()
    return found


# USPS carries mail between the states, Puerto Rico and the US Virgin Islands as domestic
# mail; the military post offices (states AA, AE, AP) need a customs declaration all the same.
DOMESTIC_US = frozenset({"US", "PR", "VI"})
MILITARY_STATES = frozenset({"AA", "AE", "AP"})


def crosses_border(from_country: str, to_country: str) -> bool:
    """Whether a shipment between these countries is international (rated and declared so)."""
    return from_country != to_country and not {from_country, to_country} <= DOMESTIC_US


def needs_customs(shipment: Json) -> bool:
    """EasyPost's rule: customs information for international shipments, shipments bound for
    US military bases, or US territories."""
    to, origin = shipment["to_address"], shipment["from_address"]
    military = {str(to.get("state") or "").upper(), str(origin.get("state") or "").upper()}
    return crosses_border(origin["country"], to["country"]) or bool(military & MILITARY_STATES)


def require_customs(shipment: Json) -> None:
    """Refuse to buy a label that needs customs information without it, as the real API."""
    if needs_customs(shipment) and not shipment.get("customs_info"):
        raise ApiError(422, "SHIPMENT.POSTAGE.FAILURE", CUSTOMS_REQUIRED)


def new_forms(sim: Simulation, shipment: Json, carrier: str, now: float) -> list[Json]:
    """The customs form of a cross-border label just bought (none for a domestic one); each
    is stored, so that its `form_url` can serve the PDF."""
    if not needs_customs(shipment) or not shipment.get("customs_info"):
        return []
    form_id = new_id("form")
    stamp = iso(now)
    form = {
        "object": "Form", "id": form_id, "created_at": stamp, "updated_at": stamp,
        "mode": "test", "form_type": FORM_TYPES.get(carrier, "commercial_invoice"),
        "form_url": f"/_sim/forms/{form_id}.pdf", "submitted_electronically": None,
    }
    sim.store.insert("form", {"id": form_id, "shipment_id": shipment["id"], **form})
    return [form]


def with_absolute_urls(forms: list[Json], base_url: str) -> list[Json]:
    return [{**form, "form_url": base_url + form["form_url"]}
            if str(form.get("form_url") or "").startswith("/_sim/") else form
            for form in forms]


def form_pdf(sim: Simulation, form_id: str) -> bytes:
    """The PDF of a stored customs form, drawn from its shipment."""
    form = sim.store.get("form", form_id)
    shipment = sim.store.get("shipment", form["shipment_id"]) if form else None
    if form is None or shipment is None:
        raise not_found()
    return render_pdf(form["form_type"], shipment)


def _address_lines(address: Json) -> list[str]:
    city = ", ".join(str(p) for p in (address.get("city"), address.get("state")) if p)
    lines = [address.get("name"), address.get("company"), address.get("street1"),
             address.get("street2"), f"{city} {address.get('zip') or ''}".strip(),
             address.get("country")]
    return [str(line) for line in lines if line]


def render_pdf(form_type: str, shipment: Json) -> bytes:
    """A one-page customs declaration: sender, addressee, contents and their value."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    info = shipment["customs_info"]
    rate = shipment.get("selected_rate") or {}
    title = ("CUSTOMS DECLARATION CN 22" if form_type == "cn22" else "COMMERCIAL INVOICE")
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter, pageCompression=0)  # text stays searchable
    page.setTitle(f"{title} {shipment.get('tracking_code') or ''}".strip())
    page.setFont("Helvetica-Bold", 16)
    page.drawString(0.75 * inch, 10.2 * inch, title)
    page.setFont("Helvetica", 9)
    page.drawString(0.75 * inch, 9.95 * inch,
                    f"Tracking {shipment.get('tracking_code')}  {rate.get('carrier', '')} "
                    f"{rate.get('service', '')}  Shipment {shipment['id']}")
    y = 9.6 * inch
    for heading, address in (("FROM", shipment["from_address"]),
                             ("TO", shipment["to_address"])):
        page.setFont("Helvetica-Bold", 9)
        page.drawString(0.75 * inch, y, heading)
        page.setFont("Helvetica", 9)
        for line in _address_lines(address):
            y -= 12
            page.drawString(1.0 * inch, y, line)
        y -= 20
    page.setFont("Helvetica-Bold", 9)
    page.drawString(0.75 * inch, y, f"Contents: {info.get('contents_type')}   "
                    f"Non-delivery: {info.get('non_delivery_option')}   "
                    f"EEL/PFC: {info.get('eel_pfc') or ''}")
    y -= 18
    columns = (0.75, 3.9, 4.6, 5.4, 6.2, 7.0)
    for x, name in zip(columns, ("Description", "Qty", "Weight oz", "Value", "HS code",
                                 "Origin"), strict=True):
        page.drawString(x * inch, y, name)
    page.setFont("Helvetica", 9)
    total = Decimal(0)
    for item in info.get("customs_items") or []:
        y -= 13
        value = Decimal(str(item.get("value") or 0))
        total += value
        cells = (str(item.get("description") or "")[:48], str(item.get("quantity") or ""),
                 f"{item.get('weight') or 0:g}", f"{value:.2f}",
                 str(item.get("hs_tariff_number") or ""), str(item.get("origin_country") or ""))
        for x, cell in zip(columns, cells, strict=True):
            page.drawString(x * inch, y, cell)
    y -= 20
    page.setFont("Helvetica-Bold", 9)
    page.drawString(0.75 * inch, y, f"Total value: {total:.2f} "
                    f"{(info.get('customs_items') or [{}])[0].get('currency') or 'USD'}")
    y -= 30
    signer = info.get("customs_signer") or ""
    certified = "certified electronically" if info.get("customs_certify") else "not certified"
    page.setFont("Helvetica", 9)
    page.drawString(0.75 * inch, y, f"Signed: {signer} ({certified})")
    page.drawString(0.75 * inch, 0.6 * inch, "SIMULATED — NOT A VALID CUSTOMS DECLARATION")
    page.showPage()
    page.save()
    return out.getvalue()
