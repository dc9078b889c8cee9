"""Pickups: ask a carrier to collect a shipment's or a batch's parcels, buy, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shipctl.simulator import addresses
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, invalid, not_found
from shipctl.simulator.ids import new_digits, new_id
from shipctl.simulator.paging import page_size
from shipctl.simulator.rates import canonical_carrier
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]

# Pickup services and prices by carrier (USPS's Package Pickup is free, for the next day).
SERVICES: dict[str, tuple[tuple[str, str], ...]] = {
    "USPS": (("NextDay", "0.00"),),
    "UPS": (("Same-day Pickup", "8.95"), ("Future-day Pickup", "6.55")),
    "FedEx": (("Same-day Pickup", "7.95"), ("Future-day Pickup", "5.50")),
}
REQUEST_INVALID = ("Invalid request, a batch with shipments or a shipment is required to "
                   "create a Pickup.")


def create(sim: Simulation, payload: Json) -> Json:
    """POST /pickups: a pickup with a rate for each pickup service of the parcels' carrier."""
    params = payload.get("pickup") if isinstance(payload.get("pickup"), dict) else payload
    assert isinstance(params, dict)
    now = sim.now()
    min_at = _datetime(params.get("min_datetime"), "MIN_DATETIME", "min_datetime")
    max_at = _datetime(params.get("max_datetime"), "MAX_DATETIME", "max_datetime")
    if max_at < min_at:
        raise invalid("max_datetime", "must not be earlier than min_datetime")
    with sim.store.transaction():
        carriers, shipment_id, batch_id = _carriers(sim, params)
        address = _address(sim, params.get("address"), now)
        pickup_id = new_id("pickup")
        stamp = iso(now)
        # A window already over by the simulated clock gets no rates, as on EasyPost.
        rates = [] if max_at < now else [
            {"mode": "test", "service": service, "rate": price, "currency": "USD",
             "created_at": stamp, "updated_at": stamp, "carrier": carrier,
             "pickup_id": pickup_id, "id": new_id("pickuprate"), "object": "PickupRate"}
            for carrier in carriers for service, price in SERVICES[carrier]
        ]
        reference = params.get("reference")
        pickup: Json = {
            "id": pickup_id, "object": "Pickup", "created_at": stamp, "updated_at": stamp,
            "mode": "test", "status": "unknown",
            "reference": None if reference is None else str(reference),
            "min_datetime": iso(min_at), "max_datetime": iso(max_at),
            "is_account_address": bool(params.get("is_account_address")),
            "instructions": params.get("instructions"), "messages": [], "confirmation": None,
            "address": address, "carrier_accounts": [], "pickup_rates": rates,
            "_shipment_id": shipment_id, "_batch_id": batch_id, "_bought": None,
        }
        sim.store.insert("pickup", pickup, reference=pickup["reference"])
    return render(pickup)


def _datetime(value: Any, code: str, field: str) -> float:
    if value in (None, ""):
        raise ApiError(422, f"PICKUP.{code}.REQUIRED", f"{field} is required.")
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "DATE.PARSE.FAILURE", f"Unable to parse {field}: {value!r}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _carriers(sim: Simulation, params: Json) -> tuple[list[str], str | None, str | None]:
    """The carriers that would collect, and the shipment or batch the pickup is for."""
    shipment_ref, batch_ref = params.get("shipment"), params.get("batch")
    if isinstance(shipment_ref, dict) and shipment_ref.get("id"):
        shipment = sim.store.get("shipment", str(shipment_ref["id"]))
        if shipment is None:
            raise not_found(f"Shipment {shipment_ref['id']} not found.")
        return _shipment_carriers(shipment), shipment["id"], None
    if isinstance(batch_ref, dict) and batch_ref.get("id"):
        batch = sim.store.get("batch", str(batch_ref["id"]))
        if batch is None:
            raise not_found(f"Batch {batch_ref['id']} not found.")
        found: set[str] = set()
        for summary in batch["shipments"]:
            shipment = sim.store.get("shipment", summary["id"])
            if shipment is not None and shipment.get("selected_rate"):
                found.add(shipment["selected_rate"]["carrier"])
        if not found:
            raise ApiError(422, "PICKUP.BATCH.INVALID",
                           "The batch has no purchased shipments to pick up.")
        if len(found) > 1:
            raise ApiError(422, "PICKUP.BATCH_CARRIER.INCONSISTENT",
                           "Every shipment of a batch to pick up must have the same carrier.")
        return sorted(found), None, batch["id"]
    raise ApiError(422, "PICKUP.REQUEST.INVALID", REQUEST_INVALID)


