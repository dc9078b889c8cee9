"""`shipctl pickup`: schedule a carrier pickup of the day's labels, list and cancel them.

One pickup a day for each carrier and origin address of the day's labels. Exactly once, like
a purchase (DESIGN.md): the pickup's row is written before it is created, and marked
`buying` (with the rate chosen) and committed before the buy is sent. A buy whose answer is
lost is resolved by retrieving the pickup — `scheduled` means it was bought — never by
buying again blindly; a rerun of `pickup schedule` retrieves a `buying` pickup first.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError, InputError

if TYPE_CHECKING:
    from shipctl.carrier.pickups import Pickup, PickupRate
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.models import Address
    from shipctl.store.database import Pool
    from shipctl.store.manifests import ManifestLabel
    from shipctl.store.pickups import StoredPickup


@dataclass(frozen=True)
class PickupOutcome:
    """One day's pickup for a carrier and origin: what was done and the rates offered."""

    pickup: StoredPickup
    status: str  # scheduled, already (an earlier run's), unknown, failed
    rates: tuple[PickupRate, ...] = ()
    message: str | None = None
    resolved: bool = False  # a lost buy answer, found by retrieving the pickup
    labels: int = 0  # the day's labels from that origin now (the pickup row: when scheduled)


@dataclass
class ScheduleReport:
    day: date
    mode: str
    labels: int = 0
    outcomes: list[PickupOutcome] = field(default_factory=list)


def parse_window(text: str) -> tuple[time, time]:
    """`09:00-17:00` → (09:00, 17:00); one clear InputError otherwise."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise InputError(f"--window {text!r}: give it as HH:MM-HH:MM, e.g. 09:00-17:00") from None
    if end <= start:
        raise InputError(f"--window {text!r}: the end must come after the start")
    return start, end


def window_on(day: date, window: tuple[time, time]) -> tuple[datetime, datetime]:
    """The window on `day`, in this machine's time zone (the warehouse's)."""
    return (datetime.combine(day, window[0]).astimezone(),
            datetime.combine(day, window[1]).astimezone())


def _reference(day: date, carrier: str, origin: str) -> str:
    digest = hashlib.sha256(origin.encode()).hexdigest()[:10]
    return f"shipctl-{day.isoformat()}-{carrier}-{digest}"


async def schedule(
    settings: Settings, carriers: CarrierFactory, *, day: date, window: tuple[time, time],
    instructions: str | None = None, carrier_name: str | None = None,
    service: str | None = None,
) -> ScheduleReport:
    from shipctl.jobs.manifest import origin_key
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import pickups as store
    from shipctl.store.manifests import PICKUP_LOCK, exclusive

    async with (
        open_runtime(settings, carriers, concurrency=2, pool_size=3) as runtime,
        exclusive(runtime.pool, PICKUP_LOCK) as alone,
    ):
        if not alone:
            raise InputError("another `shipctl pickup schedule` is running against this "
                             "database: wait for it, then run again")
        pool, session = runtime.pool, runtime.carrier
        report = ScheduleReport(day, session.mode)
        labels = await store.day_labels(pool, mode=session.mode, ship_date=day,
                                        carrier=carrier_name)
        report.labels = len(labels)
        groups: dict[tuple[str, str], list[ManifestLabel]] = defaultdict(list)
        for label in labels:
            address = label.from_address or settings.from_address
            groups[(label.carrier, origin_key(address))].append(label)
        for (carrier, origin), group in sorted(groups.items()):
            address = group[0].from_address or settings.from_address
            if address is None:
                raise InputError("no from-address to send the carrier to: set [from_address]")
            outcome = await _one(
                pool, session, day=day, carrier=carrier, origin=origin, labels=group,
                address=address, window=window_on(day, window), instructions=instructions,
                service=service)
            report.outcomes.append(replace(outcome, labels=len(group)))
    return report


async def _one(
    pool: Pool, session: CarrierSession, *, day: date, carrier: str, origin: str,
    labels: Sequence[ManifestLabel], address: Address, window: tuple[datetime, datetime],
    instructions: str | None, service: str | None,
) -> PickupOutcome:
    from shipctl.carrier.errors import CarrierInputError
    from shipctl.carrier.pickups import create_pickup, retrieve_pickup
    from shipctl.store import pickups as store

    row = await store.open_pickup(pool, mode=session.mode, day=day, label_carrier=carrier,
                                  origin=origin)
    if row is None:
        row = await store.intend(
            pool, mode=session.mode, day=day, reference=_reference(day, carrier, origin),
            label_carrier=carrier, origin=origin, shipment_id=labels[0].shipment_id,
            window=window, instructions=instructions, labels=len(labels))
        if row is None:  # another run wrote it meanwhile
            row = await store.open_pickup(pool, mode=session.mode, day=day,
                                          label_carrier=carrier, origin=origin)
            assert row is not None
            return PickupOutcome(row, "already", message="another run is scheduling it")
    if row.state == "scheduled":
        return PickupOutcome(row, "already")
    pickup: Pickup | None = None
    resolved = False
    if row.pickup_id is not None:
        # Made by an earlier run (perhaps bought, if its buy answer was lost): look first.
        try:
            pickup = await retrieve_pickup(session.executor, row.pickup_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            return PickupOutcome(row, "unknown", message=f"could not be retrieved: "
                                                         f"{error.message}")
        if pickup.status == "scheduled":
            row = await store.update(pool, row.id, "scheduled", confirmation=pickup.confirmation)
            return PickupOutcome(row, "scheduled", pickup.rates, resolved=True)
        resolved = row.state == "buying"
        if pickup.status != "unknown":  # canceled on EasyPost: a new one is needed
            await store.update(pool, row.id, "canceled", error=f"EasyPost shows it {pickup.status}")
            return PickupOutcome(row, "failed", message=f"pickup {row.pickup_id} is "
                                 f"{pickup.status} on EasyPost: run `pickup schedule` again")
    if pickup is None:
        try:
            pickup = await create_pickup(
                session.executor, shipment_id=row.shipment_id, address=address, window=window,
                instructions=instructions, reference=row.reference)
        except CarrierAuthError:
            raise
        except CarrierInputError as error:
            row = await store.update(pool, row.id, "failed", error=error.message)
            return PickupOutcome(row, "failed", message=error.message)
        except CarrierError as error:  # nothing bought: the next run creates it again
            return PickupOutcome(row, "failed", message=error.message)
        row = await store.update(pool, row.id, "created", pickup_id=pickup.id)
    return await _buy(pool, session, row, pickup, service, resolved=resolved)


def choose_rate(rates: Sequence[PickupRate], service: str | None) -> PickupRate | None:
    """The cheapest rate, or the one of `service` (case-insensitive)."""
    offered = [r for r in rates if service is None or r.service.lower() == service.lower()]
    return min(offered, key=lambda r: (r.rate, r.carrier, r.service), default=None)


async def _buy(
    pool: Pool, session: CarrierSession, row: StoredPickup, pickup: Pickup,
    service: str | None, *, resolved: bool,
) -> PickupOutcome:
    from shipctl.carrier.errors import CarrierInputError
    from shipctl.carrier.pickups import buy_pickup
    from shipctl.store import pickups as store

    rate = choose_rate(pickup.rates, service)
    if rate is None:
        offered = ", ".join(f"{r.carrier} {r.service}" for r in pickup.rates) or "none"
        message = (f"no pickup rate for service {service} (offered: {offered})" if service
                   else "EasyPost offered no pickup rate (is the window over already?)")
        row = await store.update(pool, row.id, "failed", error=message)
        return PickupOutcome(row, "failed", pickup.rates, message)
    pickup_id = row.pickup_id
    assert pickup_id is not None
    row = await store.update(pool, row.id, "buying", carrier=rate.carrier,
                             service=rate.service, rate=rate.rate)
    try:
        bought = await buy_pickup(session.executor, pickup_id, rate)
    except CarrierAuthError:
        raise
    except CarrierInputError as error:
        if "already been scheduled" in error.message:
            return await _resolve_buy(pool, session, row, pickup)
        row = await store.update(pool, row.id, "created", error=error.message)
        return PickupOutcome(row, "failed", pickup.rates, error.message)
    except CarrierError:
        return await _resolve_buy(pool, session, row, pickup)
    row = await store.update(pool, row.id, "scheduled", confirmation=bought.confirmation)
    return PickupOutcome(row, "scheduled", pickup.rates, resolved=resolved)


async def _resolve_buy(
    pool: Pool, session: CarrierSession, row: StoredPickup, pickup: Pickup
) -> PickupOutcome:
    """The buy's answer was lost: retrieve the pickup; `scheduled` means it was bought."""
    from shipctl.carrier.pickups import retrieve_pickup
    from shipctl.store import pickups as store

    assert row.pickup_id is not None
    try:
        current = await retrieve_pickup(session.executor, row.pickup_id)
    except CarrierAuthError:
        raise
    except CarrierError as error:
        return PickupOutcome(row, "unknown", pickup.rates,
                             f"the buy's answer was lost and the pickup could not be "
                             f"retrieved ({error.message}): run `pickup schedule` again")
    if current.status == "scheduled":
        row = await store.update(pool, row.id, "scheduled", confirmation=current.confirmation)
        return PickupOutcome(row, "scheduled", pickup.rates, resolved=True)
    row = await store.update(pool, row.id, "created", error="the buy did not go through")
    return PickupOutcome(row, "failed", pickup.rates,
                         "the buy did not go through: run `pickup schedule` again")


