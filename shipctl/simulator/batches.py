"""Batches: many shipments bought, labelled and manifested together; and claims.

EasyPost works a batch in the background: an answer shows the step as begun ("creating",
"purchasing", "label_generating", a scan form "creating") and a later retrieve shows it
done. The simulator does the work at once, in the request's transaction (so every purchase
is in the ledger before the answer), and only shows it as under way for PROCESSING_SECONDS
of wall time: a client has to poll as it would against EasyPost.
"""

from __future__ import annotations

import io
import time
from decimal import Decimal
from typing import Any

from shipctl.simulator import labels, scan_forms, shipments
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, field_error, invalid, not_found, required
from shipctl.simulator.ids import new_id
from shipctl.simulator.paging import page_size
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]

# How long (real seconds) a batch shows a step as under way.
PROCESSING_SECONDS = 0.3
STATUSES = ("created", "queued_for_purchase", "creation_failed", "postage_purchased",
            "postage_purchase_failed")
# Formats a batch's labels can be merged into (EasyPost: PDF, ZPL or EPL2; never PNG).
MERGED_FORMATS = ("PDF", "ZPL", "EPL2")
PARAMS_INVALID = "Unable to create batch, one or more parameters were invalid."


def create(sim: Simulation, payload: Json) -> Json:
    """POST /batches {batch: {shipments: [{id} or a new shipment's params], reference}}.

    A new shipment named with a carrier and service is rated now and bought with that
    service when the batch is bought, not before (unlike POST /shipments)."""
    params = _params(payload, "batch")
    entries = params.get("shipments")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise invalid("batch.shipments", "must be a list")
    now = sim.now()
    with sim.store.transaction():
        reference = params.get("reference")
        batch = _new_batch("created", None if reference is None else str(reference), now)
        for entry in entries:
            if isinstance(entry, dict) and "id" not in entry:
                shipment = _create_shipment(sim, batch, entry)
                if shipment is None:
                    continue
            else:
                shipment = _existing_shipment(sim, entry)
            _add(sim, batch, shipment)
        _recount(batch)
        if entries:
            _begin(batch, "creating")
        sim.store.insert("batch", batch, reference=batch["reference"])
    return render(sim, batch)


def _new_batch(state: str, reference: str | None, now: float) -> Json:
    """A batch with no shipments; the keys after `label_url` are the simulator's own."""
    return {
        "id": new_id("batch"), "object": "Batch", "mode": "test", "state": state,
        "num_shipments": 0, "reference": reference, "created_at": iso(now),
        "updated_at": iso(now), "scan_form": None, "shipments": [], "status": _counts([], 0),
        "pickup": None, "label_url": None,
        "_choices": {},  # shipment id -> the carrier and service it was added with
        "_creation_failed": 0,  # new shipments that could not be created
        "_queued": [],  # ids the last buy bought, shown as queued while it is under way
        "_pending": None, "_ready_at": 0.0,  # the step shown as under way, and until when
        "_form_ready_at": 0.0,  # the scan form shows as being created until then
    }


def _params(payload: Json, key: str) -> Json:
    """The object's params, wrapped (as the SDK sends them) or not."""
    wrapped = payload.get(key)
    return wrapped if isinstance(wrapped, dict) else payload


def _create_shipment(sim: Simulation, batch: Json, params: Json) -> Json | None:
    """Rate a new shipment for the batch; None (counted as creation_failed) if it is invalid."""
    choice = {k: params[k] for k in ("carrier", "service") if isinstance(params.get(k), str)}
    rated = {k: v for k, v in params.items() if k != "service"}
    try:
        shipment_id, _ = shipments.create_json(sim, {"shipment": rated})
    except ApiError:
        batch["_creation_failed"] += 1
        return None
    if choice.get("service"):
        batch["_choices"][shipment_id] = choice
    return shipments.find(sim, shipment_id)


def _existing_shipment(sim: Simulation, entry: Any) -> Json:
    shipment_id = entry.get("id") if isinstance(entry, dict) else entry
    if not isinstance(shipment_id, str) or not shipment_id:
        raise ApiError(422, "BATCH.PARAMS.INVALID", PARAMS_INVALID,
                       [field_error("shipments", "each shipment needs an id")])
    shipment = sim.store.get("shipment", shipment_id)
    if shipment is None:
        raise ApiError(422, "BATCH.PARAMS.INVALID", PARAMS_INVALID,
                       [field_error("shipments", f"shipment {shipment_id} not found")])
    return shipment


