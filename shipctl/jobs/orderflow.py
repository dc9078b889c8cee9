"""The state machine for one order: pending → created → purchased, or failed.

Shared by `shipctl create` and `shipctl bulk`. Every carrier call goes through the
CarrierExecutor; every state change is committed before the next carrier call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shipctl.errors import CarrierError, ShipctlError
from shipctl.models import Address, OrderState, PurchasedLabel, Quote, QuotedShipment, RateRule
from shipctl.store.shipments import StoredOrder
from shipctl.store.writer import StateWriter

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierSession
    from shipctl.store.database import Pool


@dataclass(frozen=True)
class Quoted:
    """An order with its EasyPost shipment and the rate the rule chose."""

    stored: StoredOrder
    shipment: QuotedShipment | None
    chosen: Quote


@dataclass(frozen=True)
class Outcome:
    """How one order ended in this run."""

    stored: StoredOrder
    state: OrderState
    label: PurchasedLabel | None = None
    quote: Quote | None = None
    error_code: str | None = None
    error_message: str | None = None
    # Set when the purchase was queued without waiting: done once it is committed.
    committed: asyncio.Future[None] | None = None


class OrderFailed(ShipctlError):
    """The order failed and was recorded as failed."""

    def __init__(self, outcome: Outcome, cause: ShipctlError) -> None:
        super().__init__(outcome.error_message or "the order failed")
        self.outcome = outcome
        self.cause = cause
        self.exit_code = cause.exit_code


def _error_code(error: ShipctlError) -> str:
    code = getattr(error, "code", None)
    return str(code) if code else type(error).__name__


class OrderFlow:
    """Quote and buy orders, keeping PostgreSQL ahead of EasyPost at every step."""

    def __init__(
        self,
        pool: Pool,
        carrier: CarrierSession,
        *,
        from_address: Address | None,
        rule: RateRule,
        label_format: str | None,
        writer: StateWriter | None = None,
    ) -> None:
        self.carrier = carrier
        self.from_address = from_address
        self.rule = rule
        self.label_format = label_format
        self.writer = writer or StateWriter(pool)

    def _rule_for(self, stored: StoredOrder) -> RateRule:
        return stored.order.rate_rule or self.rule

    async def _fail(self, stored: StoredOrder, error: ShipctlError) -> OrderFailed:
        code = _error_code(error)
        await self.writer.failed(stored.id, code, error.message)
        return OrderFailed(
            Outcome(stored=stored, state=OrderState.FAILED, error_code=code,
                    error_message=error.message),
            error,
        )

    def _choose(self, stored: StoredOrder, shipment: QuotedShipment) -> Quote:
        from shipctl.carrier.rates import choose_rate

        order = stored.order
        return choose_rate(
            shipment, self._rule_for(stored), carrier=order.carrier, service=order.service
        )

    async def quote(self, stored: StoredOrder) -> Quoted:
        """Create the shipment, choose its rate, and commit `created` (raises OrderFailed)."""
        from shipctl.carrier import shipments

        from_address = stored.order.from_address or self.from_address
        if from_address is None:
            raise await self._fail(stored, ShipctlError("no from-address: set [from_address]"))
        try:
            shipment = await shipments.create_shipment(
                self.carrier.executor, stored.order, from_address,
                label_format=stored.order.label_format or self.label_format,
            )
            chosen = self._choose(stored, shipment)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        await self.writer.created(stored.id, shipment.shipment_id, chosen)
        return Quoted(stored=stored, shipment=shipment, chosen=chosen)

    async def purchase(self, quoted: Quoted, *, wait: bool = True) -> Outcome:
        """Buy the chosen rate (safe buy) and record `purchased` (raises OrderFailed).

        With `wait=False` the record is queued and `Outcome.committed` tells when it is
        durable, so a bulk run does not wait on a commit between two orders.
        """
        from shipctl.carrier import shipments

        stored = quoted.stored
        shipment_id = quoted.shipment.shipment_id if quoted.shipment else stored.shipment_id
        assert shipment_id is not None
        try:
            label = await shipments.buy(self.carrier.executor, shipment_id, quoted.chosen)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        if wait:
            await self.writer.purchased(stored.id, label)
            committed = None
        else:
            committed = self.writer.purchased_later(stored.id, label)
        return Outcome(stored=stored, state=OrderState.PURCHASED, label=label,
                       quote=quoted.chosen, committed=committed)

    async def resolve(self, stored: StoredOrder) -> Outcome:
        """Finish an order an earlier process left `created`: retrieve, then record or buy."""
        from shipctl.carrier import shipments

        assert stored.shipment_id is not None
        try:
            current = await shipments.retrieve(self.carrier.executor, stored.shipment_id)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        if isinstance(current, PurchasedLabel):
            await self.writer.purchased(stored.id, current)
            return Outcome(stored=stored, state=OrderState.PURCHASED, label=current)
        try:
            chosen = self._choose(stored, current)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        return await self.purchase(Quoted(stored=stored, shipment=current, chosen=chosen))

    async def ship(self, stored: StoredOrder, *, wait: bool = True) -> Outcome:
        """Take an order from wherever it stands to purchased or failed."""
        try:
            if stored.state is OrderState.CREATED and stored.shipment_id:
                return await self.resolve(stored)
            return await self.purchase(await self.quote(stored), wait=wait)
        except OrderFailed as failed:
            return failed.outcome
