"""`shipctl manifest`: put the day's labels on scan forms, each label on exactly one.

Exactly once, like a purchase (DESIGN.md, the invariant behind every money path): each
form's intent and its labels are committed to PostgreSQL before the form is asked of
EasyPost. A form whose answer was lost (a 5xx, a timeout, a dropped connection, or a run
killed mid-request) stays `requested` and its labels stay on it: they are never asked onto
another form until the account's scan forms have been listed. A listed form holding them
records it `created`; when the listing shows none, the form was not made and the labels
are given back to be manifested again.

Labels are grouped as EasyPost requires (one carrier account, one origin address) and
chunked at `MAX_PER_FORM`. A label bought before shipctl stored carrier accounts has its
account read from EasyPost first. A form EasyPost refuses because of some of its labels
(form_refusals.py) is asked for again without them, under the same intent: they are left
off the forms for good, with the reason, and reported. A label's ship date is its label
date (`--ship-date` on bulk and create), else the UTC day it was bought.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError, InputError

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.models import Address
    from shipctl.store.database import Pool
    from shipctl.store.manifests import (
        ExcludedLabel,
        Exclusion,
        ManifestLabel,
        RefundedLabel,
        StoredForm,
    )

# EasyPost documents no limit per form; a form is a batch of its own, and shipctl keeps each
# under the size EasyPost recommends for batches.
MAX_PER_FORM = 1000
FILE_WAITS = 4  # reads of a form EasyPost is still `creating` (2, 4, 6, 8 s apart)
# Requests for one intent EasyPost may refuse, each time leaving the labels at fault off it.
REFUSALS = 3
# Labels EasyPost has under another carrier account are grouped again once, in the same run.
PASSES = 2


@dataclass(frozen=True, order=True)
class FormGroup:
    """Labels EasyPost puts on one form: one carrier account (None: not known, the carrier
    name alone) and one origin."""

    carrier: str
    account: str | None
    origin: str


@dataclass(frozen=True)
class FormOutcome:
    """One form asked for (or resolved): what EasyPost answered."""

    group: FormGroup
    labels: int
    # created, failed, unknown; released: an earlier request made no form, or its labels
    # belong to other carrier accounts; excluded: EasyPost refused every label of it
    status: str
    scan_form_id: str | None = None
    form_url: str | None = None
    message: str | None = None
    resolved: bool = False  # an earlier request's answer, found by listing the forms
    excluded: tuple[Exclusion, ...] = ()  # left off the form for good
    regrouped: tuple[int, ...] = ()  # shipment rows given back to their own account's form


@dataclass
class ManifestReport:
    ship_date: date
    mode: str
    outcomes: list[FormOutcome] = field(default_factory=list)
    refunded: list[RefundedLabel] = field(default_factory=list)
    excluded_before: list[ExcludedLabel] = field(default_factory=list)  # by earlier runs
    pdf_path: Path | None = None
    pages: int = 0
    download_error: str | None = None

    @property
    def created(self) -> list[FormOutcome]:
        return [o for o in self.outcomes if o.status == "created"]

    @property
    def unknown(self) -> list[FormOutcome]:
        return [o for o in self.outcomes if o.status == "unknown"]

    @property
    def failed(self) -> list[FormOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def excluded(self) -> list[Exclusion]:
        """Labels this run left off the forms, EasyPost having refused them."""
        return [x for o in self.outcomes for x in o.excluded]


def today() -> date:
    return datetime.now(UTC).date()


def origin_key(address: Address | None) -> str:
    """An origin as EasyPost compares them: street, city, state, country, 5-digit ZIP."""
    from shipctl.jobs.form_refusals import origin_of

    return "" if address is None else origin_of(address.model_dump())


def group_labels(
    labels: Sequence[ManifestLabel], default_from: Address | None, per_form: int
) -> list[tuple[FormGroup, list[ManifestLabel]]]:
    """Each form to ask for, with its labels: at most `per_form` of one carrier account and
    origin."""
    groups: dict[FormGroup, list[ManifestLabel]] = defaultdict(list)
    for label in labels:
        origin = origin_key(label.from_address or default_from)
        groups[FormGroup(label.carrier, label.carrier_account_id, origin)].append(label)
    return [(group, chunk[i:i + per_form])
            for group, chunk in sorted(groups.items(),
                                       key=lambda g: (g[0].carrier, g[0].account or "",
                                                      g[0].origin))
            for i in range(0, len(chunk), per_form)]


async def manifest(
    settings: Settings, carriers: CarrierFactory, *, ship_date: date,
    carrier_name: str | None = None, out: Path | None = None, force: bool = False,
    per_form: int = MAX_PER_FORM,
) -> ManifestReport:
    """Resolve forms whose answer was lost, then form the day's labels that are on none."""
    from shipctl.jobs.form_files import await_files, write_pdf
    from shipctl.jobs.lost_forms import resolve_requested
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import manifests as store

    async with (
        open_runtime(settings, carriers, concurrency=8, pool_size=3) as runtime,
        store.exclusive(runtime.pool, store.MANIFEST_LOCK) as alone,
    ):
        if not alone:
            raise InputError("another `shipctl manifest` is running against this database: "
                             "wait for it, then run again")
        pool, session = runtime.pool, runtime.carrier
        report = ManifestReport(ship_date, session.mode)
        report.outcomes.extend(await resolve_requested(pool, session))
        if not report.unknown:
            await _form_day(pool, session, report, settings.from_address,
                            carrier=carrier_name, per_form=per_form)
        report.refunded = await store.refunded_after(pool, mode=session.mode,
                                                     ship_date=ship_date)
        now = {x.label.tracking_code for x in report.excluded}
        report.excluded_before = [
            x for x in await store.excluded(pool, mode=session.mode, ship_date=ship_date)
            if x.tracking_code not in now]
        await await_files(pool, session, report, waits=FILE_WAITS)
        urls = [o.form_url for o in report.created if o.form_url]
        if urls:
            await write_pdf(report, urls, out, force=force, concurrency=4)
    return report


