"""`bulk --verify`: every distinct destination of a run verified once, before quoting.

Verdicts are kept in PostgreSQL by a digest of the normalised address, so a rerun or a
repeat customer costs no call. Corrections are the user's choice: listed always, shipped to
only with `--accept-corrections` (the stored order's to-address and digest change). An
undeliverable address is an invalid order, with EasyPost's message and suggestion.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.models import Address
from shipctl.orders import RowError

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierSession
    from shipctl.store.addresses import OrderVerification, Verdict
    from shipctl.store.database import Pool
    from shipctl.store.shipments import Scope, StoredOrder

VerifyMode = Literal["off", "on", "strict"]
ADDRESS_FIELDS = ("street1", "street2", "city", "state", "zip", "country")
UNDELIVERABLE = "ADDRESS.UNDELIVERABLE"
MAX_LISTED = 1000
PAGE = 2000  # orders read and verified at a time: memory stays flat on a large file


@dataclass(frozen=True)
class Correction:
    """One field verification changed: `row 7 · SO-1 · street1 · 1 Main Street → 1 MAIN ST`."""

    rows: tuple[int, ...]
    reference: str
    field: str
    original: str
    corrected: str


@dataclass
class VerifyReport:
    """What verification of a run's destinations found and cost."""

    addresses: int = 0  # distinct destinations
    calls: int = 0  # verifications asked of EasyPost (the rest were stored)
    unverified: int = 0  # EasyPost gave no answer: shipped as written
    accepted: bool = False
    corrections: list[Correction] = field(default_factory=list)  # the first MAX_LISTED
    correction_count: int = 0
    undeliverable: list[RowError] = field(default_factory=list)  # the first MAX_LISTED
    undeliverable_count: int = 0


def address_digest(address: Address, mode: str) -> str:
    """The key of an address's verdict: its delivery fields, case and spacing ignored."""
    parts = [mode] + [" ".join(str(getattr(address, f) or "").upper().split())
                      for f in ADDRESS_FIELDS]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def one_line(address: Address) -> str:
    parts = [address.street1, address.street2, address.city, address.state, address.zip,
             address.country]
    return ", ".join(p for p in parts if p)


def changes(original: Address, corrected: Address) -> list[tuple[str, str, str]]:
    """(field, original, corrected) for each delivery field verification changed in more than
    case or spacing; ZIP+4 added to the same ZIP is not a change."""
    found: list[tuple[str, str, str]] = []
    for name in ADDRESS_FIELDS:
        before = str(getattr(original, name) or "")
        after = str(getattr(corrected, name) or "")
        if " ".join(before.upper().split()) == " ".join(after.upper().split()):
            continue
        if name == "zip" and len(before) == 5 and after.startswith(before):
            continue
        found.append((name, before, after))
    return found


async def _ask(session: CarrierSession, address: Address, strict: bool) -> Verdict | None:
    from shipctl.carrier.addresses import check_address
    from shipctl.store.addresses import Verdict

    try:
        check = await check_address(session.executor, address, strict=strict)
    except CarrierAuthError:
        raise
    except CarrierError:
        return None  # no verdict: the order ships as written, as without --verify
    return Verdict(check.address, check.residential, check.message, check.suggestion)


async def verify_destinations(
    pool: Pool, session: CarrierSession, run_id: int, scope: Scope, *, strict: bool,
    accept: bool, skip_invalid: bool,
) -> VerifyReport:
    """Verify the run's unfinished destinations (stored verdicts first), record each order's
    outcome, apply accepted corrections; undeliverable orders fail only with `skip_invalid`.

    A page of orders at a time: its new destinations are verified concurrently (the
    executor bounds the calls in flight) and their verdicts stored before the next page."""
    from shipctl.store import addresses as store

    report = VerifyReport(accepted=accept)
    seen: set[str] = set()
    async for orders in store.pending_destinations(pool, run_id, PAGE):
        keyed = {order.id: address_digest(order.order.to_address, scope.mode)
                 for order in orders}
        distinct = {keyed[order.id]: order.order.to_address for order in orders}
        report.addresses += len(distinct.keys() - seen)
        seen.update(distinct)
        known = await store.verdicts(pool, distinct)
        missing = [digest for digest in distinct if digest not in known]
        answers = await asyncio.gather(*(_ask(session, distinct[d], strict) for d in missing))
        fresh = {d: v for d, v in zip(missing, answers, strict=True) if v is not None}
        await store.save_verdicts(pool, scope.mode, fresh)
        known.update(fresh)
        report.calls += len(missing)
        report.unverified += len(missing) - len(fresh)
        outcomes = [outcome for order in orders
                    if (outcome := _outcome(order, known.get(keyed[order.id]), scope, report))]
        await store.record_outcomes(pool, outcomes)
        if skip_invalid:
            await store.fail_orders(pool, [(o.order_id, UNDELIVERABLE, o.verified_address or "")
                                           for o in outcomes if o.outcome == "undeliverable"])
    return report


def _outcome(
    order: StoredOrder, verdict: Verdict | None, scope: Scope, report: VerifyReport
) -> OrderVerification | None:
    from shipctl.store.addresses import OrderVerification

    if verdict is None:
        return None
    original = order.order.to_address
    if verdict.corrected is None:
        message = f"undeliverable: {verdict.message or 'the address could not be verified'}"
        if verdict.suggestion:
            message += f" (did you mean {verdict.suggestion}?)"
        report.undeliverable_count += 1
        if len(report.undeliverable) < MAX_LISTED:
            report.undeliverable.append(RowError(order.order.rows, "address",
                                                 one_line(original), message, order.reference))
        return OrderVerification(order.id, "undeliverable", message, None)
    changed = changes(original, verdict.corrected)
    report.correction_count += len(changed)
    report.corrections += [Correction(order.order.rows, order.reference, name, before, after)
                           for name, before, after in changed][: MAX_LISTED
                                                               - len(report.corrections)]
    if not changed:
        return OrderVerification(order.id, "verified", None, verdict.residential)
    corrected_line = one_line(verdict.corrected)
    if not report.accepted:
        return OrderVerification(order.id, "verified", corrected_line, verdict.residential)
    ship_to = original.model_copy(update={f: getattr(verdict.corrected, f)
                                          for f in ADDRESS_FIELDS})
    new_order = order.order.model_copy(update={"to_address": ship_to})
    return OrderVerification(order.id, "corrected", corrected_line, verdict.residential,
                             ship_to, new_order.digest(scope.default_from))