def _add(sim: Simulation, batch: Json, shipment: Json) -> bool:
    """Put a shipment in the batch; False if it already was. A shipment is in one batch."""
    if any(s["id"] == shipment["id"] for s in batch["shipments"]):
        return False
    if shipment.get("batch_id") not in (None, batch["id"]):
        raise ApiError(422, "BATCH.PARAMS.INVALID", PARAMS_INVALID,
                       [field_error("shipments", f"shipment {shipment['id']} is already in "
                                                 f"batch {shipment['batch_id']}")])
    summary = _summary(shipment)
    batch["shipments"].append(summary)
    _mark(sim, shipment, batch["id"], summary["batch_status"], None)
    return True


def _summary(shipment: Json) -> Json:
    """A shipment as a batch lists it."""
    bought = bool(shipment.get("postage_label"))
    return {"batch_status": "postage_purchased" if bought else "created", "batch_message": None,
            "reference": shipment.get("reference"),
            "tracking_code": shipment.get("tracking_code"), "id": shipment["id"]}


def _mark(sim: Simulation, shipment: Json, batch_id: str | None, status: str | None,
          message: str | None) -> None:
    """Write the shipment's own batch_id / batch_status / batch_message."""
    shipment.update({"batch_id": batch_id, "batch_status": status, "batch_message": message})
    sim.store.update(shipment, text=shipments.encode(shipment).decode())


def _counts(summaries: list[Json], creation_failed: int) -> Json:
    counts = dict.fromkeys(STATUSES, 0)
    for summary in summaries:
        counts[summary["batch_status"]] += 1
    counts["creation_failed"] += creation_failed
    return counts


def _recount(batch: Json) -> None:
    batch["num_shipments"] = len(batch["shipments"])
    batch["status"] = _counts(batch["shipments"], batch["_creation_failed"])


def _begin(batch: Json, step: str) -> None:
    """Show `step` as under way for a while (see the module's docstring)."""
    batch["_pending"] = step
    batch["_ready_at"] = time.time() + PROCESSING_SECONDS


def _pending(batch: Json) -> str | None:
    step = batch.get("_pending")
    return step if step and time.time() < float(batch["_ready_at"]) else None


def _find(sim: Simulation, batch_id: str) -> Json:
    batch = sim.store.get("batch", batch_id)
    if batch is None:
        raise not_found()
    return batch


def _not_creating(batch: Json) -> None:
    if _pending(batch) == "creating":
        raise ApiError(422, "BATCH.STATE.CREATING",
                       "The batch is still being created; retry once its state is 'created'.")


def _ids(payload: Json) -> list[str]:
    entries = payload.get("shipments")
    if not isinstance(entries, list) or not entries:
        raise ApiError(422, "BATCH.SHIPMENTS.REQUIRED", "Shipments are required.",
                       [field_error("shipments", "cannot be blank")])
    ids = []
    for entry in entries:
        shipment_id = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(shipment_id, str) or not shipment_id:
            raise ApiError(422, "BATCH.PARAMS.INVALID", PARAMS_INVALID,
                           [field_error("shipments", "each shipment needs an id")])
        ids.append(shipment_id)
    return ids


def _save(sim: Simulation, batch: Json, now: float) -> None:
    batch["updated_at"] = iso(now)
    _recount(batch)
    sim.store.update(batch)


def add_shipments(sim: Simulation, batch_id: str, payload: Json) -> Json:
    """POST /batches/:id/add_shipments {shipments: [{id}]}."""
    ids = _ids(payload)
    now = sim.now()
    with sim.store.transaction():
        batch = _find(sim, batch_id)
        _not_creating(batch)
        added_unbought = False
        for shipment_id in ids:
            shipment = _existing_shipment(sim, shipment_id)
            if _add(sim, batch, shipment) and not shipment.get("postage_label"):
                added_unbought = True
        if added_unbought and batch["state"] != "created":
            batch["state"] = "created"
        _save(sim, batch, now)
    return render(sim, batch)


