"""Tracking: the nightly sweep of every shipment in flight, and tracking codes on demand.

The sweep takes the database's sweep lock (a second sweep started meanwhile skips), reads
the in-flight set, and works through it in batches of 100 codes: one paced list request
per batch (`GET /trackers?tracking_codes[]=…`), a `tracker.create` for each code the list
did not return (creating is idempotent and answers with the current status), and one
transaction per batch. A lookup that fails is reported for its code; the sweep goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from shipctl.carrier import tracking as carrier_tracking
from shipctl.carrier.errors import CarrierConnectionError
from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.models import TrackingUpdate
from shipctl.store import tracking as store

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import Settings
    from shipctl.store.database import Pool

Method = Literal["list", "each"]
ExceptionKind = Literal["returned", "failure", "stale", "late"]

BATCH_SIZE = carrier_tracking.LIST_PAGE_SIZE
DEFAULT_SINCE = timedelta(days=60)
DEFAULT_STALE_AFTER = timedelta(days=5)
# Batches worked on at once. List: enough to keep the 5 requests/s pacer busy while other
# batches create trackers or write; each: enough to keep the executor's window full.
WORKERS: dict[Method, int] = {"list": 4, "each": 2}


class EasyPostUnreachable(CarrierConnectionError):
    """A sweep stopped: EasyPost could not be reached (after the executor's retries)."""


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)


class LookupFailure(Report):
    """A tracking code whose lookup failed: EasyPost's error code and message."""

    tracking_code: str
    carrier: str | None
    error_code: str | None
    message: str


class TrackingException(Report):
    """A shipment that needs a person: returned, failed, stale (no news) or late."""

    tracking_code: str
    carrier: str | None
    reference: str | None
    kinds: tuple[ExceptionKind, ...]
    status: str
    status_detail: str | None
    est_delivery_date: datetime | None
    last_event_at: datetime | None


class RefundAnswer(Report):
    """A submitted refund the sweep read again, now answered: refunded, rejected or
    not_applicable (the last two leave the label valid and paid for)."""

    tracking_code: str | None
    carrier: str | None
    reference: str
    status: str


class SettledLabel(Report):
    """A label bought while shipctl was not told (a lost answer, a killed process), found by
    the sweep retrieving its shipment, and now recorded as purchased."""

    reference: str
    tracking_code: str
    carrier: str
    service: str
    rate: Decimal


class UnmanifestedLabel(Report):
    """A label bought days ago, on no scan form, with no carrier scan yet."""

    tracking_code: str
    reference: str
    carrier: str | None
    purchased_at: datetime
    ship_date: date


class SweepReport(Report):
    """What one sweep did; its JSON field names are documented in docs/tracking.md."""

    outcome: Literal["completed", "skipped"]
    method: Method
    now: datetime
    purchased_since: datetime
    in_flight: int
    checked: int
    failed: int
    new_events: int
    by_status: dict[str, int]
    exceptions: tuple[TrackingException, ...]
    failures: tuple[LookupFailure, ...]
    elapsed_seconds: float
    # Submitted refunds read again after the tracking (see `refund --status`).
    refunds_checked: int = 0
    refunds_answered: tuple[RefundAnswer, ...] = ()
    # Buys with no known outcome settled first by retrieving their shipments (jobs/settle.py):
    # labels found and recorded; `unknown` orders found unbought; those not answered.
    settled_bought: tuple[SettledLabel, ...] = ()
    settled_not_bought: int = 0
    settled_unresolved: int = 0
    # With `--unmanifested-days`: labels bought before then, on no form, never scanned.
    unmanifested: tuple[UnmanifestedLabel, ...] | None = None


class CodeResult(Report):
    """One code looked up on demand: its tracker, or why there is none."""

    tracking_code: str
    carrier: str | None
    reference: str | None
    known: bool
    stored: bool
    new_events: int
    update: TrackingUpdate | None
    note: str | None


class LookupReport(Report):
    """What `shipctl track CODE…` found."""

    now: datetime
    results: tuple[CodeResult, ...]
    exceptions: tuple[TrackingException, ...]
    failures: tuple[LookupFailure, ...]


