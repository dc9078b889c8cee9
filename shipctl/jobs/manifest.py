"""`shipctl manifest`: put the day's labels on scan forms, each label on exactly one.

Exactly once, like a purchase (DESIGN.md, the invariant behind every money path): each
form's intent and its labels are committed to PostgreSQL before the form is asked of
EasyPost. A form whose answer was lost (a 5xx, a timeout, a dropped connection, or a run
killed mid-request) stays `requested` and its labels stay on it: they are never asked onto
another form until the account's scan forms have been listed. A listed form holding them
records it `created`; when the listing shows none, the form was not made and the labels
are given back to be manifested again.

Labels are grouped as EasyPost requires (one carrier, one origin address) and chunked at
`MAX_PER_FORM`. A label's ship date is its label date (`--ship-date` on bulk and create),
else the UTC day it was bought.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError, InputError

if TYPE_CHECKING:
    from shipctl.carrier.scan_forms import ScanForm
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.models import Address
    from shipctl.store.database import Pool
    from shipctl.store.manifests import ManifestLabel, RefundedLabel, StoredForm

# EasyPost documents no limit per form; a form is a batch of its own, and shipctl keeps each
# under the size EasyPost recommends for batches.
MAX_PER_FORM = 1000
ORIGIN_FIELDS = ("street1", "street2", "city", "state", "country")
FILE_WAITS = 4  # reads of a form EasyPost is still `creating` (2, 4, 6, 8 s apart)


@dataclass(frozen=True)
class FormOutcome:
    """One form asked for (or resolved): what EasyPost answered."""

    carrier: str
    origin: str
    labels: int
    status: str  # created, failed, unknown; released: an earlier request made no form
    scan_form_id: str | None = None
    form_url: str | None = None
    message: str | None = None
    resolved: bool = False  # an earlier request's answer, found by listing the forms


@dataclass
class ManifestReport:
    ship_date: date
    mode: str
    outcomes: list[FormOutcome] = field(default_factory=list)
    refunded: list[RefundedLabel] = field(default_factory=list)
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


def today() -> date:
    return datetime.now(UTC).date()


def origin_key(address: Address | None) -> str:
    """An origin as EasyPost compares them: street, city, state, country, 5-digit ZIP."""
    if address is None:
        return ""
    parts = [str(getattr(address, k) or "").strip().upper() for k in ORIGIN_FIELDS]
    return " | ".join(p for p in (*parts, str(address.zip or "")[:5]) if p)


def group_labels(
    labels: Sequence[ManifestLabel], default_from: Address | None, per_form: int
) -> list[tuple[str, str, list[ManifestLabel]]]:
    """(carrier, origin, labels) for each form to ask for, at most `per_form` labels each."""
    groups: dict[tuple[str, str], list[ManifestLabel]] = defaultdict(list)
    for label in labels:
        groups[(label.carrier, origin_key(label.from_address or default_from))].append(label)
    return [(carrier, origin, chunk[i:i + per_form])
            for (carrier, origin), chunk in sorted(groups.items())
            for i in range(0, len(chunk), per_form)]


async def manifest(
    settings: Settings, carriers: CarrierFactory, *, ship_date: date,
    carrier_name: str | None = None, out: Path | None = None, force: bool = False,
    per_form: int = MAX_PER_FORM,
) -> ManifestReport:
    """Resolve forms whose answer was lost, then form the day's labels that are on none."""
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import manifests as store

    async with (
        open_runtime(settings, carriers, concurrency=2, pool_size=3) as runtime,
        store.exclusive(runtime.pool, store.MANIFEST_LOCK) as alone,
    ):
        if not alone:
            raise InputError("another `shipctl manifest` is running against this database: "
                             "wait for it, then run again")
        pool, session = runtime.pool, runtime.carrier
        report = ManifestReport(ship_date, session.mode)
        report.outcomes.extend(await resolve_requested(pool, session))
        if not report.unknown:
            labels = await store.candidates(pool, mode=session.mode, ship_date=ship_date,
                                            carrier=carrier_name)
            for carrier, origin, chunk in group_labels(labels, settings.from_address, per_form):
                report.outcomes.append(
                    await _form_one(pool, session, ship_date, carrier, origin, chunk))
        report.refunded = await store.refunded_after(pool, mode=session.mode,
                                                     ship_date=ship_date)
        await _await_files(pool, session, report)
        urls = [o.form_url for o in report.created if o.form_url]
        if urls:
            await _write_pdf(report, urls, out, force=force, concurrency=4)
    return report


