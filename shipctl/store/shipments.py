"""Runs and shipments: the order state machine's durable half.

`pending → created → purchased`, with `failed` and later `refunded`. The EasyPost shipment id
is written (and committed) before the buy call, so a crash can always be resolved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from shipctl.models import (
    Address,
    LineItem,
    Order,
    OrderState,
    Parcel,
    PurchasedLabel,
    Quote,
    RateRule,
    RefundResult,
    RunStatus,
    ShipmentOptions,
)
from shipctl.store.sql import query


@dataclass(frozen=True)
class StoredOrder:
    """An order as PostgreSQL holds it, with what EasyPost made of it so far."""

    id: int
    reference: str
    run_id: int | None
    state: OrderState
    mode: str
    position: int | None
    order: Order
    shipment_id: str | None = None
    rate_id: str | None = None
    carrier: str | None = None
    service: str | None = None
    rate: Decimal | None = None
    currency: str | None = None
    delivery_days: int | None = None
    tracking_code: str | None = None
    label_url: str | None = None
    purchased_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    store: str = "default"
    order_digest: str | None = None
    shipment_digest: str | None = None
    label_file_format: str | None = None

    @property
    def shipment_is_stale(self) -> bool:
        """The EasyPost shipment was made for other order data than the order now has."""
        return (self.shipment_digest is not None and self.order_digest is not None
                and self.shipment_digest != self.order_digest)
    # EasyPost's answer to a refund of the label, when one was asked for (read by the
    # refund queries only; None elsewhere).
    refund_status: str | None = None
    # What address verification said of the destination (`bulk --verify`), when it ran.
    verification: str | None = None
    verified_address: str | None = None
    # Whether the destination is a home: as the order says, else as verification found.
    residential: bool | None = None
    uncorrected_digest: str | None = None  # the file's digest, before an accepted correction

    def shipping_order(self) -> Order:
        """The order as its shipment is made: the destination's residential flag sent when
        verification found it and the order did not say (it is not part of the digest)."""
        to_address = self.order.to_address
        if to_address.residential is not None or self.residential is None:
            return self.order
        home = to_address.model_copy(update={"residential": self.residential})
        return self.order.model_copy(update={"to_address": home})


def address_of(row: asyncpg.Record, prefix: str) -> Address | None:
    """The `to_` or `from_` address of a shipments row (None when it has no street)."""
    if not row[f"{prefix}street1"]:
        return None
    return Address.model_construct(
        name=row[f"{prefix}name"], company=row[f"{prefix}company"],
        street1=row[f"{prefix}street1"], street2=row[f"{prefix}street2"],
        city=row[f"{prefix}city"], state=row[f"{prefix}state"], zip=row[f"{prefix}zip"],
        country=row[f"{prefix}country"] or "US", phone=row[f"{prefix}phone"],
        email=row.get(f"{prefix}email"), residential=row.get(f"{prefix}residential_given"),
    )


def to_stored(row: asyncpg.Record) -> StoredOrder:
    """Rebuild the order and its state from a `shipments` row."""
    rule = RateRule.model_validate_json(row["rate_rule"]) if row["rate_rule"] else None
    to_address = address_of(row, "to_")
    order = Order.model_construct(
        reference=row["reference"],
        to_address=to_address,
        parcel=Parcel.model_construct(
            weight_oz=row["weight_oz"], length=row["length_in"], width=row["width_in"],
            height=row["height_in"], predefined_package=row["predefined_package"],
        ),
        from_address=address_of(row, "from_"),
        carrier=row["requested_carrier"],
        service=row["requested_service"],
        rate_rule=rule,
        label_format=row["label_format"],
        rows=tuple(row["source_rows"] or ()),
        items=_items(row), itn=row.get("customs_itn"),
        options=ShipmentOptions.model_validate(row["options"]) if row.get("options") else None,
    )
    return StoredOrder(
        id=row["id"], reference=row["reference"], run_id=row["run_id"],
        state=OrderState(row["state"]), mode=row["mode"], position=row["position"], order=order,
        shipment_id=row["easypost_shipment_id"], rate_id=row["rate_id"], carrier=row["carrier"],
        service=row["service"], rate=row["rate"], currency=row["currency"],
        delivery_days=row["delivery_days"], tracking_code=row["tracking_code"],
        label_url=row["label_url"], purchased_at=row["purchased_at"],
        error_code=row["error_code"], error_message=row["error_message"],
        store=row["store"], order_digest=row["order_digest"],
        shipment_digest=row["shipment_digest"], label_file_format=row["label_file_format"],
        refund_status=row.get("refund_status"),
        verification=row.get("verification"), verified_address=row.get("verified_address"),
        residential=_residential(row), uncorrected_digest=row.get("uncorrected_digest"),
    )


def _residential(row: asyncpg.Record) -> bool | None:
    """The destination's residential flag: the order's own, else verification's."""
    given = row.get("to_residential_given")
    return given if given is not None else row.get("to_residential")


