"""Parcels: POST /parcels, GET /parcels/:id, and the Parcel a shipment is made with."""

from __future__ import annotations

from typing import Any

from shipctl.simulator.clock import iso
from shipctl.simulator.errors import invalid, not_found, required
from shipctl.simulator.ids import new_id
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid(field, "must be a number") from None


def build(value: Json, now: float, *, field_prefix: str = "parcel.") -> Json:
    """A new Parcel from request fields, in the real API's key order."""
    weight = _number(value.get("weight"), f"{field_prefix}weight")
    if weight is None:
        raise required(f"{field_prefix}weight")
    if weight <= 0:
        raise invalid(f"{field_prefix}weight", "must be greater than 0")
    dims = {}
    for name in ("length", "width", "height"):
        number = _number(value.get(name), f"{field_prefix}{name}")
        if number is not None and number <= 0:
            raise invalid(f"{field_prefix}{name}", "must be greater than 0")
        dims[name] = number
    return {
        "id": new_id("prcl"), "object": "Parcel", "created_at": iso(now), "updated_at": iso(now),
        **dims, "predefined_package": value.get("predefined_package"), "weight": weight,
        "mode": "test",
    }


def create(sim: Simulation, payload: Json) -> Json:
    fields = payload.get("parcel")
    if not isinstance(fields, dict) or not fields:
        raise required("parcel")
    parcel = build(fields, sim.now())
    with sim.store.transaction():
        sim.store.insert("parcel", parcel)
    return parcel


def retrieve(sim: Simulation, parcel_id: str) -> Json:
    parcel = sim.store.get("parcel", parcel_id)
    if parcel is None:
        raise not_found()
    return parcel
