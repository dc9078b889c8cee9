"""Scan forms on EasyPost: ask for one, and list the account's forms.

Creating a form is not idempotent, so the executor retries it only after a 429 (nothing
happened); after a 5xx, a timeout or a dropped connection the caller lists the account's
forms to learn whether it was made (`find_forms`), never sends it again blindly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.executor import CarrierExecutor

PAGE_SIZE = 100
MAX_PAGES = 50  # 5,000 forms back: far more than a night makes


@dataclass(frozen=True)
class ScanForm:
    id: str
    batch_id: str | None
    form_url: str | None
    tracking_codes: tuple[str, ...]
    status: str | None
    created_at: datetime | None


def _form(data: dict[str, Any]) -> ScanForm:
    created = data.get("created_at")
    return ScanForm(
        id=str(data["id"]), batch_id=data.get("batch_id"), form_url=data.get("form_url"),
        tracking_codes=tuple(str(c) for c in data.get("tracking_codes") or ()),
        status=data.get("status"),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None)


async def create_scan_form(executor: CarrierExecutor, shipment_ids: Sequence[str]) -> ScanForm:
    """POST /scan_forms for these shipments (one origin, one carrier account)."""
    params = {"shipments": [{"id": i} for i in shipment_ids]}
    data = await executor.call(
        lambda client: request_json(client, "POST", "/scan_forms", params),
        name="create scan form", idempotent=False)
    return _form(data)


async def find_forms(
    executor: CarrierExecutor, tracking_codes: Collection[str], *,
    since: datetime | None = None,
) -> list[ScanForm]:
    """The account's forms holding any of `tracking_codes`, newest first, reading pages back
    until every code is found, the forms are older than `since`, or there are no more."""
    wanted = set(tracking_codes)
    found: list[ScanForm] = []
    before: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"page_size": PAGE_SIZE}
        if before:
            params["before_id"] = before
        data = await executor.call(
            lambda client, p=params: request_json(client, "GET", "/scan_forms", p),  # type: ignore[misc]
            name="list scan forms")
        forms = [_form(f) for f in data.get("scan_forms") or ()]
        for form in forms:
            if wanted.intersection(form.tracking_codes):
                found.append(form)
                wanted.difference_update(form.tracking_codes)
        if not wanted or not data.get("has_more") or not forms:
            break
        last = forms[-1]
        if since is not None and last.created_at is not None and last.created_at < since:
            break
        before = last.id
    return found


@dataclass(frozen=True)
class LabelFacts:
    """What EasyPost checks of a label before it puts it on a form, as its shipment shows."""

    shipment_id: str
    bought: bool
    refund_status: str | None
    scan_form_id: str | None  # the form it is on already
    label_date: date | None
    carrier_account_id: str | None
    from_address: dict[str, Any]


async def label_facts(executor: CarrierExecutor, shipment_id: str) -> LabelFacts:
    """GET /shipments/{id}, read for the scan form rules EasyPost documents."""
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/shipments/{shipment_id}"),
        name="retrieve shipment")
    label = data.get("postage_label") or {}
    stamp = label.get("label_date")
    form = data.get("scan_form")
    return LabelFacts(
        shipment_id=str(data.get("id") or shipment_id), bought=bool(label),
        refund_status=data.get("refund_status"),
        scan_form_id=str(form.get("id")) if isinstance(form, dict) and form.get("id") else None,
        label_date=date.fromisoformat(str(stamp)[:10]) if stamp else None,
        carrier_account_id=(data.get("selected_rate") or {}).get("carrier_account_id"),
        from_address=dict(data.get("from_address") or {}))


async def retrieve_scan_form(executor: CarrierExecutor, form_id: str) -> ScanForm:
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/scan_forms/{form_id}"),
        name="retrieve scan form")
    return _form(data)