def _address_values(address: Address | None, *, email: bool) -> list[Any]:
    if address is None:
        return [None] * (10 if email else 9)
    values = [address.name, address.company, address.street1, address.street2, address.city,
              address.state, address.zip, address.country, address.phone]
    return [*values, address.email] if email else values


@dataclass(frozen=True)
class Scope:
    """Whose orders these are: labels of one mode (simulated, test, live) and one store."""

    mode: str
    store: str = "default"
    # What an order's label depends on beyond the order itself.
    default_from: Address | None = None
    label_format: str | None = None


def _order_values(
    run_id: int, scope: Scope, position: int, order: Order, retry_failed: bool
) -> list[Any]:
    parcel = order.parcel
    return [
        order.reference, run_id, scope.mode, list(order.rows), position,
        *_address_values(order.to_address, email=True),
        *_address_values(order.from_address, email=False),
        parcel.weight_oz, parcel.length, parcel.width, parcel.height, parcel.predefined_package,
        order.carrier, order.service,
        order.rate_rule.model_dump_json() if order.rate_rule else None,
        order.label_format or scope.label_format, scope.store, retry_failed,
        order.digest(scope.default_from),
        items_json(order), order.itn,
        order.options.chosen() if order.options and order.options.chosen() else None,
        order.to_address.residential,
    ]


def items_json(order: Order) -> list[dict[str, Any]]:
    """The order's line items as the `items` column holds them (the pool encodes jsonb)."""
    return [item.model_dump(mode="json", exclude_none=True) for item in order.items]


def _items(row: asyncpg.Record) -> tuple[LineItem, ...]:
    import json

    raw = row.get("items")
    data = json.loads(raw) if isinstance(raw, str) else raw or []
    return tuple(LineItem.model_validate(item) for item in data)


async def start_run(
    pool: asyncpg.Pool,
    kind: str,
    *,
    mode: str,
    store: str = "default",
    input_path: str | None = None,
    input_sha256: str | None = None,
    options: dict[str, Any] | None = None,
) -> int:
    run_id: int = await pool.fetchval(
        query("runs_start"), kind, mode, input_path, input_sha256, options or {}, store
    )
    return run_id


