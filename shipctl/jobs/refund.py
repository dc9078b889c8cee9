"""`shipctl refund`: ask EasyPost to refund bought labels, and record what it says."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shipctl.errors import CarrierError
from shipctl.models import OrderState, RefundResult

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierSession
    from shipctl.config import Settings
    from shipctl.store.database import Pool

REFUNDABLE = frozenset({OrderState.PURCHASED, OrderState.REFUNDED})


@dataclass(frozen=True)
class RefundOutcome:
    """One key the user gave (reference, tracking code or shp_ id) and what became of it."""

    key: str
    reference: str | None = None
    result: RefundResult | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


async def refund_labels(
    settings: Settings, keys: Sequence[str], *, concurrency: int | None = None
) -> list[RefundOutcome]:
    """Refund each key's label; an unknown or unbought key fails alone, the rest go ahead."""
    from shipctl.carrier.session import open_carrier
    from shipctl.store import shipments as store
    from shipctl.store.database import open_pool

    url = settings.database_url.get_secret_value() if settings.database_url else None
    size = concurrency or min(len(keys), settings.effective_concurrency()) or 1
    async with (
        open_pool(url, settings.data_dir, max_size=2) as pool,
        open_carrier(settings, concurrency=size) as carrier,
    ):
        run_id = await store.start_run(pool, "refund", mode=carrier.mode,
                                       options={"keys": list(keys)})
        outcomes = await asyncio.gather(*(_refund_one(pool, carrier, key) for key in keys))
        await store.finish_run(
            pool, run_id, "completed" if all(o.ok for o in outcomes) else "failed"
        )
    return list(outcomes)


async def _refund_one(pool: Pool, carrier: CarrierSession, key: str) -> RefundOutcome:
    from shipctl.carrier.shipments import refund
    from shipctl.store import shipments as store

    stored = await store.find_shipment(pool, key)
    if stored is None:
        return RefundOutcome(key, error=f"{key}: no shipment with this reference, tracking "
                             "code or shipment id", error_code="NOT_FOUND")
    if stored.state not in REFUNDABLE or not stored.shipment_id:
        return RefundOutcome(key, stored.reference, error=f"{key}: no label was bought "
                             f"(the order is {stored.state.value})", error_code="NOT_PURCHASED")
    try:
        result = await refund(carrier.executor, stored.shipment_id)
    except CarrierError as error:
        return RefundOutcome(key, stored.reference, error=f"{key}: {error.message}",
                             error_code=error.code)
    await store.record_refund(pool, stored.id, result)
    return RefundOutcome(key, stored.reference, result=result)
