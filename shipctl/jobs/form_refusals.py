"""A scan form EasyPost refused: which of its labels made it refuse, and why.

EasyPost refuses a whole form for one label it will not take: refunded, already on a form
(made in the dashboard, or by another tool), dated before the form's day, not found on the
account. Asking again for the same labels would be refused again on every run, so the
labels at fault are found and left off the form, and the rest are formed:

- EasyPost's message names the shipments it refused (`Unable to create manifest. 2 of the
  specified shipments were not found: shp_…, shp_…`): the labels of the form it names are
  the offenders, the reason read from the message.
- When it names none, or refuses the form again without them, each label's shipment is
  retrieved (read-only, safe to repeat) and checked against the rules EasyPost documents
  for forms: bought, not refunded, on no form, dated on or after the form's day, one carrier
  account, one origin address.

A label of another carrier account than the form's is not at fault: its account is stored
and it is grouped again with its own account's labels.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.store.manifests import Exclusion, ManifestLabel

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.carrier.scan_forms import LabelFacts

SHIPMENT_ID = re.compile(r"\bshp_[0-9A-Za-z]+\b")
FORM_ID = re.compile(r"\bsf_[0-9A-Za-z]+\b")
ORIGIN_FIELDS = ("street1", "street2", "city", "state", "country")


def origin_of(fields: Mapping[str, Any]) -> str:
    """An origin as EasyPost compares them: street, city, state, country, 5-digit ZIP."""
    parts = [str(fields.get(k) or "").strip().upper() for k in ORIGIN_FIELDS]
    return " | ".join(p for p in (*parts, str(fields.get("zip") or "")[:5]) if p)


@dataclass
class Verdict:
    """The labels to leave off a refused form for good, and those to group again."""

    exclusions: list[Exclusion] = field(default_factory=list)
    regroup: list[tuple[ManifestLabel, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.exclusions or self.regroup)

    def label_ids(self) -> set[int]:
        return {x.label.id for x in self.exclusions} | {label.id for label, _ in self.regroup}


def reason_in(message: str) -> str:
    """The reason a refusal's message gives for the labels it names (REASONS)."""
    text = message.lower()
    if "refund" in text:
        return "refunded"
    if "already" in text and ("form" in text or "manifest" in text):
        return "on_scan_form"
    if "dated" in text or "label_date" in text or "label date" in text:
        return "dated_before"
    if "not been purchased" in text or "not purchased" in text or "unpurchased" in text:
        return "not_bought"
    if "not found" in text:
        return "not_found"
    return "refused"


def named(labels: Sequence[ManifestLabel], message: str, code: str | None) -> Verdict:
    """The labels of the form a refusal's message names, with the reason it gives."""
    ids = set(SHIPMENT_ID.findall(message))
    hit = [label for label in labels if label.shipment_id in ids]
    if not hit:
        return Verdict()
    reason = reason_in(message)
    forms = FORM_ID.findall(message)
    on_form = forms[0] if reason == "on_scan_form" and len(hit) == 1 and len(forms) == 1 \
        else None
    return Verdict([Exclusion(label, reason, message, code, on_form) for label in hit])


async def facts_of(
    executor: CarrierExecutor, labels: Sequence[ManifestLabel]
) -> dict[str, LabelFacts | CarrierError]:
    """Each label's shipment as EasyPost has it (shipment id → facts, or why not known)."""
    from shipctl.carrier.scan_forms import label_facts

    async def one(label: ManifestLabel) -> LabelFacts | CarrierError:
        try:
            return await label_facts(executor, label.shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            return error

    found = await asyncio.gather(*(one(label) for label in labels))
    return {label.shipment_id: facts for label, facts in zip(labels, found, strict=True)}


async def judge(
    executor: CarrierExecutor, labels: Sequence[ManifestLabel], *, account: str | None,
    message: str, code: str | None, today: date, look: bool,
) -> Verdict:
    """Why EasyPost refused a form of `labels` (of carrier account `account`): the labels its
    message names; with `look`, or when it names none, every label checked on EasyPost."""
    verdict = named(labels, message, code)
    if verdict and not look:
        return verdict
    blamed = {x.label.id for x in verdict.exclusions}
    checked = check(labels, await facts_of(executor, labels), account=account, code=code,
                    today=today)
    verdict.exclusions += [x for x in checked.exclusions if x.label.id not in blamed]
    verdict.regroup += [(label, a) for label, a in checked.regroup if label.id not in blamed]
    return verdict


def check(
    labels: Sequence[ManifestLabel], facts: Mapping[str, LabelFacts | CarrierError], *,
    account: str | None, code: str | None, today: date,
) -> Verdict:
    """The labels that break EasyPost's rules for one form, by what their shipments show.
    A label whose shipment could not be read is given the benefit of the doubt."""
    verdict = Verdict()
    fine: list[tuple[ManifestLabel, LabelFacts]] = []
    for label in labels:
        found = facts.get(label.shipment_id)
        if isinstance(found, CarrierError):
            if found.code == "NOT_FOUND":
                verdict.exclusions.append(Exclusion(
                    label, "not_found", f"its shipment {label.shipment_id} is not found on "
                    "this EasyPost account", code))
            continue
        if found is None:
            continue
        fault = _fault(found, today)
        if fault is None:
            fine.append((label, found))
        else:
            reason, message = fault
            on_form = found.scan_form_id if reason == "on_scan_form" else None
            verdict.exclusions.append(Exclusion(label, reason, message, code, on_form))
    expected = account or _most([f.carrier_account_id for _, f in fine])
    same: list[tuple[ManifestLabel, LabelFacts]] = []
    for label, found in fine:
        theirs = found.carrier_account_id
        if theirs and expected and theirs != expected:
            verdict.regroup.append((label, theirs))
        else:
            same.append((label, found))
    # Compared among the labels themselves, as EasyPost stores them: shipctl's own spelling
    # of an address may differ from EasyPost's without being another place.
    origin = _most([origin_of(f.from_address) for _, f in same])
    for label, found in same:
        theirs = origin_of(found.from_address)
        if origin and theirs != origin:
            verdict.exclusions.append(Exclusion(
                label, "origin", f"ships from {theirs} on EasyPost, the form's other labels "
                f"from {origin}", code))
    return verdict


def _fault(found: LabelFacts, today: date) -> tuple[str, str] | None:
    """The rule of EasyPost's a label breaks on its own, if any: (reason, message)."""
    if not found.bought:
        return "not_bought", f"its shipment {found.shipment_id} has no label"
    if found.refund_status in ("submitted", "refunded"):
        return "refunded", f"its shipment's refund is {found.refund_status}"
    if found.scan_form_id:
        return "on_scan_form", f"its shipment is on scan form {found.scan_form_id}"
    if found.label_date is not None and found.label_date < today:
        return "dated_before", (f"its label is dated {found.label_date}, before the form's day "
                                f"{today}")
    return None


def _most(values: Sequence[str | None]) -> str | None:
    """The most common value (the first seen of equals), ignoring missing ones."""
    counted = Counter(v for v in values if v)
    return max(counted, key=lambda v: counted[v]) if counted else None