async def open_run(
    pool: asyncpg.Pool, kind: str, *, scope: Scope, input_path: str, input_sha256: str,
    options: dict[str, Any], buys: bool = True,
) -> tuple[int, bool]:
    """The unfinished run of this input to continue, else a new one; and whether it existed.

    Under a lock on the input, so two workers started together on one file join one run.
    `buys=False` (a dry run) is recorded in the run's options as `"buys": false` until a
    worker that buys takes the run up: then never again (see `claims.others_quiet_in`).
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                           f"run:{kind}:{scope.mode}:{scope.store}:{input_sha256}")
        run_id: int | None = await conn.fetchval(
            query("runs_resumable"), kind, input_sha256, scope.mode, scope.store)
        if run_id is not None:
            await conn.execute(query("runs_resume"), run_id, buys)
            return run_id, True
        run_id = await conn.fetchval(query("runs_start"), kind, scope.mode, input_path,
                                     input_sha256, {**options, "buys": buys}, scope.store)
        assert run_id is not None
        return run_id, False


async def finish_run(pool: asyncpg.Pool, run_id: int, status: RunStatus) -> None:
    """Close the run with `status`, its counts taken from its shipments."""
    await pool.execute(query("runs_finish"), run_id, status)


async def note_skips(pool: asyncpg.Pool, run_id: int, skipped: int, already: int) -> None:
    await pool.execute(query("runs_note_skips"), run_id, skipped, already)


async def record_orders(
    pool: asyncpg.Pool,
    run_id: int,
    orders: Sequence[Order],
    *,
    scope: Scope,
    first_position: int = 0,
    rebuy: bool = False,
) -> list[StoredOrder]:
    """Persist a batch of orders as pending (one transaction); return their current rows.

    A reference already purchased comes back purchased (the caller skips it) unless `rebuy`.
    """
    references = [order.reference for order in orders]
    async with pool.acquire() as conn, conn.transaction():
        await _upsert_orders(conn, run_id, orders, scope, first_position, rebuy, True)
        rows = await conn.fetch(query("shipments_current"), scope.mode, scope.store, references)
    by_reference = {row["reference"]: to_stored(row) for row in rows}
    return [by_reference[reference] for reference in references]


async def unsettled_create(
    pool: asyncpg.Pool, order: Order, *, scope: Scope
) -> StoredOrder | None:
    """An earlier `create` of the same order whose outcome is not known yet (see the query)."""
    row = await pool.fetchrow(query("shipments_create_unsettled"), scope.mode, scope.store,
                              order.digest(scope.default_from))
    return to_stored(row) if row is not None else None


async def current_orders(
    pool: asyncpg.Pool, references: Sequence[str], *, scope: Scope
) -> list[StoredOrder]:
    """The current rows of these references in the scope's mode and store, if any."""
    rows = await pool.fetch(query("shipments_current"), scope.mode, scope.store,
                            list(references))
    return [to_stored(row) for row in rows]


@dataclass(frozen=True)
class BoughtElsewhere:
    """An order of the file whose label another run bought (or refunded)."""

    order: StoredOrder
    changed: bool  # the file's data differs from what the label was bought for


async def record_run_orders(
    pool: asyncpg.Pool,
    run_id: int,
    orders: Sequence[Order],
    *,
    scope: Scope,
    first_position: int = 0,
    rebuy: bool = False,
    retry_failed: bool = True,
) -> list[BoughtElsewhere]:
    """Persist a batch as pending like `record_orders`; return only those bought by another run.

    Every order also joins the run's file (run_orders), so its results and labels can be
    written again. `retry_failed` is off for a worker joining a run that others are working.
    """
    references = [order.reference for order in orders]
    async with pool.acquire() as conn:
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                async with conn.transaction():
                    await _upsert_orders(conn, run_id, orders, scope, first_position, rebuy,
                                         retry_failed)
                    await conn.execute(
                        query("run_orders_record"), run_id,
                        list(range(first_position, first_position + len(orders))), references,
                    )
                    rows = await conn.fetch(query("shipments_bought_elsewhere"), scope.mode,
                                            scope.store, references, run_id)
                break
            except asyncpg.DeadlockDetectedError:
                # Rolled back whole by the server (another worker's buy was being recorded
                # on these rows): write the batch again.
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
    where = {reference: i for i, reference in enumerate(references)}
    found = sorted((to_stored(row) for row in rows), key=lambda order: where[order.reference])
    return [
        BoughtElsewhere(stored, _changed(stored, orders[where[stored.reference]], scope))
        for stored in found
    ]


def _changed(stored: StoredOrder, order: Order, scope: Scope) -> bool:
    bought_for = stored.shipment_digest or stored.order_digest
    digest = order.digest(scope.default_from)
    return bought_for is not None and digest not in (bought_for, stored.uncorrected_digest)


DEADLOCK_ATTEMPTS = 5

# Every process writing orders takes this lock per batch: two workers upserting the same
# references in one file would otherwise deadlock on each other's rows.
ORDERS_LOCK = 0x5348_4950_4354_4F52


