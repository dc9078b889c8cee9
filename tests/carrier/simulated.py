"""Orders and executors against a simulator, shared by the carrier tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shipctl.carrier.client import make_client
from shipctl.carrier.executor import CarrierExecutor
from shipctl.models import Address, Order, Parcel
from shipctl.simulator import RunningSimulator

FROM = Address(name="Warehouse", street1="1 Main St", city="Springfield", state="IL", zip="62701")
TO = Address(name="Ann Lee", street1="22 Oak Ave", city="Boston", state="MA", zip="02108")


def order(reference: str, *, weight_oz: str = "12", to: Address = TO) -> Order:
    return Order(reference=reference, to_address=to, parcel=Parcel(weight_oz=Decimal(weight_oz)))


def executor_for(
    sim: RunningSimulator, concurrency: int = 8, *, timeout: float = 10.0,
    api_key: str = "EZTK-test", **options: Any,
) -> CarrierExecutor:
    client = make_client(api_key, api_base=sim.api_base, timeout=timeout, concurrency=concurrency)
    options.setdefault("base_delay", 0.05)
    return CarrierExecutor(client, concurrency, mode="simulated", **options)
