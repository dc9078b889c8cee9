"""Refunds: `POST /shipments/:id/refund`, and `/refunds` (create by tracking codes, list, get).

A refund is `submitted` when asked for. `refund_days` simulated days later the carrier has
answered: `not_applicable` when the label had already been scanned (its tracker past
pre_transit when the refund was asked for), else `rejected` for a `refund_reject_rate` share
of labels, else `refunded`. The answer is decided when the refund is asked for and shown
once its time has come; the balance is credited then too, for a refund that will go through.

Asking again while a refund is `submitted`, `refunded` or `not_applicable` is refused with a
422, as the real API refuses a second refund; after `rejected` a new refund may be asked for
(EasyPost's docs: "you may retry a refund with the rejected status").
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from shipctl.simulator import shipments, trackers
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, field_error, not_found, required
from shipctl.simulator.ids import new_id, seed_for
from shipctl.simulator.paging import page_size
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]
DAY = 86400.0
# Kept with a Refund object for the simulator's own use, never shown.
PRIVATE = ("_outcome", "_answer_at")
# Tracker statuses of a label nobody has scanned yet.
UNSCANNED = frozenset({"pre_transit", "unknown"})


def refund_shipment(sim: Simulation, id_or_reference: str) -> Json:
    """POST /shipments/:id/refund: the shipment, its `refund_status` now `submitted`."""
    now = sim.now()
    with sim.store.transaction():
        shipment = shipments.find(sim, id_or_reference)
        _request(sim, shipment, now)
    return shipments.render(sim, shipment)


def create(sim: Simulation, payload: Json) -> list[Json]:
    """POST /refunds {"refund": {"carrier", "tracking_codes"}}: a Refund for each code.

    All or nothing: an unknown code, another carrier's label or a label whose refund was
    already asked for refuses the whole request."""
    params = payload.get("refund")
    if not isinstance(params, dict) or not params:
        raise required("refund")
    carrier = params.get("carrier")
    if not isinstance(carrier, str) or not carrier.strip():
        raise required("refund.carrier")
    codes = params.get("tracking_codes")
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise required("refund.tracking_codes")
    now = sim.now()
    made = []
    with sim.store.transaction():
        for code in dict.fromkeys(codes):
            shipment = _by_tracking_code(sim, code)
            bought_with = shipment["selected_rate"]["carrier"]
            if bought_with.lower() != carrier.strip().lower():
                raise ApiError(422, "SHIPMENT.REFUND.UNAVAILABLE",
                               f"Tracking code {code} is a {bought_with} label, not "
                               f"{carrier.strip()}.",
                               [field_error("refund.carrier", f"{code} was bought with "
                                            f"{bought_with}")])
            made.append(_request(sim, shipment, now))
    return [render(refund, now) for refund in made]


def page(sim: Simulation, query: dict[str, str]) -> Json:
    """GET /refunds: newest first, `page_size` ≤ 100, `before_id`."""
    rows, more = sim.store.page("refund", limit=page_size(query),
                                before_id=query.get("before_id"))
    now = sim.now()
    return {"refunds": [render(row, now) for row in rows], "has_more": more}


def retrieve(sim: Simulation, refund_id: str) -> Json:
    refund = sim.store.get("refund", refund_id)
    if refund is None:
        raise not_found()
    return render(refund, sim.now())


def render(refund: Json, now: float) -> Json:
    """The Refund object as the API returns it at simulated time `now`."""
    out = {key: value for key, value in refund.items() if key not in PRIVATE}
    status, answered = _status(refund["_outcome"], float(refund["_answer_at"]), now)
    out["status"] = status
    if answered:
        out["updated_at"] = iso(float(refund["_answer_at"]))
    return out


def shipment_refund_status(shipment: Json, now: float) -> tuple[str, bool]:
    """The shipment's `refund_status` at `now`, and whether the refund went through."""
    asked = float(shipment["_refund_at"])
    # Shipments refunded before refunds had outcomes were refunded a simulated day later.
    outcome = shipment.get("_refund_outcome") or "refunded"
    answer_at = float(shipment.get("_refund_answer_at") or asked + DAY)
    status, answered = _status(outcome, answer_at, now)
    return status, answered and status == "refunded"


def _status(outcome: str, answer_at: float, now: float) -> tuple[str, bool]:
    if now >= answer_at:
        return outcome, True
    return "submitted", False


def _request(sim: Simulation, shipment: Json, now: float) -> Json:
    """Ask for the label's refund (inside a transaction): the new Refund object."""
    if not shipment.get("postage_label"):
        raise ApiError(422, "SHIPMENT.REFUND.UNAVAILABLE",
                       "Unable to refund: the shipment has not been purchased.")
    if shipment.get("_refund_at") is not None:
        status, _ = shipment_refund_status(shipment, now)
        if status != "rejected":
            raise ApiError(422, "SHIPMENT.REFUND.UNAVAILABLE",
                           f"A refund was already requested for this shipment "
                           f"(refund_status: {status}).")
    config = sim.config
    outcome = _outcome(sim, shipment, now)
    answer_at = now + config.refund_days * DAY
    stamp = iso(now)
    refund = {
        "id": new_id("rfnd"), "object": "Refund", "created_at": stamp, "updated_at": stamp,
        "tracking_code": shipment["tracking_code"], "confirmation_number": None,
        "status": "submitted", "carrier": shipment["selected_rate"]["carrier"],
        "shipment_id": shipment["id"], "_outcome": outcome, "_answer_at": answer_at,
    }
    sim.store.insert("refund", refund, lookup=shipment["id"])
    shipment.update({"_refund_at": now, "_refund_outcome": outcome,
                     "_refund_answer_at": answer_at, "updated_at": stamp})
    amount = Decimal(shipment["selected_rate"]["rate"])
    if outcome == "refunded":
        sim.credit(amount)
    sim.store.record_refund(shipment["id"], amount)
    sim.store.update(shipment, text=shipments.encode(shipment).decode())
    return refund


def _outcome(sim: Simulation, shipment: Json, now: float) -> str:
    """What the carrier will answer: a scanned label cannot be refunded; some are rejected."""
    plan = sim.store.get("tracker", shipment.get("_tracker_id") or "")
    if plan is not None and trackers.render(plan, now)["status"] not in UNSCANNED:
        return "not_applicable"
    rate = sim.config.refund_reject_rate
    if rate <= 0.0:
        return "refunded"
    if rate >= 1.0:
        return "rejected"
    # The same label and request time draw the same answer in every run with one seed.
    draw = random.Random(seed_for(f"{sim.config.seed}:{shipment['id']}:{now}")).random()
    return "rejected" if draw < rate else "refunded"


def _by_tracking_code(sim: Simulation, code: str) -> Json:
    for plan in sim.store.by_lookup("tracker", code.strip().upper()):
        if plan.get("shipment_id"):
            shipment = sim.store.get("shipment", plan["shipment_id"])
            if shipment is not None and shipment.get("postage_label"):
                return shipment
    raise ApiError(404, "NOT_FOUND", f"No shipment with tracking code {code} was found.",
                   [field_error("refund.tracking_codes", f"{code} is not a label of this "
                                "account")])