def remove_shipments(sim: Simulation, batch_id: str, payload: Json) -> Json:
    """POST /batches/:id/remove_shipments {shipments: [{id}]}: a batch whose every remaining
    shipment is bought counts as purchased."""
    ids = set(_ids(payload))
    now = sim.now()
    with sim.store.transaction():
        batch = _find(sim, batch_id)
        _not_creating(batch)
        kept = []
        for summary in batch["shipments"]:
            if summary["id"] not in ids:
                kept.append(summary)
                continue
            shipment = sim.store.get("shipment", summary["id"])
            if shipment is not None:
                _mark(sim, shipment, None, None, None)
            batch["_choices"].pop(summary["id"], None)
        batch["shipments"] = kept
        if batch["state"] in ("created", "purchase_failed") and all(
                s["batch_status"] == "postage_purchased" for s in kept):
            batch["state"] = "purchased"
        _save(sim, batch, now)
    return render(sim, batch)


def buy(sim: Simulation, batch_id: str) -> Json:
    """POST /batches/:id/buy: buys every shipment not bought yet, once each: the service
    chosen when it was added, else its lowest rate. A shipment already bought stays as is."""
    now = sim.now()
    with sim.store.transaction():
        batch = _find(sim, batch_id)
        _not_creating(batch)
        if not batch["shipments"]:
            raise ApiError(422, "BATCH.SHIPMENTS.REQUIRED",
                           "The batch has no shipments to buy.")
        waiting = [s for s in batch["shipments"] if s["batch_status"] != "postage_purchased"]
        if not waiting:
            raise ApiError(422, "BATCH.STATE.ALREADY_PURCHASED",
                           "Every shipment of this batch has already been purchased.")
        queued = []
        for summary in waiting:
            _buy_one(sim, batch, summary)
            queued.append(summary["id"])
        bought = all(s["batch_status"] == "postage_purchased" for s in batch["shipments"])
        batch["state"] = "purchased" if bought else "purchase_failed"
        batch["_queued"] = queued
        _begin(batch, "purchasing")
        _save(sim, batch, now)
    return render(sim, batch)


def _buy_one(sim: Simulation, batch: Json, summary: Json) -> None:
    shipment = _existing_shipment(sim, summary["id"])
    if not shipment.get("postage_label"):
        try:
            rate = _rate_to_buy(shipment, batch["_choices"].get(shipment["id"]))
            shipments.buy(sim, shipment["id"], {"rate": {"id": rate["id"]}})
        except ApiError as error:
            summary.update(batch_status="postage_purchase_failed", batch_message=error.message)
            _mark(sim, shipment, batch["id"], "postage_purchase_failed", error.message)
            return
        shipment = _existing_shipment(sim, summary["id"])
    summary.update(batch_status="postage_purchased", batch_message=None,
                   tracking_code=shipment.get("tracking_code"))
    _mark(sim, shipment, batch["id"], "postage_purchased", None)


def _rate_to_buy(shipment: Json, choice: Json | None) -> Json:
    shipment_rates = shipment["rates"]
    if choice:
        service, carrier = str(choice["service"]).lower(), choice.get("carrier")
        for rate in shipment_rates:
            if rate["service"].lower() == service and (
                    carrier is None or rate["carrier"].lower() == str(carrier).lower()):
                return rate
        raise ApiError(422, "SHIPMENT.POSTAGE.FAILURE",
                       f"No rate found for service {choice['service']!r}.")
    if not shipment_rates:
        raise ApiError(422, "SHIPMENT.RATES.UNAVAILABLE", "No rates available for shipment.")
    lowest: Json = min(shipment_rates, key=lambda r: Decimal(r["rate"]))
    return lowest


def label(sim: Simulation, batch_id: str, payload: Json) -> Json:
    """POST /batches/:id/label {file_format}: every bought label merged into one file."""
    fmt = str(payload.get("file_format") or "").upper()
    if not fmt:
        raise required("file_format")
    if fmt not in MERGED_FORMATS or fmt.lower() not in labels.CONTENT_TYPES:
        # The code is spelt as EasyPost's errors guide spells it.
        raise ApiError(422, "BATCH.FILE_FORAMT.INVALID",
                       f"Invalid file format {fmt}: a batch label is PDF, ZPL or EPL2.")
    now = sim.now()
    with sim.store.transaction():
        batch = _find(sim, batch_id)
        _not_creating(batch)
        _purchased(batch)
        batch["label_url"] = f"/_sim/batch_labels/{batch['id']}.{fmt.lower()}"
        batch["state"] = "label_generated"
        _begin(batch, "label_generating")
        _save(sim, batch, now)
    return render(sim, batch)


def _purchased(batch: Json) -> None:
    if batch["state"] not in ("purchased", "label_generated") or not batch["shipments"]:
        raise ApiError(422, "BATCH.STATE.NOT_PURCHASED",
                       "The batch must be purchased first.")


