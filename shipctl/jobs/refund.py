"""`shipctl refund`: find the labels the keys name, let the caller confirm, ask EasyPost to
refund them and record what it says; and follow submitted refunds up (`--status`).

A key is a reference, tracking code or shipment id, matched among the current shipments of
the carrier session's mode only (a simulated label is never refunded with a real key, nor a
test label with a live one). A key matching more than one shipment is ambiguous: nothing is
refunded, and the matches are listed so that `--by` can choose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from shipctl.carrier.errors import CarrierTransientError
from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.models import OrderState, RefundResult

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.store.database import Pool
    from shipctl.store.shipments import StoredOrder

# Refund statuses meaning a refund was asked for and needs no second request. After
# `rejected` EasyPost accepts a new one.
ALREADY_ASKED = frozenset({"submitted", "refunded", "not_applicable"})
# A refund whose request's answer was lost: asked for or not, EasyPost alone knows.
UNKNOWN = "OUTCOME_UNKNOWN"
# The carrier's final no: the label stays valid and paid for.
REFUSED = frozenset({"rejected", "not_applicable"})
MODES = ("simulated", "test", "live")
HOW = {"simulated": "refund it with --simulate", "test": "refund it with a test API key, EZTK…",
       "live": "refund it with a live API key"}
KEY_FIELDS = {None: "reference, tracking code or shipment id", "reference": "reference",
              "tracking-code": "tracking code", "shipment-id": "shipment id"}


@dataclass(frozen=True)
class KeyProblem:
    """A key that names no label to refund: why, and the shipments it matched."""

    key: str
    code: str  # NOT_FOUND, NOT_PURCHASED, AMBIGUOUS or ALREADY_REQUESTED
    message: str
    matches: tuple[StoredOrder, ...] = ()


@dataclass(frozen=True)
class RefundPlan:
    """What the keys name: labels to refund (each once), and the keys that name none."""

    mode: str
    labels: tuple[tuple[str, StoredOrder], ...]
    problems: tuple[KeyProblem, ...]

    @property
    def ambiguous(self) -> tuple[KeyProblem, ...]:
        return tuple(p for p in self.problems if p.code == "AMBIGUOUS")

    @property
    def total(self) -> Decimal:
        return sum((label.rate or Decimal(0) for _, label in self.labels), Decimal(0))


@dataclass(frozen=True)
class RefundOutcome:
    """One label refund asked for, and EasyPost's answer or the error."""

    key: str
    order: StoredOrder
    result: RefundResult | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


# refused (a key is ambiguous), nothing (no label to refund), declined, dry_run, done
RefundStatus = Literal["refused", "nothing", "declined", "dry_run", "done"]


