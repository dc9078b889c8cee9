"""The state machine for one order: pending → created → purchased, failed or unknown.

Shared by `shipctl create` and `shipctl bulk`. Every carrier call goes through the
CarrierExecutor; every state change is committed before the next carrier call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError, OutcomeUnknownError, ShipctlError
from shipctl.models import (
    Address,
    CustomsSettings,
    OrderState,
    PurchasedLabel,
    Quote,
    QuotedShipment,
    RateRule,
)
from shipctl.store.claims import Buyer, others_quiet_in
from shipctl.store.shipments import StoredOrder
from shipctl.store.writer import StateWriter

if TYPE_CHECKING:
    from shipctl.carrier.options import LabelSetup
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
    """Quote and buy orders, keeping PostgreSQL ahead of EasyPost at every step.

    The rule behind every method: an order that has an EasyPost shipment is never quoted
    again before that shipment has been retrieved. A buy whose outcome cannot be learned
    leaves the order `unknown`, never `failed`. A 401 is not an order's failure: it stops
    the run (CarrierAuthError goes through to the caller).
    """

    def __init__(
        self,
        pool: Pool,
        carrier: CarrierSession,
        *,
        from_address: Address | None,
        rule: RateRule,
        label_format: str | None,
        writer: StateWriter | None = None,
        quiet_seconds: float = 35.0,
        buyer: Buyer | None = None,
        customs: CustomsSettings | None = None,
        label: LabelSetup | None = None,
        label_date: date | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.pool = pool
        self.customs = customs
        self.label = label
        self.carrier = carrier
        # How long a buy can still land after it was sent: the client timeout, and a margin.
        self.quiet_seconds = quiet_seconds
        self.buyer = buyer or Buyer()  # this process, left out of the buyers it waits for
        self._sleep = sleep
        self.from_address = from_address
        self.rule = rule
        self.label_format = label_format
        self.label_date = label_date  # the ship date printed on new labels (`--ship-date`)
        self.writer = writer or StateWriter(pool)

    def _rule_for(self, stored: StoredOrder) -> RateRule:
        return stored.order.rate_rule or self.rule

    def _format_for(self, stored: StoredOrder) -> str | None:
        return stored.order.label_format or self.label_format

    async def _fail(self, stored: StoredOrder, error: ShipctlError) -> OrderFailed:
        if isinstance(error, CarrierAuthError):
            raise error
        code = _error_code(error)
        await self.writer.failed(stored.id, code, error.message)
        return OrderFailed(
            Outcome(stored=stored, state=OrderState.FAILED, error_code=code,
                    error_message=error.message),
            error,
        )

    async def _unknown(self, stored: StoredOrder, error: ShipctlError) -> Outcome:
        code = _error_code(error)
        await self.writer.unknown(stored.id, code, error.message)
        return Outcome(stored=stored, state=OrderState.UNKNOWN, error_code=code,
                       error_message=error.message)

    def _choose(self, stored: StoredOrder, shipment: QuotedShipment) -> Quote:
        from shipctl.carrier.rates import choose_rate

        order = stored.order
        return choose_rate(
            shipment, self._rule_for(stored), carrier=order.carrier, service=order.service,
            residential=stored.residential,
        )

    def alternatives(self, quoted: Quoted) -> str:
        """The rates not chosen for the order, each with why: `UPS Ground $9.10 3d: slower`."""
        from shipctl.carrier.rates import explain_rates

        if quoted.shipment is None:
            return ""
        rule = self._rule_for(quoted.stored)
        order = quoted.stored.order
        verdicts = explain_rates(quoted.shipment, rule, carrier=order.carrier,
                                 service=order.service, residential=quoted.stored.residential)
        worse = "slower" if rule.strategy == "fastest" else "more expensive"
        return "; ".join(
            f"{v.quote.carrier} {v.quote.service} ${v.quote.rate}"
            f"{'' if v.quote.delivery_days is None else f' {v.quote.delivery_days}d'}: "
            f"{v.excluded_because or worse}"
            for v in verdicts if not v.chosen
        )

    async def quote(self, stored: StoredOrder) -> Quoted:
        """Create the shipment, choose its rate, and commit `created` (raises OrderFailed)."""
        from shipctl.carrier import shipments

        assert stored.shipment_id is None, "an order with a shipment is retrieved, not quoted"
        from_address = stored.order.from_address or self.from_address
        if from_address is None:
            raise await self._fail(stored, ShipctlError("no from-address: set [from_address]"))
        try:
            shipment = await shipments.create_shipment(
                self.carrier.executor, stored.shipping_order(), from_address,
                label_format=self._format_for(stored), customs=self.customs,
                label=self.label, label_date=self.label_date,
            )
            chosen = self._choose(stored, shipment)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        await self.writer.created(stored.id, shipment.shipment_id, chosen, stored.order_digest)
        return Quoted(stored=stored, shipment=shipment, chosen=chosen)

    async def prepare(self, stored: StoredOrder) -> Quoted | Outcome:
        """Bring the order to a current quote without buying anything (raises OrderFailed).

        An order without a shipment is quoted. One with a shipment is retrieved first: bought
        → recorded as purchased (an Outcome); not retrievable → `unknown` (an Outcome); not
        bought but made for other data or another label format → abandoned and quoted again;
        otherwise its rate is chosen again under the current rule.
        """
        from shipctl.carrier import shipments

        if stored.shipment_id is None:
            return await self.quote(stored)
        try:
            current = await shipments.retrieve(self.carrier.executor, stored.shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            if not not_found(error):
                return await self._unknown(stored, error)
            current = None  # EasyPost has no such shipment: nothing was bought with it
        if isinstance(current, PurchasedLabel):
            await self.writer.purchased(stored.id, current)
            return Outcome(stored=stored, state=OrderState.PURCHASED, label=current)
        wanted = self._format_for(stored)
        stale = stored.shipment_is_stale or bool(current and (
            (wanted and current.label_format and current.label_format != wanted.upper())
            or current.label_marks != self._label_marks(stored)
        ))
        if stale and current is not None:
            # About to drop this shipment for a new one: first let any buy of it that is still
            # on its way (sent by a worker that died a moment ago) land, and look again.
            current = await self._after_quiet(stored, current)
            if isinstance(current, PurchasedLabel):
                await self.writer.purchased(stored.id, current)
                return Outcome(stored=stored, state=OrderState.PURCHASED, label=current)
        if current is None or stale:
            await self.writer.abandoned(stored.id, stored.shipment_id)
            return await self.quote(
                replace(stored, state=OrderState.PENDING, shipment_id=None, shipment_digest=None)
            )
        try:
            chosen = self._choose(stored, current)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        await self.writer.created(stored.id, current.shipment_id, chosen,
                                  stored.shipment_digest or stored.order_digest)
        return Quoted(stored=stored, shipment=current, chosen=chosen)

    def _label_marks(self, stored: StoredOrder) -> tuple[tuple[str, str], ...]:
        """The label marks a shipment for this order would be made with now."""
        from shipctl.carrier.shipments import label_marks, label_options

        return label_marks(label_options(stored.order, self._format_for(stored), self.label,
                                         self.label_date))

    async def _after_quiet(
        self, stored: StoredOrder, current: QuotedShipment
    ) -> QuotedShipment | PurchasedLabel:
        """The shipment again, once no buy another process may have sent for it can land.

        Such a buy is answered within the client timeout (`quiet_seconds` has a margin on
        top). No wait when no other buyer was at work within that time, or only dry runs
        (the usual cases: a file edited after a dry run, or between runs); the whole time
        while another worker is at work or one died without finishing (see
        `claims.others_quiet_in`).
        """
        from shipctl.carrier import shipments

        wait = await others_quiet_in(self.pool, stored.mode, stored.store, self.quiet_seconds,
                                     self.buyer)
        if wait <= 0:
            return current
        await self._sleep(wait)
        try:
            return await shipments.retrieve(self.carrier.executor, current.shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            raise await self._fail_unknown(stored, error) from None

    async def _fail_unknown(self, stored: StoredOrder, error: CarrierError) -> OrderFailed:
        outcome = await self._unknown(stored, error)
        return OrderFailed(outcome, error)

    async def purchase(self, quoted: Quoted, *, wait: bool = True) -> Outcome:
        """Buy the chosen rate (safe buy) and record the outcome (raises OrderFailed).

        A buy whose outcome cannot be learned is recorded `unknown` and returned as such.
        With `wait=False` a purchase is queued and `Outcome.committed` tells when it is
        durable, so a bulk run does not wait on a commit between two orders.
        """
        from shipctl.carrier import shipments

        stored = quoted.stored
        shipment_id = quoted.shipment.shipment_id if quoted.shipment else stored.shipment_id
        assert shipment_id is not None
        try:
            label = await shipments.buy(self.carrier.executor, shipment_id, quoted.chosen,
                                        insurance=_insurance(stored))
        except CarrierAuthError:
            raise
        except OutcomeUnknownError as error:
            return await self._unknown(stored, error)
        except CarrierError as error:
            raise await self._fail(stored, error) from None
        if wait:
            await self.writer.purchased(stored.id, label)
            committed = None
        else:
            committed = self.writer.purchased_later(stored.id, label)
        return Outcome(stored=stored, state=OrderState.PURCHASED, label=label,
                       quote=quoted.chosen, committed=committed)

    async def ship(self, stored: StoredOrder, *, wait: bool = True) -> Outcome:
        """Take an order from wherever it stands to purchased, failed or unknown."""
        try:
            prepared = await self.prepare(stored)
            if isinstance(prepared, Outcome):
                return prepared
            return await self.purchase(prepared, wait=wait)
        except OrderFailed as failed:
            return failed.outcome


def not_found(error: CarrierError) -> bool:
    """EasyPost has no such object (a shipment never made, or not of this account)."""
    code = (error.code or "").upper()
    return code in ("NOT_FOUND", "HTTP_404") or code.endswith(".NOT_FOUND")


def _insurance(stored: StoredOrder) -> Decimal | None:
    """The declared value to insure the order's label for, if any."""
    options = getattr(stored.order, "options", None)
    return options.insurance if options is not None else None
