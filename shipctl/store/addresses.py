"""Address verifications: stored verdicts by address digest, and each order's outcome."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shipctl.models import Address
from shipctl.store.shipments import StoredOrder, to_stored
from shipctl.store.sql import query


@dataclass(frozen=True)
class Verdict:
    """EasyPost's verdict on one address: its standardised form, or why it is undeliverable."""

    corrected: Address | None
    residential: bool | None = None
    message: str | None = None
    suggestion: str | None = None

    @property
    def deliverable(self) -> bool:
        return self.corrected is not None


async def verdicts(pool: asyncpg.Pool, digests: Iterable[str]) -> dict[str, Verdict]:
    rows = await pool.fetch(query("address_verifications_get"), list(digests))
    return {
        row["digest"]: Verdict(
            Address.model_validate(json.loads(row["corrected"])) if row["corrected"] else None,
            row["residential"], row["message"], row["suggestion"],
        )
        for row in rows
    }


async def save_verdicts(pool: asyncpg.Pool, mode: str, found: dict[str, Verdict]) -> None:
    rows = [
        (digest, mode, "verified" if v.deliverable else "undeliverable",
         v.corrected.model_dump_json() if v.corrected else None, v.residential, v.message,
         v.suggestion)
        for digest, v in found.items()
    ]
    if rows:
        await pool.executemany(query("address_verifications_put"), rows)


async def pending_destinations(
    pool: asyncpg.Pool, run_id: int, page: int
) -> AsyncIterator[list[StoredOrder]]:
    """The run's unfinished orders in input order, `page` at a time."""
    after = -1
    while rows := await pool.fetch(query("run_pending_destinations"), run_id, after, page):
        yield [to_stored(row) for row in rows]
        after = rows[-1]["position"]


@dataclass(frozen=True)
class OrderVerification:
    """What to record on one order: its outcome, and the address it now ships to if changed."""

    order_id: int
    outcome: str
    verified_address: str | None
    residential: bool | None
    ship_to: Address | None = None  # the accepted correction
    digest: str | None = None


async def record_outcomes(pool: asyncpg.Pool, outcomes: Sequence[OrderVerification]) -> None:
    """Every order's outcome, and the accepted corrections, in one transaction."""
    notes = [(o.order_id, o.outcome, o.verified_address, o.residential) for o in outcomes]
    corrections: list[tuple[Any, ...]] = [
        (o.order_id, o.ship_to.street1, o.ship_to.street2, o.ship_to.city, o.ship_to.state,
         o.ship_to.zip, o.ship_to.country, o.verified_address, o.digest)
        for o in outcomes if o.ship_to is not None
    ]
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(query("shipments_note_verification"), notes)
        if corrections:
            await conn.executemany(query("shipments_correct_address"), corrections)


async def fail_orders(pool: asyncpg.Pool, failures: Sequence[tuple[int, str, str]]) -> None:
    """Mark orders failed: (order id, code, message)."""
    if failures:
        await pool.executemany(query("shipments_mark_failed"), failures)


async def residential_quoted(pool: asyncpg.Pool, run_id: int) -> dict[str, int]:
    """Quoted orders of the run going to residential addresses, by carrier."""
    rows = await pool.fetch(query("run_residential_quoted"), run_id)
    return {row["carrier"]: row["orders"] for row in rows}