def _shipment_carriers(shipment: Json) -> list[str]:
    if shipment.get("selected_rate"):
        return [shipment["selected_rate"]["carrier"]]
    return sorted({r["carrier"] for r in shipment["rates"] if r["carrier"] in SERVICES})


def _address(sim: Simulation, value: Any, now: float) -> Json:
    if not isinstance(value, dict) or not value:
        raise ApiError(422, "PICKUP.ADDRESS.REQUIRED", "An address is required.")
    if value.get("id"):
        stored = sim.store.get("address", str(value["id"]))
        if stored is None:
            raise not_found(f"Address {value['id']} not found.")
        return stored
    address = addresses.build_address(value, now, field_prefix="address.")
    sim.store.insert("address", address)
    return address


def buy(sim: Simulation, pickup_id: str, payload: Json) -> Json:
    """POST /pickups/:id/buy {carrier, service}: scheduled once, with a confirmation code."""
    carrier, service = payload.get("carrier"), payload.get("service")
    if not carrier:
        raise ApiError(422, "PICKUP.CARRIER.REQUIRED", "carrier is required.")
    if not service:
        raise ApiError(422, "PICKUP.SERVICE.REQUIRED", "service is required.")
    now = sim.now()
    with sim.store.transaction():
        pickup = _find(sim, pickup_id)
        if pickup["status"] != "unknown":
            raise ApiError(422, "PICKUP.STATUS.INVALID",
                           f"Pickup {pickup_id} has already been {pickup['status']}.")
        wanted = canonical_carrier(str(carrier)) or str(carrier)
        rate = next((r for r in pickup["pickup_rates"]
                     if r["carrier"] == wanted and r["service"].lower() == str(service).lower()),
                    None)
        if rate is None:
            raise ApiError(422, "PICKUP.BUY.NO_MATCHING_RATES",
                           f"No pickup rates match carrier {carrier} and service {service}.")
        amount = Decimal(rate["rate"])
        sim.debit(amount)
        confirmation = _confirmation(rate["carrier"])
        pickup.update(status="scheduled", confirmation=confirmation, updated_at=iso(now),
                      _bought=rate["id"])
        sim.store.update(pickup)
        sim.store.record_pickup(pickup["id"], rate["carrier"], rate["service"], amount,
                                confirmation)
    return render(pickup)


def _confirmation(carrier: str) -> str:
    if carrier == "UPS":
        return f"29{new_digits(8)}X"
    if carrier == "FedEx":
        return f"PRTA{new_digits(8)}"
    return f"WTC{new_digits(8)}"


def cancel(sim: Simulation, pickup_id: str) -> Json:
    """POST /pickups/:id/cancel: a scheduled pickup is cancelled and its price credited."""
    now = sim.now()
    with sim.store.transaction():
        pickup = _find(sim, pickup_id)
        if pickup["status"] == "canceled":
            raise ApiError(422, "PICKUP.STATUS.INVALID",
                           f"Pickup {pickup_id} has already been canceled.")
        if pickup["status"] != "scheduled":
            raise ApiError(422, "PICKUP.CANCEL.FAILED",
                           f"Unable to cancel pickup {pickup_id}: it has not been scheduled.")
        rate = next(r for r in pickup["pickup_rates"] if r["id"] == pickup["_bought"])
        sim.credit(Decimal(rate["rate"]))
        pickup.update(status="canceled", updated_at=iso(now))
        sim.store.update(pickup)
        sim.store.record_pickup_cancellation(pickup["id"])
    return render(pickup)


def _find(sim: Simulation, pickup_id: str) -> Json:
    pickup = sim.store.get("pickup", pickup_id)
    if pickup is None:
        raise not_found()
    return pickup


def retrieve(sim: Simulation, pickup_id: str) -> Json:
    return render(_find(sim, pickup_id))


def page(sim: Simulation, query: dict[str, str]) -> Json:
    """GET /pickups: newest first, `page_size` ≤ 100, `before_id`."""
    rows, more = sim.store.page("pickup", limit=page_size(query),
                                before_id=query.get("before_id"))
    return {"pickups": [render(row) for row in rows], "has_more": more}


def render(pickup: Json) -> Json:
    return {k: v for k, v in pickup.items() if not k.startswith("_")}
