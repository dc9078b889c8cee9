"""Scan forms (manifests): the intent written before each request, and what EasyPost answered.

A label is on at most one row of `scan_form_labels` (its primary key): it is put there, with
the form's intent, and committed before the form is asked of EasyPost, and taken off only
when EasyPost is known to have made no form with it. A label EasyPost refused onto a form
is taken off its intent into `scan_form_exclusions`, with the reason, and never asked onto a
form again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from shipctl.models import Address
from shipctl.store.sql import query

# Session-level advisory locks: one `manifest` and one `pickup schedule` at a time per
# database (another run's form or buy in flight would look lost to this one).
MANIFEST_LOCK = 0x5C4F_0001
PICKUP_LOCK = 0x5C4F_0002


@asynccontextmanager
async def exclusive(pool: asyncpg.Pool, key: int) -> AsyncIterator[bool]:
    """Hold advisory lock `key` for the block if no other session holds it; yields whether
    it did. PostgreSQL releases it when the session ends, so a run killed with -9 never
    leaves it behind."""
    async with pool.acquire() as conn:
        acquired = bool(await conn.fetchval(query("tracking_try_lock"), key))
        try:
            yield acquired
        finally:
            if acquired and not conn.is_closed():
                await conn.fetchval(query("tracking_unlock"), key)


@dataclass(frozen=True)
class ManifestLabel:
    """A bought label waiting for a form."""

    id: int
    reference: str
    shipment_id: str
    tracking_code: str
    carrier: str
    from_address: Address | None
    carrier_account_id: str | None = None


@dataclass(frozen=True)
class RequestedForm:
    """A form asked of EasyPost whose answer was never recorded."""

    id: int
    ship_date: date
    carrier: str
    carrier_account_id: str | None
    origin: str
    requested_at: datetime
    tracking_codes: tuple[str, ...]


@dataclass(frozen=True)
class StoredForm:
    id: int
    ship_date: date
    carrier: str
    carrier_account_id: str | None
    origin: str
    state: str
    scan_form_id: str | None
    form_url: str | None
    requested_at: datetime
    error_message: str | None
    labels: int
    refunded: int
    excluded: int


@dataclass(frozen=True)
class Exclusion:
    """A label EasyPost refused onto a form, and why: `reason` is one of REASONS."""

    label: ManifestLabel
    reason: str
    message: str
    error_code: str | None = None
    on_scan_form: str | None = None  # the form EasyPost says it is on already


# Why a label was left off the forms (scan_form_exclusions.reason).
REASONS = ("refunded", "on_scan_form", "dated_before", "not_bought", "not_found", "origin",
           "refused")


@dataclass(frozen=True)
class ExcludedLabel:
    """A label left off the forms for good, as `manifest list` shows it."""

    reference: str
    tracking_code: str
    ship_date: date
    reason: str
    message: str
    on_scan_form: str | None


@dataclass(frozen=True)
class RefundedLabel:
    """A label refunded after it was put on a form."""

    reference: str
    tracking_code: str
    scan_form_id: str
    ship_date: date


async def labels_shipping_on(
    pool: asyncpg.Pool, *, mode: str, ship_date: date, carrier: str | None,
    on_no_form: bool = False,
) -> list[ManifestLabel]:
    """The bought labels shipping on `ship_date` (those a pickup collects); with `on_no_form`
    only those on no scan form yet (a manifest's candidates)."""
    from shipctl.store.shipments import address_of

    rows = await pool.fetch(query("labels_shipping_on"), mode, ship_date, carrier, on_no_form)
    return [ManifestLabel(r["id"], r["reference"], r["easypost_shipment_id"],
                          r["tracking_code"], r["carrier"] or "", address_of(r, "from_"),
                          r["carrier_account_id"])
            for r in rows]


async def candidates(
    pool: asyncpg.Pool, *, mode: str, ship_date: date, carrier: str | None
) -> list[ManifestLabel]:
    return await labels_shipping_on(pool, mode=mode, ship_date=ship_date, carrier=carrier,
                                    on_no_form=True)


async def request_form(
    pool: asyncpg.Pool, *, mode: str, ship_date: date, carrier: str, account: str | None,
    origin: str, labels: Sequence[ManifestLabel],
) -> tuple[int, list[ManifestLabel]]:
    """Write the intent and put `labels` on it, in one transaction; the labels it got (those
    another run took meanwhile are left out)."""
    async with pool.acquire() as conn, conn.transaction():
        form_id: int = await conn.fetchval(query("scan_forms_request"), mode, ship_date,
                                           carrier, origin, account)
        rows = await conn.fetch(query("scan_forms_claim_labels"), form_id,
                                [label.id for label in labels],
                                [label.tracking_code for label in labels])
    claimed = {r["shipment_id"] for r in rows}
    return form_id, [label for label in labels if label.id in claimed]


async def record_created(
    pool: asyncpg.Pool, form_id: int, *, scan_form_id: str, batch_id: str | None,
    form_url: str | None, tracking_codes: Sequence[str],
) -> None:
    await pool.execute(query("scan_forms_created"), form_id, scan_form_id, batch_id, form_url,
                       list(tracking_codes))


async def record_failed(pool: asyncpg.Pool, form_id: int, code: str | None, message: str) -> None:
    await pool.execute(query("scan_forms_failed"), form_id, code, message)


async def exclude(pool: asyncpg.Pool, form_id: int, exclusions: Sequence[Exclusion]) -> None:
    """Take labels EasyPost refused off intent `form_id`, for good, each with its reason."""
    await pool.execute(
        query("scan_forms_exclude"), form_id, [x.label.id for x in exclusions],
        [x.label.tracking_code for x in exclusions], [x.reason for x in exclusions],
        [x.error_code for x in exclusions], [x.message[:2000] for x in exclusions],
        [x.on_scan_form for x in exclusions])


async def regroup(
    pool: asyncpg.Pool, form_id: int, accounts: Sequence[tuple[ManifestLabel, str]]
) -> None:
    """Labels of intent `form_id` that EasyPost has under other carrier accounts: store those
    and take the labels off the intent, free to be grouped with their account's labels."""
    await pool.execute(query("scan_forms_regroup"), form_id,
                       [label.id for label, _ in accounts], [account for _, account in accounts])


async def set_carrier_accounts(
    pool: asyncpg.Pool, accounts: Sequence[tuple[ManifestLabel, str]]
) -> None:
    """The carrier accounts of labels bought before shipctl stored them, as EasyPost has them."""
    await pool.execute(query("shipments_set_carrier_account"),
                       [label.id for label, _ in accounts], [account for _, account in accounts])


async def excluded(
    pool: asyncpg.Pool, *, mode: str, ship_date: date | None
) -> list[ExcludedLabel]:
    """Labels of that ship date (None: every day) left off the forms for good."""
    rows = await pool.fetch(query("scan_forms_excluded"), mode, ship_date)
    return [ExcludedLabel(r["reference"], r["tracking_code"], r["ship_date"], r["reason"],
                          r["message"], r["on_scan_form"]) for r in rows]


async def requested(pool: asyncpg.Pool, *, mode: str) -> list[RequestedForm]:
    rows = await pool.fetch(query("scan_forms_requested"), mode)
    return [RequestedForm(r["id"], r["ship_date"], r["carrier"], r["carrier_account_id"],
                          r["origin"], r["requested_at"], tuple(r["tracking_codes"]))
            for r in rows]


async def list_forms(pool: asyncpg.Pool, *, mode: str, ship_date: date | None) -> list[StoredForm]:
    rows = await pool.fetch(query("scan_forms_list"), mode, ship_date)
    return [StoredForm(r["id"], r["ship_date"], r["carrier"], r["carrier_account_id"],
                       r["origin"], r["state"], r["easypost_scan_form_id"], r["form_url"],
                       r["requested_at"], r["error_message"], r["labels"], r["refunded"],
                       r["excluded"]) for r in rows]


async def refunded_after(
    pool: asyncpg.Pool, *, mode: str, ship_date: date | None
) -> list[RefundedLabel]:
    rows = await pool.fetch(query("scan_forms_refunded"), mode, ship_date)
    return [RefundedLabel(r["reference"], r["tracking_code"], r["easypost_scan_form_id"],
                          r["ship_date"]) for r in rows]


async def set_label_date(pool: asyncpg.Pool, run_id: int, label_date: date) -> None:
    """The ship date run `run_id` buys its labels for, on its orders not bought yet."""
    await pool.execute(query("shipments_set_label_date"), run_id, label_date)


@dataclass(frozen=True)
class UnmanifestedRow:
    reference: str
    tracking_code: str
    carrier: str | None
    purchased_at: datetime
    ship_date: date


async def unmanifested(
    pool: asyncpg.Pool, *, mode: str, bought_before: datetime, limit: int = 1000
) -> list[UnmanifestedRow]:
    """Labels bought before `bought_before`, on no form, with no carrier scan."""
    rows = await pool.fetch(query("track_unmanifested"), mode, bought_before, limit)
    return [UnmanifestedRow(r["reference"], r["tracking_code"], r["carrier"],
                            r["purchased_at"], r["ship_date"]) for r in rows]


async def record_file(pool: asyncpg.Pool, scan_form_id: str, form_url: str) -> None:
    """The file of a form EasyPost made after answering (`creating` at first)."""
    await pool.execute(query("scan_forms_file"), scan_form_id, form_url)