async def list_pickups(
    settings: Settings, carriers: CarrierFactory, *, day: date | None
) -> tuple[str, list[StoredPickup]]:
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import pickups as store

    async with open_runtime(settings, carriers, concurrency=1, pool_size=1) as runtime:
        mode = runtime.carrier.mode
        return mode, await store.list_pickups(runtime.pool, mode=mode, day=day)


async def cancel(settings: Settings, carriers: CarrierFactory, key: str) -> StoredPickup:
    """Cancel a scheduled pickup (its EasyPost id or shipctl number)."""
    from shipctl.carrier.pickups import cancel_pickup, retrieve_pickup
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import pickups as store

    async with open_runtime(settings, carriers, concurrency=1, pool_size=1) as runtime:
        pool, session = runtime.pool, runtime.carrier
        row = await store.find(pool, mode=session.mode, key=key)
        if row is None or row.pickup_id is None:
            raise InputError(f"{key}: no {session.mode} pickup with this id "
                             "(see `shipctl pickup list`)")
        if row.state == "canceled":
            raise InputError(f"{key}: already cancelled")
        try:
            await cancel_pickup(session.executor, row.pickup_id)
        except CarrierAuthError:
            raise
        except CarrierError:  # refused or unanswered: EasyPost's pickup says which
            current = await retrieve_pickup(session.executor, row.pickup_id)
            if current.status != "canceled":
                raise
        return await store.update(pool, row.id, "canceled")
