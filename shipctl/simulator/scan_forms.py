"""Scan forms (manifests): one document listing labels for the carrier to accept at once.

As EasyPost requires: every label bought, none refunded, none on a form already, none dated
before the day the form is made (UTC, by the simulated clock), all from one origin address
and one carrier account. A form belongs to a batch; one made from
shipments gets a batch of its own, as on EasyPost.
"""

from __future__ import annotations

import io
from typing import Any

from shipctl.simulator import shipments
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, not_found
from shipctl.simulator.ids import new_id
from shipctl.simulator.labels import NOT_POSTAGE
from shipctl.simulator.paging import page_size
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]
CONTENT_TYPE = "application/pdf"


def create(sim: Simulation, payload: Json) -> Json:
    """POST /scan_forms {scan_form: {shipments: [{id}]}} (the SDK's own tests send
    `shipment`; EasyPost takes either, wrapped or not)."""
    from shipctl.simulator import batches  # a form belongs to a batch; batches make forms

    params = payload.get("scan_form") if isinstance(payload.get("scan_form"), dict) else payload
    assert isinstance(params, dict)
    entries = params.get("shipments", params.get("shipment"))
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise ApiError(422, "SCAN_FORM.SHIPMENTS.REQUIRED",
                       "Shipments are required to create a scan form.")
    ids = list(dict.fromkeys(
        str(e.get("id") if isinstance(e, dict) else e) for e in entries))
    now = sim.now()
    with sim.store.transaction():
        found = {i: sim.store.get("shipment", i) for i in ids}
        missing = [i for i, shipment in found.items() if shipment is None]
        if missing:
            raise ApiError(422, "SCAN_FORM.CREATE.FAILURE",
                           f"Unable to create manifest. {len(missing)} of the specified "
                           f"shipments were not found: {', '.join(missing)}")
        bought = [s for s in found.values() if s is not None]
        batch = batches.for_scan_form(sim, bought, now)
        form = make(sim, bought, batch["id"], now)
        batches.attach_scan_form(sim, batch, form)
    return render(sim, form)


def _origin(address: Json) -> tuple[str, ...]:
    fields = ("street1", "street2", "city", "state", "country")
    return (*(str(address.get(k) or "").strip().upper() for k in fields),
            str(address.get("zip") or "")[:5])


def _check(sim: Simulation, bought: list[Json], now: float) -> None:
    """Refuse the form as EasyPost does; nothing is written before every label passes."""
    today = iso(now)[:10]
    for shipment in bought:
        if not shipment.get("postage_label"):
            raise ApiError(422, "SCAN_FORM.SHIPMENTS.INVALID",
                           f"Unable to create manifest. Shipment {shipment['id']} has not "
                           "been purchased.")
        if shipment.get("scan_form"):
            raise ApiError(422, "SCAN_FORM.CREATE.FAILURE",
                           f"Unable to create manifest. Shipment {shipment['id']} is already "
                           f"on scan form {shipment['scan_form']['id']}.")
        label_day = shipment["postage_label"]["label_date"][:10]
        if label_day < today:
            raise ApiError(422, "SCAN_FORM.SHIPMENTS.INVALID",
                           f"Unable to create manifest. Shipment {shipment['id']} is dated "
                           f"{label_day}, before the form's date {today}.")
        refund_status = shipments.render(sim, shipment).get("refund_status")
        if refund_status in ("submitted", "refunded"):
            raise ApiError(422, "SCAN_FORM.SHIPMENTS.INVALID",
                           f"Unable to create manifest. Shipment {shipment['id']} has been "
                           "refunded.")
    if len({_origin(s["from_address"]) for s in bought}) > 1:
        raise ApiError(422, "SCAN_FORM.SHIPMENTS.INVALID",
                       "Unable to create manifest. All shipments must have the same "
                       "from address.")
    accounts = {(s["selected_rate"]["carrier"], s["selected_rate"].get("carrier_account_id"))
                for s in bought}
    if len(accounts) > 1:
        found = ", ".join(f"{carrier} {account}" for carrier, account in sorted(accounts))
        raise ApiError(422, "SCAN_FORM.BATCH.MULTIPLE_CARRIERS",
                       "Unable to create manifest. All shipments must belong to the same "
                       f"carrier account (found {found}).")