async def _form_one(
    pool: Pool, session: CarrierSession, ship_date: date, carrier: str, origin: str,
    chunk: Sequence[ManifestLabel],
) -> FormOutcome:
    from shipctl.carrier.errors import CarrierInputError, CarrierTransientError
    from shipctl.carrier.scan_forms import create_scan_form
    from shipctl.store import manifests as store

    form_id, labels = await store.request_form(
        pool, mode=session.mode, ship_date=ship_date, carrier=carrier, origin=origin,
        labels=chunk)
    if not labels:  # another run took them all meanwhile
        await store.record_failed(pool, form_id, "TAKEN", "every label is on another form")
        return FormOutcome(carrier, origin, 0, "failed", message="taken by another run")
    try:
        form = await create_scan_form(session.executor, [label.shipment_id for label in labels])
    except CarrierAuthError:
        raise
    except CarrierInputError as error:
        # A definite no. "already on scan form" means some label is on a form shipctl does
        # not know of: look before giving the labels back.
        if "already on scan form" in error.message:
            return await _resolve_one(pool, session, form_id, carrier, origin,
                                      [label.tracking_code for label in labels], lost=False)
        await store.record_failed(pool, form_id, error.code, error.message)
        return FormOutcome(carrier, origin, len(labels), "failed", message=error.message)
    except CarrierTransientError:
        return await _resolve_one(pool, session, form_id, carrier, origin,
                                  [label.tracking_code for label in labels], lost=True)
    await store.record_created(pool, form_id, scan_form_id=form.id, batch_id=form.batch_id,
                               form_url=form.form_url, tracking_codes=form.tracking_codes)
    return FormOutcome(carrier, origin, len(set(form.tracking_codes)), "created", form.id,
                       form.form_url)


async def _resolve_one(
    pool: Pool, session: CarrierSession, form_id: int, carrier: str, origin: str,
    codes: Sequence[str], *, lost: bool,
) -> FormOutcome:
    """A form whose answer is not known: list the account's forms for its labels."""
    from shipctl.carrier.scan_forms import find_forms

    since = datetime.now(UTC) - timedelta(days=2)
    try:
        found = await find_forms(session.executor, codes, since=since)
    except CarrierAuthError:
        raise
    except CarrierError as error:
        return FormOutcome(carrier, origin, len(codes), "unknown",
                           message=f"the answer was lost and the forms could not be listed: "
                                   f"{error.message}")
    return await _record_found(pool, form_id, carrier, origin, codes, found,
                               not_found="unknown" if lost else "failed")


async def _record_found(
    pool: Pool, form_id: int, carrier: str, origin: str, codes: Sequence[str],
    found: Sequence[ScanForm], *, not_found: str, resolved: bool = False,
) -> FormOutcome:
    """Record the form EasyPost holds with these labels; none: `not_found` (`failed` gives
    the labels back, `unknown` keeps them for the next run to list again)."""
    from shipctl.store import manifests as store

    if found:
        # The form with most of the intent's labels is the one asked for.
        wanted = set(codes)
        form = max(found, key=lambda f: len(wanted.intersection(f.tracking_codes)))
        on_it = sorted(wanted.intersection(form.tracking_codes))
        await store.record_created(pool, form_id, scan_form_id=form.id, batch_id=form.batch_id,
                                   form_url=form.form_url, tracking_codes=on_it)
        return FormOutcome(carrier, origin, len(on_it), "created", form.id, form.form_url,
                           resolved=True)
    if not_found == "failed":
        message = "EasyPost made no form with these labels"
        await store.record_failed(pool, form_id, "NOT_MADE", message)
        if resolved:  # an earlier run's request that made nothing: its labels are free again
            return FormOutcome(carrier, origin, len(codes), "released",
                               message="an earlier run's request made no form: its labels "
                                       "were free to form again", resolved=True)
        return FormOutcome(carrier, origin, len(codes), "failed", message=message)
    return FormOutcome(carrier, origin, len(codes), "unknown",
                       message="the answer was lost and no form holds these labels yet: "
                               "the next run lists the forms again", resolved=resolved)