async def _form_day(
    pool: Pool, session: CarrierSession, report: ManifestReport, default_from: Address | None,
    *, carrier: str | None, per_form: int,
) -> None:
    """Form the day's labels on no form; then, once, those EasyPost showed under other
    carrier accounts than shipctl had stored."""
    from shipctl.store import manifests as store

    only: set[int] | None = None
    for _ in range(PASSES):
        labels = await store.candidates(pool, mode=session.mode, ship_date=report.ship_date,
                                        carrier=carrier)
        if only is not None:
            labels = [label for label in labels if label.id in only]
        labels = await learn_accounts(pool, session, labels)
        regrouped: set[int] = set()
        for group, chunk in group_labels(labels, default_from, per_form):
            outcome = await _form_one(pool, session, report.ship_date, group, chunk)
            report.outcomes.append(outcome)
            regrouped.update(outcome.regrouped)
        if not regrouped:
            return
        only = regrouped


async def learn_accounts(
    pool: Pool, session: CarrierSession, labels: Sequence[ManifestLabel]
) -> list[ManifestLabel]:
    """Labels whose carrier account shipctl has not stored (bought before it did) with their
    account as EasyPost's shipments show it, stored for next time. One that cannot be read
    keeps none, and is grouped by its carrier's name."""
    from shipctl.jobs.form_refusals import facts_of
    from shipctl.store import manifests as store

    missing = [label for label in labels if label.carrier_account_id is None]
    if not missing:
        return list(labels)
    facts = await facts_of(session.executor, missing)
    learned: list[tuple[ManifestLabel, str]] = []
    for label in missing:
        found = facts[label.shipment_id]
        if not isinstance(found, CarrierError) and found.carrier_account_id:
            learned.append((label, found.carrier_account_id))
    if learned:
        await store.set_carrier_accounts(pool, learned)
    accounts = {label.id: account for label, account in learned}
    return [replace(label, carrier_account_id=accounts[label.id]) if label.id in accounts
            else label for label in labels]