async def _upsert_orders(
    conn: asyncpg.Connection, run_id: int, orders: Sequence[Order], scope: Scope,
    first_position: int, rebuy: bool, retry_failed: bool,
) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", ORDERS_LOCK)
    if rebuy:
        await conn.execute(query("shipments_supersede"), scope.mode, scope.store,
                           [order.reference for order in orders], run_id)
    await conn.executemany(
        query("shipments_upsert_order"),
        [_order_values(run_id, scope, first_position + i, order, retry_failed)
         for i, order in enumerate(orders)],
    )


async def by_ids(pool: asyncpg.Pool | asyncpg.Connection, ids: Iterable[int]) -> list[StoredOrder]:
    rows = await pool.fetch(query("shipments_by_ids"), list(ids))
    return [to_stored(row) for row in rows]


async def run_orders(pool: asyncpg.Pool, run_id: int) -> list[StoredOrder]:
    """Every order of the run's file in input order (see `iter_run_orders`)."""
    return [order async for page in iter_run_orders(pool, run_id) for order in page]


async def iter_run_orders(
    pool: asyncpg.Pool, run_id: int, page: int = 1000
) -> AsyncIterator[list[StoredOrder]]:
    """The orders of a run's file in input order, a page at a time (a huge run never sits in
    memory): the row this run worked on, else the order's current row, so orders that another
    run bought are there too. Runs from before shipctl kept the file's orders list only the
    orders they worked.
    """
    position, found = -1, False
    while True:
        rows = await pool.fetch(query("run_orders_page"), run_id, position, page)
        if not rows:
            break
        found = True
        position = rows[-1]["file_position"]
        yield [to_stored(row) for row in rows]
    if found:
        return
    position, last_id = -1, 0
    while True:
        rows = await pool.fetch(query("run_shipments_page"), run_id, position, last_id, page)
        if not rows:
            return
        position, last_id = rows[-1]["position"], rows[-1]["id"]
        yield [to_stored(row) for row in rows]


async def remaining(
    conn: asyncpg.Pool | asyncpg.Connection, run_id: int, states: Sequence[str],
    recheck: Sequence[str], since: datetime | None,
) -> int:
    """How many of the run's orders are still to be worked (see run_remaining.sql)."""
    count: int = await conn.fetchval(query("run_remaining"), run_id, list(states),
                                     list(recheck), since)
    return count


async def changed_after_purchase(pool: asyncpg.Pool, run_id: int) -> list[StoredOrder]:
    """Orders this run found bought (a lost answer resolved) for data the file has since changed."""
    return [to_stored(row) for row in await pool.fetch(query("run_changed"), run_id)]


async def run_totals(pool: asyncpg.Pool, run_id: int, state: str) -> list[dict[str, Any]]:
    """Orders of the run in `state` by carrier and service (columns carrier, service, orders,
    total: their rates summed)."""
    return [dict(row) for row in await pool.fetch(query("run_spend"), run_id, state)]


async def run_counts(pool: asyncpg.Pool, run_id: int) -> dict[str, int]:
    """How many of the run's orders are in each state."""
    return {row["state"]: row["orders"] for row in await pool.fetch(query("run_counts"), run_id)}


async def run_options(pool: asyncpg.Pool, run_id: int, state: str) -> list[ShipmentOptions]:
    """The shipment options of the run's orders in `state` that have any."""
    rows = await pool.fetch(query("run_options"), run_id, state)
    return [ShipmentOptions.model_validate(row["options"]) for row in rows]


async def run_replaced(pool: asyncpg.Pool, run_id: int, limit: int) -> list[StoredOrder]:
    """Labels the `--rebuy` run replaced that are not refunded (see run_replaced.sql)."""
    return [to_stored(row) for row in await pool.fetch(query("run_replaced"), run_id, limit)]


async def run_failures(pool: asyncpg.Pool, run_id: int, limit: int) -> list[StoredOrder]:
    return [to_stored(row) for row in await pool.fetch(query("run_failed"), run_id, limit)]