@dataclass(frozen=True)
class RefundReport:
    """What `refund KEY…` did: the plan, whether it went ahead, and each refund's outcome."""

    plan: RefundPlan
    status: RefundStatus
    outcomes: tuple[RefundOutcome, ...] = ()

    @property
    def failed(self) -> tuple[RefundOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


@dataclass(frozen=True)
class RefundFollowUp:
    """A submitted refund read again: the status EasyPost gives now, or why it could not."""

    order: StoredOrder
    status: str | None = None
    error: str | None = None

    @property
    def refused(self) -> bool:
        return self.status in REFUSED


@dataclass(frozen=True)
class FollowUpReport:
    mode: str
    followed: tuple[RefundFollowUp, ...] = field(default=())

    @property
    def refused(self) -> tuple[RefundFollowUp, ...]:
        return tuple(f for f in self.followed if f.refused)

    @property
    def failed(self) -> tuple[RefundFollowUp, ...]:
        return tuple(f for f in self.followed if f.error is not None)


def is_label(order: StoredOrder) -> bool:
    return (order.state in (OrderState.PURCHASED, OrderState.REFUNDED)
            and bool(order.shipment_id) and bool(order.tracking_code))


async def plan_refunds(
    pool: Pool, keys: Sequence[str], *, by: str | None, mode: str, store: str = "default"
) -> RefundPlan:
    """Resolve each key to exactly one label of `mode`, or to the reason it names none."""
    from shipctl.store import shipments

    labels: dict[int, tuple[str, StoredOrder]] = {}
    problems: list[KeyProblem] = []
    for key in dict.fromkeys(keys):
        matches = tuple(await shipments.find_labels(pool, key, by=by, mode=mode, store=store))
        fields = KEY_FIELDS[by]
        if not matches:
            elsewhere = await _other_modes(pool, key, by=by, mode=mode, store=store)
            hint = f" (there is a {' and a '.join(elsewhere)} one: {HOW[elsewhere[0]]})" \
                if elsewhere else ""
            problems.append(KeyProblem(key, "NOT_FOUND", f"{key}: no {mode} shipment with "
                                       f"this {fields}{hint}"))
        elif len(matches) > 1:
            problems.append(KeyProblem(
                key, "AMBIGUOUS", f"{key}: matches {len(matches)} shipments; choose one with "
                "--by reference, --by tracking-code or --by shipment-id", matches))
        elif not is_label(order := matches[0]):
            problems.append(KeyProblem(key, "NOT_PURCHASED", not_bought_message(key, order),
                                       matches))
        elif order.state is OrderState.REFUNDED or order.refund_status in ALREADY_ASKED:
            status = order.refund_status or "submitted"
            problems.append(KeyProblem(key, "ALREADY_REQUESTED", already_message(key, status),
                                       matches))
        else:
            labels.setdefault(order.id, (key, order))
    return RefundPlan(mode, tuple(labels.values()), tuple(problems))


async def _other_modes(
    pool: Pool, key: str, *, by: str | None, mode: str, store: str
) -> list[str]:
    """The other modes in which `key` names a shipment, to say how to reach it."""
    from shipctl.store import shipments

    return [other for other in MODES if other != mode
            and await shipments.find_labels(pool, key, by=by, mode=other, store=store)]


def not_bought_message(key: str, order: StoredOrder) -> str:
    if order.state in (OrderState.UNKNOWN, OrderState.CREATED) and order.shipment_id:
        return (f"{key}: no label is recorded (the order is {order.state.value}); if a buy of "
                f"{order.shipment_id} was sent, `shipctl track` or a rerun of its file finds "
                "out and records the label, then it can be refunded")
    return f"{key}: no label was bought (the order is {order.state.value})"


def already_message(key: str, status: str) -> str:
    if status == "not_applicable":
        return (f"{key}: a refund was already asked for and the carrier answered "
                "not_applicable (the label was already scanned): it cannot be refunded")
    if status == "refunded":
        return f"{key}: already refunded"
    return (f"{key}: a refund was already asked for and is {status}; "
            "`shipctl refund --status` checks on it")


async def refund_labels(
    settings: Settings,
    keys: Sequence[str],
    *,
    by: str | None = None,
    decide: Callable[[RefundPlan], bool],
    dry_run: bool = False,
    concurrency: int | None = None,
    carriers: CarrierFactory,
) -> RefundReport:
    """Plan the keys' refunds; unless a key is ambiguous, ask `decide` (it shows the plan and
    confirms), then refund each label. Nothing is asked of EasyPost before `decide` agrees."""
    from shipctl.jobs.runtime import open_runtime, recorded_run

    size = concurrency or min(len(keys), settings.effective_concurrency()) or 1
    async with open_runtime(settings, carriers, concurrency=size, pool_size=2) as runtime:
        pool, carrier = runtime.pool, runtime.carrier
        plan = await plan_refunds(pool, keys, by=by, mode=carrier.mode, store=settings.store)
        if plan.ambiguous:
            return RefundReport(plan, "refused")
        if not plan.labels:
            return RefundReport(plan, "nothing")
        if not decide(plan) or dry_run:
            return RefundReport(plan, "dry_run" if dry_run else "declined")
        async with recorded_run(pool, "refund", {"keys": list(keys), "by": by},
                                mode=carrier.mode) as run:
            outcomes = tuple(await asyncio.gather(
                *(_refund_one(pool, carrier, key, order) for key, order in plan.labels)))
            if not all(o.ok for o in outcomes):
                run.fail()
    return RefundReport(plan, "done", outcomes)


async def _refund_one(
    pool: Pool, carrier: CarrierSession, key: str, order: StoredOrder
) -> RefundOutcome:
    from shipctl.carrier.refunds import request_refund
    from shipctl.store import shipments as store

    assert order.shipment_id is not None
    # Noted before the request: an answer lost on the way back leaves `requested`, which
    # `refund --status` and the tracking sweep resolve by reading the shipment.
    before = await store.intend_refund(pool, order.id)
    try:
        result = await request_refund(carrier.executor, order.shipment_id)
    except CarrierAuthError:
        await store.withdraw_refund(pool, order.id, before)
        raise
    except CarrierTransientError as error:
        if not error.may_have_taken_effect:
            await store.withdraw_refund(pool, order.id, before)
            return RefundOutcome(key, order, error=f"{key}: {error.message}",
                                 error_code=error.code)
        return RefundOutcome(
            key, order, error_code=UNKNOWN,
            error=f"{key}: {error.message}; the refund may have been asked for: "
                  "`shipctl refund --status` (or the tracking sweep) finds out")
    except CarrierError as error:
        await store.withdraw_refund(pool, order.id, before)
        return RefundOutcome(key, order, error=f"{key}: {error.message}", error_code=error.code)
    await store.record_refund(pool, order.id, result)
    return RefundOutcome(key, order, result=result)


async def follow_up(pool: Pool, executor: CarrierExecutor, *, mode: str) -> FollowUpReport:
    """Read every submitted refund of `mode` again and record the status EasyPost gives now.

    A rejected (or not_applicable) refund puts its shipment back to `purchased`: the label
    is still valid and was paid for."""
    from shipctl.store import shipments as store

    submitted = await store.submitted_refunds(pool, mode=mode)

    async def one(order: StoredOrder) -> RefundFollowUp:
        from shipctl.carrier.refunds import refund_status

        assert order.shipment_id is not None
        try:
            result = await refund_status(executor, order.shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            return RefundFollowUp(order, error=error.message)
        if result is None:
            if order.refund_status == "requested":  # the lost request never arrived
                await store.withdraw_refund(pool, order.id, None)
                return RefundFollowUp(order, status="not_requested")
            return RefundFollowUp(order, error="EasyPost shows no refund for this label")
        if result.refund_status != order.refund_status:
            await store.record_refund(pool, order.id, result)
        return RefundFollowUp(order, status=result.refund_status)

    return FollowUpReport(mode, tuple(await asyncio.gather(*(one(o) for o in submitted))))


async def follow_up_refunds(settings: Settings, *, carriers: CarrierFactory) -> FollowUpReport:
    """`follow_up` with the database and carrier these settings name (`refund --status`)."""
    from shipctl.jobs.runtime import open_runtime, recorded_run

    async with (
        open_runtime(settings, carriers, pool_size=2) as runtime,
        recorded_run(runtime.pool, "refund", {"status": True}, mode=runtime.carrier.mode) as run,
    ):
        report = await follow_up(runtime.pool, runtime.carrier.executor,
                                 mode=runtime.carrier.mode)
        if report.failed:
            run.fail()
        return report