async def resolve_requested(pool: Pool, session: CarrierSession) -> list[FormOutcome]:
    """Forms asked for by an earlier run whose answer was never recorded: list the account's
    forms once for all of them. A form found is recorded; none found means the request never
    made one (EasyPost refuses a label on two forms anyway), and its labels are given back."""
    from shipctl.carrier.scan_forms import find_forms
    from shipctl.store import manifests as store

    pending = await store.requested(pool, mode=session.mode)
    if not pending:
        return []
    codes = {code for form in pending for code in form.tracking_codes}
    since = min(form.requested_at for form in pending) - timedelta(days=2)
    try:
        found = await find_forms(session.executor, codes, since=since)
    except CarrierAuthError:
        raise
    except CarrierError as error:
        return [FormOutcome(form.carrier, form.origin, len(form.tracking_codes), "unknown",
                            message=f"the scan forms could not be listed: {error.message}",
                            resolved=True) for form in pending]
    outcomes = []
    for form in pending:
        mine = [f for f in found if set(form.tracking_codes).intersection(f.tracking_codes)]
        outcomes.append(await _record_found(pool, form.id, form.carrier, form.origin,
                                            form.tracking_codes, mine, not_found="failed",
                                            resolved=True))
    return outcomes


async def _await_files(pool: Pool, session: CarrierSession, report: ManifestReport) -> None:
    """EasyPost may answer `creating` with no file yet: read such forms again a few times."""
    from shipctl.carrier.scan_forms import retrieve_scan_form
    from shipctl.store import manifests as store

    for attempt in range(FILE_WAITS):
        waiting = [(i, o) for i, o in enumerate(report.outcomes)
                   if o.status == "created" and not o.form_url and o.scan_form_id]
        if not waiting:
            return
        await session.executor.sleep(2.0 * (attempt + 1))
        for index, outcome in waiting:
            assert outcome.scan_form_id is not None
            try:
                form = await retrieve_scan_form(session.executor, outcome.scan_form_id)
            except CarrierAuthError:
                raise
            except CarrierError:
                continue
            if form.form_url:
                await store.record_file(pool, outcome.scan_form_id, form.form_url)
                report.outcomes[index] = replace(outcome, form_url=form.form_url)
    missing = [o.scan_form_id for o in report.outcomes
               if o.status == "created" and not o.form_url]
    if missing:
        report.download_error = (f"EasyPost has no file yet for scan form(s) "
                                 f"{', '.join(str(m) for m in missing)}: run `shipctl "
                                 "manifest list` later")


def default_pdf_path(ship_date: date) -> Path:
    """scan-forms-DATE.pdf in the working directory, numbered when it exists already."""
    path = Path(f"scan-forms-{ship_date.isoformat()}.pdf")
    number = 2
    while path.exists():
        path = Path(f"scan-forms-{ship_date.isoformat()}-{number}.pdf")
        number += 1
    return path


async def _write_pdf(
    report: ManifestReport, urls: Sequence[str], out: Path | None, *, force: bool,
    concurrency: int,
) -> None:
    from shipctl.carrier.labels import fetch_label_files, merge_documents
    from shipctl.files import write_atomically

    files = await fetch_label_files(urls, concurrency=concurrency)
    missing = [url for url, data in zip(urls, files, strict=True) if data is None]
    if missing:
        report.download_error = (f"{len(missing)} scan form file(s) could not be downloaded: "
                                 + ", ".join(missing))
        return
    merged = merge_documents([data for data in files if data is not None])
    path = out or default_pdf_path(report.ship_date)
    write_atomically(path, merged, force=force)
    report.pdf_path = path
    from pypdf import PdfReader

    report.pages = len(PdfReader(io.BytesIO(merged)).pages)


async def list_forms(
    settings: Settings, carriers: CarrierFactory, *, ship_date: date | None
) -> tuple[str, list[StoredForm], list[RefundedLabel]]:
    """`manifest list`: the forms of that day (every day: None) and labels refunded since."""
    from shipctl.jobs.runtime import open_runtime
    from shipctl.store import manifests as store

    async with open_runtime(settings, carriers, concurrency=1, pool_size=1) as runtime:
        mode = runtime.carrier.mode
        return (mode, await store.list_forms(runtime.pool, mode=mode, ship_date=ship_date),
                await store.refunded_after(runtime.pool, mode=mode, ship_date=ship_date))
