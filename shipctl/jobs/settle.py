"""Settling buys whose outcome shipctl never learned, whatever file they came from.

A buy whose answer was lost leaves its order `unknown`; a process killed while buying leaves
it `created`. Rerunning the same file resolves them, but a file is often edited before the
rerun (a cancelled order removed) or never run again: the label may have been paid for and
nobody would ever see it. The nightly tracking sweep therefore retrieves every such shipment
first: a label found is recorded as purchased (then tracked, refundable, on the reports); an
`unknown` one found unbought is `created` again. Only reads are sent to EasyPost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.models import OrderState, PurchasedLabel, QuotedShipment

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.store.database import Pool
    from shipctl.store.shipments import StoredOrder

# `created` orders of unfinished runs are looked at for this long after their last change;
# `unknown` ones until they are settled.
CREATED_LOOKBACK = timedelta(days=14)
# What retrieving an order's shipment told, besides a label.
NOT_BOUGHT, QUOTE_ONLY, UNRESOLVED = "not bought", "quote only", "unresolved"


@dataclass(frozen=True)
class Settled:
    """What settling found: labels bought unrecorded, buys that did not happen, and orders
    EasyPost could not be asked about this time."""

    bought: tuple[tuple[StoredOrder, PurchasedLabel], ...] = ()
    not_bought: int = 0  # `unknown` orders whose buy did not go through
    unresolved: int = 0


async def settle_unknown_buys(
    pool: Pool, executor: CarrierExecutor, *, mode: str, now: datetime, quiet: timedelta,
) -> Settled:
    """Retrieve the shipment of every order of `mode` whose buy may have gone through
    unrecorded (last changed more than `quiet` ago), and record what EasyPost says."""
    from shipctl.carrier.shipments import retrieve
    from shipctl.jobs.orderflow import not_found
    from shipctl.store import shipments as store
    from shipctl.store.writer import StateWriter

    orders = await store.unsettled(pool, mode=mode, changed_before=now - quiet,
                                   since=now - CREATED_LOOKBACK)
    writer = StateWriter(pool)

    async def one(order: StoredOrder) -> PurchasedLabel | str:
        assert order.shipment_id is not None
        try:
            found: QuotedShipment | PurchasedLabel | None = await retrieve(
                executor, order.shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            if not not_found(error):
                return UNRESOLVED
            found = None  # no such shipment: nothing was bought with it
        if isinstance(found, PurchasedLabel):
            await writer.purchased(order.id, found)
            return found
        if order.state is OrderState.UNKNOWN:
            await store.mark_not_bought(pool, order.id)
            return NOT_BOUGHT
        return QUOTE_ONLY

    try:
        answers = await asyncio.gather(*(one(order) for order in orders))
    finally:
        await writer.drain()
    return Settled(
        bought=tuple((order, label) for order, label in zip(orders, answers, strict=True)
                     if isinstance(label, PurchasedLabel)),
        not_bought=answers.count(NOT_BOUGHT),
        unresolved=answers.count(UNRESOLVED),
    )
