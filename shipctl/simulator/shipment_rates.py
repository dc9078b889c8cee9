"""A shipment's rates again (rerate), one rate by id, and insuring a bought shipment."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shipctl.simulator import shipments
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, field_error, not_found
from shipctl.simulator.ids import rate_id_for, rate_shipment_prefix
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]
DAY = 86400.0
CENT = shipments.CENT
INSURANCE_SHARE = shipments.INSURANCE_SHARE
INSURANCE_MAX = Decimal("5000")


def regenerate_rates(sim: Simulation, id_or_reference: str) -> Json:
    """POST /shipments/:id/rerate: the same services priced again, as new rates with new ids.

    The shipment's rates are replaced (a bought shipment keeps its selected rate); the answer
    is `{"rates": [...]}`, not the shipment."""
    now = sim.now()
    stamp = iso(now)
    with sim.store.transaction():
        shipment = shipments.find(sim, id_or_reference)
        fresh = [
            {**rate, "id": rate_id_for(shipment["id"]), "created_at": stamp,
             "updated_at": stamp,
             "delivery_date": (None if rate.get("delivery_date") is None
                               else iso(now + int(rate["delivery_days"] or 0) * DAY))}
            for rate in shipment["rates"]
        ]
        shipment["rates"] = fresh
        shipment["updated_at"] = stamp
        sim.store.update(shipment, text=shipments.encode(shipment).decode())
    return {"rates": fresh}


def retrieve_rate(sim: Simulation, rate_id: str) -> Json:
    """GET /rates/:id: a rate of any shipment, found through the shipment id it begins with."""
    prefix = rate_shipment_prefix(rate_id)
    if prefix is not None:
        for shipment in sim.store.with_id_prefix("shipment", prefix):
            for rate in shipment["rates"]:
                if rate["id"] == rate_id:
                    return dict(rate)
            selected = shipment.get("selected_rate")
            if selected and selected["id"] == rate_id:
                return dict(selected)
    raise not_found()


def insure(sim: Simulation, id_or_reference: str, payload: Json) -> Json:
    """POST /shipments/:id/insure {amount}: insures a bought label once, charging 1%."""
    amount = _amount(payload.get("amount"))
    now = sim.now()
    with sim.store.transaction():
        shipment = shipments.find(sim, id_or_reference)
        if not shipment.get("postage_label"):
            raise ApiError(422, "SHIPMENT.POSTAGE.REQUIRED",
                           "Postage must be purchased before a shipment can be insured.")
        if shipment.get("insurance") not in (None, "", "0", "0.00"):
            raise ApiError(422, "SHIPMENT.INSURANCE.ALREADY_PURCHASED",
                           "Insurance has already been purchased for this shipment.")
        fee = (amount * INSURANCE_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
        sim.debit(fee)
        shipment["insurance"] = f"{amount:.2f}"
        shipment["fees"] = [*shipment["fees"], {"object": "Fee", "type": "InsuranceFee",
                                                "amount": f"{fee:.5f}", "charged": True,
                                                "refunded": False}]
        shipment["updated_at"] = iso(now)
        sim.store.update(shipment, text=shipments.encode(shipment).decode())
        sim.store.record_insurance(shipment["id"], amount, fee)
    return shipments.render(sim, shipment)


def _amount(value: Any) -> Decimal:
    if value is None or value == "":
        raise ApiError(422, "INSURANCE.AMOUNT.REQUIRED", "Insurance amount is required.",
                       [field_error("amount", "cannot be blank")])
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(422, "INSURANCE.PARAMETERS.INVALID", "Invalid insurance parameters.",
                       [field_error("amount", "must be a number")]) from None
    if not amount.is_finite() or amount <= 0:
        raise ApiError(422, "INSURANCE.AMOUNT.BELOW_MINIMUM",
                       "Insurance amount must be greater than 0.",
                       [field_error("amount", "must be greater than 0")])
    if amount > INSURANCE_MAX:
        raise ApiError(422, "INSURANCE.AMOUNT.ABOVE_MAXIMUM",
                       f"Insurance amount may not exceed {INSURANCE_MAX:,} USD.",
                       [field_error("amount", f"must be at most {INSURANCE_MAX}")])
    return amount