class SweepProgress(Protocol):
    """Told the total once, then how many codes each finished batch checked and failed."""

    def begin(self, total: int) -> None: ...
    def advance(self, checked: int, failed: int) -> None: ...


class NoProgress:
    def begin(self, total: int) -> None:
        pass

    def advance(self, checked: int, failed: int) -> None:
        pass


def exception_kinds(
    update: TrackingUpdate,
    shipment: store.TrackedShipment | None,
    *,
    now: datetime,
    stale_after: timedelta,
) -> tuple[ExceptionKind, ...]:
    """Why this tracker needs attention at `now`, if it does."""
    if update.status == "return_to_sender":
        return ("returned",)
    if update.status == "failure":
        return ("failure",)
    if update.is_final:
        return ()
    kinds: list[ExceptionKind] = []
    last = last_event_at(update, shipment)
    if last is not None and now - last > stale_after:
        kinds.append("stale")
    estimate = update.est_delivery_date or (shipment.est_delivery_date if shipment else None)
    if estimate is not None and estimate < now:
        kinds.append("late")
    return tuple(kinds)


def last_event_at(
    update: TrackingUpdate, shipment: store.TrackedShipment | None
) -> datetime | None:
    """The newest event; with none yet, when the label was bought (silence since then)."""
    newest = max((e.occurred_at for e in update.events), default=None)
    if newest is not None:
        return newest
    if shipment is None:
        return None
    return shipment.last_event_at or shipment.purchased_at


def _exception(
    update: TrackingUpdate,
    shipment: store.TrackedShipment | None,
    kinds: tuple[ExceptionKind, ...],
) -> TrackingException:
    return TrackingException(
        tracking_code=update.tracking_code,
        carrier=update.carrier or (shipment.carrier if shipment else None),
        reference=shipment.reference if shipment else None,
        kinds=kinds,
        status=update.status,
        status_detail=update.status_detail,
        est_delivery_date=update.est_delivery_date
        or (shipment.est_delivery_date if shipment else None),
        last_event_at=last_event_at(update, shipment),
    )


def _failure(code: str, carrier: str | None, error: CarrierError) -> LookupFailure:
    return LookupFailure(
        tracking_code=code, carrier=carrier, error_code=error.code, message=error.message
    )