async def list_runs(
    pool: asyncpg.Pool, limit: int = 20, kind: str | None = None
) -> list[dict[str, Any]]:
    """The latest `limit` runs (of `kind`, else all), newest first, as `runs_list.sql` gives."""
    return [dict(row) for row in await pool.fetch(query("runs_list"), limit, kind)]


async def run_workers(pool: asyncpg.Pool, run_id: int) -> list[dict[str, Any]]:
    """The workers of a run, first to last: host, pid, when, and what each bought."""
    return [dict(row) for row in await pool.fetch(query("run_workers_list"), run_id)]


async def get_run(pool: asyncpg.Pool, run_id: int) -> dict[str, Any] | None:
    """Every column of one run, or None."""
    row = await pool.fetchrow(query("runs_get"), run_id)
    return None if row is None else dict(row)


def created_values(
    row_id: int, shipment_id: str, quote: Quote, digest: str | None
) -> tuple[Any, ...]:
    return (row_id, shipment_id, quote.rate_id, quote.carrier, quote.service, quote.rate,
            quote.currency, quote.delivery_days, quote.delivery_date, digest,
            quote.carrier_account_id)


def purchased_values(row_id: int, label: PurchasedLabel) -> tuple[Any, ...]:
    return (row_id, label.shipment_id, label.tracking_code, label.carrier, label.service,
            label.rate, label.currency, label.delivery_days, label.est_delivery_date,
            label.label_url, label.tracker_id, label.label_format, label.carrier_account_id)


def failed_values(row_id: int, code: str, message: str) -> tuple[Any, ...]:
    return (row_id, code, message[:2000])


async def find_labels(
    pool: asyncpg.Pool, key: str, *, by: str | None, mode: str, store: str = "default"
) -> list[StoredOrder]:
    """The current shipments of `mode` whose reference (in `store`), tracking code or shipment
    id is `key`.

    `by` ('reference', 'tracking-code' or 'shipment-id') matches that field only; None
    matches any. More than one match means the key is ambiguous: the caller must not guess.
    Each comes with `refund_status` when a refund was asked for.
    """
    if by not in (None, "reference", "tracking-code", "shipment-id"):
        raise ValueError(f"cannot find labels by {by!r}")
    rows = await pool.fetch(query("shipments_find_labels"), key, mode, by, store)
    return [to_stored(row) for row in rows]


async def submitted_refunds(pool: asyncpg.Pool, *, mode: str) -> list[StoredOrder]:
    """Labels of `mode` whose refund is still `submitted` (or `requested`: the request's
    answer was lost), oldest request first."""
    return [to_stored(row) for row in await pool.fetch(query("refunds_submitted"), mode)]


async def unsettled(
    pool: asyncpg.Pool, *, mode: str, changed_before: datetime, since: datetime
) -> list[StoredOrder]:
    """Orders whose buy may have gone through unrecorded (see shipments_unsettled.sql)."""
    rows = await pool.fetch(query("shipments_unsettled"), mode, changed_before, since)
    return [to_stored(row) for row in rows]


async def mark_not_bought(pool: asyncpg.Pool, row_id: int) -> None:
    """An `unknown` order's shipment has no label: `created` again."""
    await pool.execute(query("shipments_mark_not_bought"), row_id)


async def intend_refund(pool: asyncpg.Pool, shipment_row_id: int) -> str | None:
    """Note a refund as `requested` before EasyPost is asked; return the status before."""
    before: str | None = await pool.fetchval(query("refunds_intend"), shipment_row_id)
    return before


async def withdraw_refund(pool: asyncpg.Pool, shipment_row_id: int, before: str | None) -> None:
    """EasyPost has no refund of the label: take the `requested` note back to `before`."""
    await pool.execute(query("refunds_withdraw"), shipment_row_id, before)


async def record_refund(pool: asyncpg.Pool, shipment_row_id: int, result: RefundResult) -> None:
    """Record EasyPost's refund status: a submitted or refunded label becomes `refunded`, a
    rejected or not_applicable one `purchased` again (its label is still valid and paid)."""
    await pool.execute(
        query("refunds_record"), shipment_row_id, result.shipment_id, result.refund_status
    )
