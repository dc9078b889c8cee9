"""Carrier pickups on EasyPost: create one with its rates, buy a rate, retrieve, cancel.

A buy is not idempotent: the executor retries it only after a 429, and after any other
unclear failure the caller retrieves the pickup (`status` scheduled means it was bought).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.executor import CarrierExecutor
from shipctl.carrier.shipments import address_params
from shipctl.models import Address


@dataclass(frozen=True)
class PickupRate:
    carrier: str
    service: str
    rate: Decimal


@dataclass(frozen=True)
class Pickup:
    id: str
    status: str
    confirmation: str | None
    rates: tuple[PickupRate, ...]


def _pickup(data: dict[str, Any]) -> Pickup:
    rates = tuple(sorted(
        (PickupRate(str(r["carrier"]), str(r["service"]), Decimal(str(r["rate"])))
         for r in data.get("pickup_rates") or ()),
        key=lambda r: (r.rate, r.carrier, r.service)))
    return Pickup(id=str(data["id"]), status=str(data.get("status") or "unknown"),
                  confirmation=data.get("confirmation"), rates=rates)


async def create_pickup(
    executor: CarrierExecutor, *, shipment_id: str, address: Address,
    window: tuple[datetime, datetime], instructions: str | None, reference: str,
) -> Pickup:
    """POST /pickups for the parcels of `shipment_id`'s address (nothing is bought yet)."""
    params: dict[str, Any] = {
        "shipment": {"id": shipment_id}, "address": address_params(address),
        "min_datetime": window[0].isoformat(), "max_datetime": window[1].isoformat(),
        "reference": reference, "is_account_address": False,
    }
    if instructions:
        params["instructions"] = instructions
    data = await executor.call(
        lambda client: request_json(client, "POST", "/pickups", {"pickup": params}),
        name="create pickup")
    return _pickup(data)


async def buy_pickup(executor: CarrierExecutor, pickup_id: str, rate: PickupRate) -> Pickup:
    data = await executor.call(
        lambda client: request_json(client, "POST", f"/pickups/{pickup_id}/buy",
                                    {"carrier": rate.carrier, "service": rate.service}),
        name="buy pickup", idempotent=False)
    return _pickup(data)


async def retrieve_pickup(executor: CarrierExecutor, pickup_id: str) -> Pickup:
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/pickups/{pickup_id}"),
        name="retrieve pickup")
    return _pickup(data)


async def cancel_pickup(executor: CarrierExecutor, pickup_id: str) -> Pickup:
    data = await executor.call(
        lambda client: request_json(client, "POST", f"/pickups/{pickup_id}/cancel"),
        name="cancel pickup", idempotent=False)
    return _pickup(data)