def _same_carrier(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.lower() == b.lower()


async def _fetch_one(
    executor: CarrierExecutor, shipment: store.TrackedShipment, *, reuse_id: bool
) -> TrackingUpdate:
    """Retrieve the known tracker, or create (which reuses) the tracker for code and carrier."""
    if reuse_id and shipment.tracker_id:
        try:
            return await carrier_tracking.retrieve_tracker(executor, shipment.tracker_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            if error.code != "NOT_FOUND":
                raise
    return await carrier_tracking.create_tracker(
        executor, shipment.tracking_code, shipment.carrier
    )


async def _fetch_each(
    executor: CarrierExecutor, shipments: Sequence[store.TrackedShipment], *, reuse_id: bool
) -> tuple[dict[str, TrackingUpdate], list[LookupFailure]]:
    """One request per code, concurrently; a carrier error is that code's failure only."""
    answers = await asyncio.gather(
        *(_fetch_one(executor, s, reuse_id=reuse_id) for s in shipments),
        return_exceptions=True,
    )
    found: dict[str, TrackingUpdate] = {}
    failures: list[LookupFailure] = []
    for shipment, answer in zip(shipments, answers, strict=True):
        if isinstance(answer, CarrierAuthError):
            raise answer  # every other code would fail the same way
        if isinstance(answer, CarrierError):
            failures.append(_failure(shipment.tracking_code, shipment.carrier, answer))
        elif isinstance(answer, BaseException):
            raise answer
        else:
            # Kept under the shipment's own spelling of the code, which is what joins to it.
            found[shipment.tracking_code] = answer.model_copy(
                update={"tracking_code": shipment.tracking_code}
            )
    return found, failures


async def _fetch_batch(
    executor: CarrierExecutor,
    batch: Sequence[store.TrackedShipment],
    *,
    method: Method,
    pacer: carrier_tracking.IndexPacer,
) -> tuple[list[TrackingUpdate], list[LookupFailure]]:
    found: dict[str, TrackingUpdate] = {}
    if method == "list":
        try:
            listed = await carrier_tracking.list_trackers(
                executor, [s.tracking_code for s in batch], pacer=pacer
            )
        except (CarrierAuthError, CarrierConnectionError):
            raise  # a rejected key, or EasyPost unreachable: every code would fail the same way
        except CarrierError:
            listed = []  # every code of the batch falls back to its own request below
        wanted = {s.tracking_code.upper(): s for s in batch}
        for update in listed:
            shipment = wanted.get(update.tracking_code.upper())
            if shipment is not None and _same_carrier(update.carrier, shipment.carrier):
                found[shipment.tracking_code] = update
    rest = [s for s in batch if s.tracking_code not in found]
    fetched, failures = await _fetch_each(executor, rest, reuse_id=method == "each")
    if rest and not fetched and failures and all(
            f.error_code == "CONNECTION_ERROR" for f in failures):
        raise CarrierConnectionError(failures[0].message, code="CONNECTION_ERROR")
    found.update(fetched)
    updates = [
        found[s.tracking_code].model_copy(update={"tracking_code": s.tracking_code})
        for s in batch
        if s.tracking_code in found
    ]
    return updates, failures


def _batches(
    shipments: Sequence[store.TrackedShipment], size: int
) -> Iterator[Sequence[store.TrackedShipment]]:
    for start in range(0, len(shipments), size):
        yield shipments[start : start + size]


@dataclass
class _Tally:
    """What the finished batches add up to; the updates themselves are not kept."""

    now: datetime
    stale_after: timedelta
    checked: int = 0
    new_events: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    exceptions: list[TrackingException] = field(default_factory=list)
    failures: list[LookupFailure] = field(default_factory=list)

    def add(
        self,
        updates: Sequence[TrackingUpdate],
        failures: Sequence[LookupFailure],
        added: Counter[str],
        shipments: dict[str, store.TrackedShipment],
    ) -> None:
        self.checked += len(updates)
        self.new_events += sum(added.values())
        self.by_status.update(u.status for u in updates)
        self.failures.extend(failures)
        for update in updates:
            shipment = shipments.get(update.tracking_code)
            kinds = exception_kinds(update, shipment, now=self.now, stale_after=self.stale_after)
            if kinds:
                self.exceptions.append(_exception(update, shipment, kinds))


async def sweep(
    pool: Pool,
    executor: CarrierExecutor,
    *,
    now: datetime,
    since: timedelta = DEFAULT_SINCE,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    method: Method = "list",
    progress: SweepProgress | None = None,
    batch_size: int = BATCH_SIZE,
    new_only: bool = False,
) -> SweepReport:
    """Refresh every shipment in flight; `now` judges staleness and lateness.

    Returned and failed shipments are reported by every sweep until they are resolved
    (refunded, or bought again); `new_only`: only those this sweep saw change."""
    progress = progress or NoProgress()
    started = time.monotonic()
    purchased_since = now - since
    tally = _Tally(now=now, stale_after=stale_after)
    async with store.sweep_lock(pool) as acquired:
        if not acquired:
            return _sweep_report("skipped", method, purchased_since, 0, tally, started)
        shipments = await store.in_flight(pool, purchased_since=purchased_since)
        by_code = {s.tracking_code: s for s in shipments}
        progress.begin(len(shipments))
        pacer = carrier_tracking.IndexPacer()
        pending = _batches(shipments, min(batch_size, BATCH_SIZE))

        async def worker() -> None:
            for batch in pending:  # one shared iterator: each batch goes to one worker
                updates, failures = await _fetch_batch(
                    executor, batch, method=method, pacer=pacer
                )
                added = await store.store_updates(pool, updates)
                tally.add(updates, failures, added, by_code)
                progress.advance(len(updates), len(failures))

        tasks = [asyncio.create_task(worker()) for _ in range(WORKERS[method])]
        try:
            await asyncio.gather(*tasks)
        except CarrierConnectionError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise EasyPostUnreachable(
                f"EasyPost unreachable: {tally.checked:,} of {len(shipments):,} checked "
                "(the rest are checked by the next sweep)", code="CONNECTION_ERROR") from None
        except BaseException:
            # One worker failed (the database, a rejected API key): stop the others before
            # the lock is released; the batches already committed stay committed.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if not new_only:
            await _add_open_exceptions(pool, purchased_since, tally)
    return _sweep_report("completed", method, purchased_since, len(shipments), tally, started)


async def _add_open_exceptions(pool: Pool, purchased_since: datetime, tally: _Tally) -> None:
    """Returned and failed shipments seen by an earlier sweep (or lookup), still unresolved."""
    seen = {e.tracking_code for e in tally.exceptions}
    for row in await store.open_exceptions(pool, purchased_since=purchased_since):
        if row["tracking_code"] in seen:
            continue
        kind: ExceptionKind = "returned" if row["status"] == "return_to_sender" else "failure"
        tally.exceptions.append(TrackingException(
            tracking_code=row["tracking_code"], carrier=row["carrier"],
            reference=row["reference"], kinds=(kind,), status=row["status"],
            status_detail=row["status_detail"], est_delivery_date=row["est_delivery_date"],
            last_event_at=row["last_event_at"],
        ))


def _sweep_report(
    outcome: Literal["completed", "skipped"],
    method: Method,
    purchased_since: datetime,
    in_flight: int,
    tally: _Tally,
    started: float,
) -> SweepReport:
    return SweepReport(
        outcome=outcome,
        method=method,
        now=tally.now,
        purchased_since=purchased_since,
        in_flight=in_flight,
        checked=tally.checked,
        failed=len(tally.failures),
        new_events=tally.new_events,
        by_status=dict(sorted(tally.by_status.items())),
        exceptions=tuple(sorted(tally.exceptions, key=lambda e: e.tracking_code)),
        failures=tuple(sorted(tally.failures, key=lambda f: f.tracking_code)),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


async def lookup(
    pool: Pool,
    executor: CarrierExecutor,
    tracking_codes: Sequence[str],
    *,
    now: datetime,
    carrier: str | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> LookupReport:
    """Look codes up now; codes of shipments shipctl bought are stored, others only shown."""
    codes = list(dict.fromkeys(c.strip() for c in tracking_codes if c.strip()))
    known = await store.known_shipments(pool, codes)
    asked = [_asked(code, known.get(code), carrier) for code in codes]
    updates, failures = await _fetch_each(executor, asked, reuse_id=True)
    storable = [
        update for code, update in updates.items()
        if code in known and _same_carrier(update.carrier, known[code].carrier)
    ]
    added = await store.store_updates(pool, storable)
    stored = {u.tracking_code for u in storable}
    results = [
        _code_result(code, known.get(code), updates.get(code), carrier=carrier,
                     stored=code in stored, new_events=added.get(code, 0))
        for code in codes
    ]
    exceptions = []
    for code, update in updates.items():
        kinds = exception_kinds(update, known.get(code), now=now, stale_after=stale_after)
        if kinds:
            exceptions.append(_exception(update, known.get(code), kinds))
    return LookupReport(
        now=now, results=tuple(results), exceptions=tuple(exceptions), failures=tuple(failures)
    )


def _asked(
    code: str, shipment: store.TrackedShipment | None, carrier: str | None
) -> store.TrackedShipment:
    """What to ask EasyPost for: an explicit --carrier wins, even over a known shipment's."""
    if shipment is None:
        return store.TrackedShipment(code, carrier, None, None, None, None, None, None)
    if carrier is None or _same_carrier(shipment.carrier, carrier):
        return shipment
    return replace(shipment, carrier=carrier, tracker_id=None)


def _code_result(
    code: str,
    shipment: store.TrackedShipment | None,
    update: TrackingUpdate | None,
    *,
    carrier: str | None,
    stored: bool,
    new_events: int,
) -> CodeResult:
    return CodeResult(
        tracking_code=code,
        carrier=(update.carrier if update else None) or carrier
        or (shipment.carrier if shipment else None),
        reference=shipment.reference if shipment else None,
        known=shipment is not None,
        stored=stored,
        new_events=new_events,
        update=update,
        note=_note(update, shipment, stored=stored),
    )


def _note(
    update: TrackingUpdate | None, shipment: store.TrackedShipment | None, *, stored: bool
) -> str | None:
    if update is None:
        return None
    notes = []
    if update.status == "unknown" and not update.events:
        notes.append("the carrier has reported nothing yet (a new label, a mistyped code, "
                     "or the wrong carrier?)")
    if shipment is None:
        notes.append("not a shipment shipctl bought: shown, not stored")
    elif not stored:
        notes.append(f"asked under {update.carrier}, not the shipment's carrier "
                     f"{shipment.carrier}: shown, not stored")
    return "; ".join(notes) or None


async def run_sweep(
    settings: Settings,
    *,
    now: datetime,
    since: timedelta = DEFAULT_SINCE,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    method: Method = "list",
    progress: SweepProgress | None = None,
    carriers: CarrierFactory,
    unmanifested_after: timedelta | None = None,
    new_only: bool = False,
) -> SweepReport:
    """`sweep` with the database and carrier these settings name (for the CLI and notebooks)."""
    from shipctl.jobs.runtime import open_runtime, recorded_run
    from shipctl.jobs.settle import settle_unknown_buys

    options = {"since_days": since.days, "stale_days": stale_after.days, "method": method}
    async with (
        open_runtime(settings, carriers) as runtime,
        recorded_run(runtime.pool, "track", options, mode=runtime.carrier.mode),
    ):
        pool, session = runtime.pool, runtime.carrier
        settled = await settle_unknown_buys(pool, session.executor, mode=session.mode, now=now,
                                            quiet=timedelta(seconds=settings.timeout + 5))
        report = await sweep(
            pool, session.executor, now=now, since=since, stale_after=stale_after,
            method=method, progress=progress, new_only=new_only,
        )
        report = report.model_copy(update={
            "settled_bought": tuple(
                SettledLabel(reference=order.reference, tracking_code=label.tracking_code,
                             carrier=label.carrier, service=label.service, rate=label.rate)
                for order, label in settled.bought),
            "settled_not_bought": settled.not_bought,
            "settled_unresolved": settled.unresolved,
        })
        if report.outcome == "completed":
            report = await _follow_refunds(pool, session.executor, session.mode, report)
        if unmanifested_after is not None:
            from shipctl.store.manifests import unmanifested

            rows = await unmanifested(pool, mode=session.mode,
                                      bought_before=now - unmanifested_after)
            report = report.model_copy(update={"unmanifested": tuple(
                UnmanifestedLabel(tracking_code=r.tracking_code, reference=r.reference,
                                  carrier=r.carrier, purchased_at=r.purchased_at,
                                  ship_date=r.ship_date) for r in rows)})
        return report


async def _follow_refunds(
    pool: Pool, executor: CarrierExecutor, mode: str, report: SweepReport
) -> SweepReport:
    """The sweep's report with the submitted refunds of `mode` read again and recorded."""
    from shipctl.jobs.refund import follow_up

    refunds = await follow_up(pool, executor, mode=mode)
    answered = tuple(
        RefundAnswer(tracking_code=f.order.tracking_code, carrier=f.order.carrier,
                     reference=f.order.reference, status=f.status)
        for f in refunds.followed if f.status is not None and f.status != "submitted"
    )
    failures = tuple(
        LookupFailure(tracking_code=f.order.tracking_code or f.order.reference,
                      carrier=f.order.carrier, error_code=None,
                      message=f"refund status: {f.error}")
        for f in refunds.failed
    )
    return report.model_copy(update={
        "refunds_checked": len(refunds.followed), "refunds_answered": answered,
        "failures": report.failures + failures, "failed": report.failed + len(failures),
    })


async def run_lookup(
    settings: Settings,
    tracking_codes: Sequence[str],
    *,
    now: datetime,
    carrier: str | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    carriers: CarrierFactory,
) -> LookupReport:
    """`lookup` with the database and carrier these settings name."""
    from shipctl.jobs.runtime import open_runtime

    async with open_runtime(settings, carriers) as runtime:
        return await lookup(
            runtime.pool, runtime.carrier.executor, tracking_codes, now=now, carrier=carrier,
            stale_after=stale_after,
        )