def create_scan_form(sim: Simulation, batch_id: str) -> Json:
    """POST /batches/:id/scan_form: one scan form for every label in the batch."""
    now = sim.now()
    with sim.store.transaction():
        batch = _find(sim, batch_id)
        _not_creating(batch)
        if batch["state"] not in ("purchased", "label_generated") or not batch["shipments"]:
            raise ApiError(422, "SCAN_FORM.BATCH.NOT_PURCHASED",
                           "Unable to create manifest: the batch has not been purchased.")
        bought = [_existing_shipment(sim, s["id"]) for s in batch["shipments"]]
        form = scan_forms.make(sim, bought, batch["id"], now)
        batch["scan_form"] = form
        batch["_form_ready_at"] = time.time() + PROCESSING_SECONDS
        _save(sim, batch, now)
    return render(sim, batch)


def for_scan_form(sim: Simulation, bought: list[Json], now: float) -> Json:
    """The purchased batch a scan form made from shipments belongs to (EasyPost makes one).

    It lists the shipments without taking them from a batch they may already be in."""
    batch = _new_batch("purchased", None, now)
    batch["shipments"] = [_summary(shipment) for shipment in bought]
    _recount(batch)
    sim.store.insert("batch", batch)
    return batch


def attach_scan_form(sim: Simulation, batch: Json, form: Json) -> None:
    batch["scan_form"] = form
    sim.store.update(batch)


def retrieve(sim: Simulation, batch_id: str) -> Json:
    return render(sim, _find(sim, batch_id))


def page(sim: Simulation, query: dict[str, str]) -> Json:
    """GET /batches: newest first, `page_size` ≤ 100, `before_id`."""
    rows, more = sim.store.page("batch", limit=page_size(query),
                                before_id=query.get("before_id"))
    return {"batches": [render(sim, row) for row in rows], "has_more": more}


def render(sim: Simulation, batch: Json) -> Json:
    """The Batch as the API shows it now: a step under way shows as begun."""
    out = {k: v for k, v in batch.items() if not k.startswith("_")}
    step = _pending(batch)
    if step == "creating":
        out.update(state="creating", shipments=[], status=_counts([], 0))
    elif step == "purchasing":
        queued = set(batch["_queued"])
        summaries = [
            {**s, "batch_status": "queued_for_purchase", "batch_message": None,
             "tracking_code": None} if s["id"] in queued else s
            for s in batch["shipments"]
        ]
        out.update(state="purchasing", shipments=summaries,
                   status=_counts(summaries, batch["_creation_failed"]))
    elif step == "label_generating":
        out.update(state="label_generating", label_url=None)
    if out["label_url"]:
        out["label_url"] = sim.base_url + out["label_url"]
    if out["scan_form"]:
        if time.time() < float(batch["_form_ready_at"]):
            out["scan_form"] = {**out["scan_form"], "tracking_codes": [], "address": None,
                                "status": "creating", "form_url": None}
        else:
            out["scan_form"] = scan_forms.render(sim, out["scan_form"])
    return out


def label_contents(sim: Simulation, name: str) -> tuple[list[labels.LabelContent], str]:
    """What the file behind a batch's label_url shows: every bought label of the batch, in
    order, and the file's extension."""
    batch_id, _, ext = name.rpartition(".")
    batch = sim.store.get("batch", batch_id)
    if batch is None or not batch["label_url"] or not batch["label_url"].endswith(f".{ext}"):
        raise not_found()
    contents = []
    for summary in batch["shipments"]:
        shipment = sim.store.get("shipment", summary["id"])
        if shipment is not None and shipment.get("postage_label"):
            contents.append(labels.content_of(shipment))
    return contents, ext


def merged_label(contents: list[labels.LabelContent], ext: str) -> bytes:
    """The labels rendered and merged into one file (a page or a print job each)."""
    return _merge([labels.render(content, ext) for content in contents], ext)


def _merge(files: list[bytes], ext: str) -> bytes:
    if ext != "pdf":
        return b"".join(files)  # ZPL and EPL2 jobs simply follow each other
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in files:
        for one in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(one)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def create_claim(payload: dict[str, Any]) -> dict[str, Any]:
    """Claims need an insured shipment, and the simulator sells no insurance policies."""
    raise ApiError(404, "NOT_FOUND", "The requested resource could not be found.",
                   ["No eligible insurance found with provided tracking code."])
