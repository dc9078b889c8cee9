"""Batches (accepted and stored, never processed) and claims (none are eligible)."""

from __future__ import annotations

from typing import Any

from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, not_found
from shipctl.simulator.ids import new_id
from shipctl.simulator.simulation import Simulation


def create(sim: Simulation, payload: dict[str, Any]) -> dict[str, Any]:
    params = payload.get("batch") if isinstance(payload.get("batch"), dict) else {}
    assert isinstance(params, dict)
    now = sim.now()
    reference = params.get("reference")
    batch: dict[str, Any] = {
        "id": new_id("batch"), "object": "Batch", "mode": "test", "state": "creating",
        "num_shipments": len(params.get("shipments") or []),
        "reference": reference, "created_at": iso(now), "updated_at": iso(now),
        "scan_form": None, "shipments": [],
        "status": {"created": 0, "queued_for_purchase": 0, "creation_failed": 0,
                   "postage_purchased": 0, "postage_purchase_failed": 0},
        "pickup": None, "label_url": None,
    }
    with sim.store.transaction():
        sim.store.insert("batch", batch, reference=None if reference is None else str(reference))
    return batch


def retrieve(sim: Simulation, batch_id: str) -> dict[str, Any]:
    batch = sim.store.get("batch", batch_id)
    if batch is None:
        raise not_found()
    return batch


def create_claim(payload: dict[str, Any]) -> dict[str, Any]:
    """Claims need an insured shipment, and the simulator sells no insurance policies."""
    raise ApiError(404, "NOT_FOUND", "The requested resource could not be found.",
                   ["No eligible insurance found with provided tracking code."])