def make(sim: Simulation, bought: list[Json], batch_id: str, now: float) -> Json:
    """Check, store and record a form for `bought`; mark each shipment as on it."""
    _check(sim, bought, now)
    stamp = iso(now)
    form_id = new_id("sf")
    form: Json = {
        "id": form_id, "object": "ScanForm", "created_at": stamp, "updated_at": stamp,
        "tracking_codes": [s["tracking_code"] for s in bought],
        "address": bought[0]["from_address"], "status": "created", "message": None,
        "form_url": f"/_sim/scan_forms/{form_id}.pdf", "form_file_type": None,
        "batch_id": batch_id, "confirmation": None,
    }
    sim.store.insert("scan_form", form)
    sim.store.record_scan_form(form_id, [(s["id"], s["tracking_code"]) for s in bought])
    for shipment in bought:
        shipment["scan_form"] = form
        sim.store.update(shipment, text=shipments.encode(shipment).decode())
    return form


def retrieve(sim: Simulation, form_id: str) -> Json:
    form = sim.store.get("scan_form", form_id)
    if form is None:
        raise not_found()
    return render(sim, form)


def page(sim: Simulation, query: dict[str, str]) -> Json:
    """GET /scan_forms: newest first, `page_size` ≤ 100, `before_id`."""
    rows, more = sim.store.page("scan_form", limit=page_size(query),
                                before_id=query.get("before_id"))
    return {"scan_forms": [render(sim, row) for row in rows], "has_more": more}


def render(sim: Simulation, form: Json) -> Json:
    out = dict(form)
    if out.get("form_url"):
        out["form_url"] = sim.base_url + out["form_url"]
    return out


def form_of_file(sim: Simulation, name: str) -> Json:
    """The form behind a form_url's file name."""
    form_id, _, ext = name.rpartition(".")
    form = sim.store.get("scan_form", form_id)
    if form is None or ext != "pdf":
        raise not_found()
    return form


def pdf(form: Json) -> bytes:
    """A letter-size manifest: origin, date, a barcode for the form, every tracking code."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter)
    page.setTitle(f"Scan form {form['id']}")
    codes: list[str] = form["tracking_codes"]
    address = form["address"] or {}
    height = letter[1]

    def header() -> float:
        page.setFont("Helvetica-Bold", 16)
        page.drawString(0.75 * inch, height - 0.9 * inch, "SHIPMENT MANIFEST (SCAN FORM)")
        page.setFont("Helvetica", 9)
        y = height - 1.2 * inch
        lines = [f"Form {form['id']}   Batch {form['batch_id']}",
                 f"Date {form['created_at'][:10]}   Packages {len(codes)}",
                 "FROM: " + ", ".join(str(address.get(k)) for k in
                                      ("name", "company", "street1", "street2", "city",
                                       "state", "zip") if address.get(k))]
        for line in lines:
            page.drawString(0.75 * inch, y, line)
            y -= 13
        Code128(form["id"][3:23].upper(), barWidth=0.009 * inch,
                barHeight=0.6 * inch).drawOn(page, 0.6 * inch, y - 0.7 * inch)
        page.setFont("Helvetica-Bold", 8)
        page.drawString(0.75 * inch, 0.5 * inch, NOT_POSTAGE)
        return y - 1.0 * inch

    y = header()
    page.setFont("Courier", 10)
    for number, code in enumerate(codes, 1):
        if y < 0.9 * inch:
            page.showPage()
            y = header()
            page.setFont("Courier", 10)
        page.drawString(0.75 * inch, y, f"{number:5d}  {code}")
        y -= 14
    page.showPage()
    page.save()
    return out.getvalue()
