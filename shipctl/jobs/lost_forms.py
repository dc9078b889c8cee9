"""Scan forms whose answer was lost: found by listing the account's forms, never asked for
again (EasyPost refuses a label on two forms anyway).

A request shipctl sent but never heard back from (a 5xx, a timeout, a dropped connection, a
run killed mid-request) leaves its intent `requested`, holding its labels. The account's
forms are listed (`GET /v2/scan_forms`, newest first): a form holding the intent's labels is
recorded as the intent's; none means the request made no form, and an earlier run's intent
then gives its labels back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.jobs.manifest import FormGroup, FormOutcome

if TYPE_CHECKING:
    from shipctl.carrier.scan_forms import ScanForm
    from shipctl.carrier.session import CarrierSession
    from shipctl.store.database import Pool


async def resolve_lost(
    pool: Pool, session: CarrierSession, form_id: int, group: FormGroup, codes: Sequence[str]
) -> FormOutcome:
    """A form whose answer was lost in this run: list the account's forms for its labels;
    none holding them yet leaves it `requested` for the next run to list again."""
    from shipctl.carrier.scan_forms import find_forms

    since = datetime.now(UTC) - timedelta(days=2)
    try:
        found = await find_forms(session.executor, codes, since=since)
    except CarrierAuthError:
        raise
    except CarrierError as error:
        return FormOutcome(group, len(codes), "unknown",
                           message=f"the answer was lost and the forms could not be listed: "
                                   f"{error.message}")
    return await _record_found(pool, form_id, group, codes, found, not_found="unknown")


async def _record_found(
    pool: Pool, form_id: int, group: FormGroup, codes: Sequence[str],
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
        return FormOutcome(group, len(on_it), "created", form.id, form.form_url,
                           message=None if resolved else "answer lost: found by listing the "
                           "forms", resolved=resolved)
    if not_found == "failed":
        message = "EasyPost made no form with these labels"
        await store.record_failed(pool, form_id, "NOT_MADE", message)
        if resolved:  # an earlier run's request that made nothing: its labels are free again
            return FormOutcome(group, len(codes), "released",
                               message="an earlier run's request made no form: its labels "
                                       "were free to form again", resolved=True)
        return FormOutcome(group, len(codes), "failed", message=message)
    return FormOutcome(group, len(codes), "unknown",
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
        return [FormOutcome(FormGroup(form.carrier, form.carrier_account_id, form.origin),
                            len(form.tracking_codes), "unknown",
                            message=f"the scan forms could not be listed: {error.message}",
                            resolved=True) for form in pending]
    outcomes = []
    for form in pending:
        mine = [f for f in found if set(form.tracking_codes).intersection(f.tracking_codes)]
        group = FormGroup(form.carrier, form.carrier_account_id, form.origin)
        outcomes.append(await _record_found(pool, form.id, group, form.tracking_codes, mine,
                                            not_found="failed", resolved=True))
    return outcomes