async def _form_one(
    pool: Pool, session: CarrierSession, ship_date: date, group: FormGroup,
    chunk: Sequence[ManifestLabel],
) -> FormOutcome:
    from shipctl.carrier.errors import CarrierInputError, CarrierTransientError
    from shipctl.carrier.scan_forms import create_scan_form
    from shipctl.jobs.form_refusals import judge
    from shipctl.jobs.lost_forms import resolve_lost
    from shipctl.store import manifests as store

    form_id, labels = await store.request_form(
        pool, mode=session.mode, ship_date=ship_date, carrier=group.carrier,
        account=group.account, origin=group.origin, labels=chunk)
    if not labels:  # another run took them all meanwhile
        await store.record_failed(pool, form_id, "TAKEN", "every label is on another form")
        return FormOutcome(group, 0, "failed", message="taken by another run")
    excluded: list[Exclusion] = []
    regrouped: list[int] = []
    refusal: CarrierInputError | None = None
    for attempt in range(REFUSALS):
        try:
            form = await create_scan_form(session.executor,
                                          [label.shipment_id for label in labels])
        except CarrierAuthError:
            raise
        except CarrierInputError as error:
            # A definite no: EasyPost made no form. Leave the labels at fault off the intent
            # (committed) and ask again for the others, still under this intent.
            refusal = error
            verdict = await judge(session.executor, labels, account=group.account,
                                  message=error.message, code=error.code, today=today(),
                                  look=attempt > 0)
            if not verdict:
                break
            if verdict.exclusions:
                await store.exclude(pool, form_id, verdict.exclusions)
            if verdict.regroup:
                await store.regroup(pool, form_id, verdict.regroup)
            excluded += verdict.exclusions
            regrouped += [label.id for label, _ in verdict.regroup]
            gone = verdict.label_ids()
            labels = [label for label in labels if label.id not in gone]
            if not labels:
                break
            continue
        except CarrierTransientError:
            outcome = await resolve_lost(pool, session, form_id, group,
                                         [label.tracking_code for label in labels])
            return replace(outcome, excluded=tuple(excluded), regrouped=tuple(regrouped))
        await store.record_created(pool, form_id, scan_form_id=form.id, batch_id=form.batch_id,
                                   form_url=form.form_url, tracking_codes=form.tracking_codes)
        return FormOutcome(group, len(set(form.tracking_codes)), "created", form.id,
                           form.form_url, excluded=tuple(excluded), regrouped=tuple(regrouped))
    assert refusal is not None
    if labels:
        code, message, status = refusal.code, refusal.message, "failed"
    elif excluded:
        code, status = "EXCLUDED", "excluded"
        message = "EasyPost refused every label of it: left off the forms"
    else:
        code, status = "REGROUPED", "released"
        message = "its labels belong to other carrier accounts on EasyPost: grouped again"
    await store.record_failed(pool, form_id, code, message)
    return FormOutcome(group, len(labels), status, message=message, excluded=tuple(excluded),
                       regrouped=tuple(regrouped))


async def list_forms(
    settings: Settings, carriers: CarrierFactory, *, ship_date: date | None
) -> tuple[str, list[StoredForm], list[RefundedLabel], list[ExcludedLabel]]:
    """`manifest list`: the forms of that day (every day: None), labels refunded since, and
    labels left off the forms."""
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import manifests as store

    async with open_runtime(settings, carriers, concurrency=1, pool_size=1) as runtime:
        mode = runtime.carrier.mode
        return (mode, await store.list_forms(runtime.pool, mode=mode, ship_date=ship_date),
                await store.refunded_after(runtime.pool, mode=mode, ship_date=ship_date),
                await store.excluded(runtime.pool, mode=mode, ship_date=ship_date))
