"""EasyPost trackers as shipctl models: create (or reuse), retrieve, and list by tracking code.

Creating a tracker for a code and carrier EasyPost already tracks returns that same tracker
with its current status, so "create" doubles as "look up by code". The list endpoint
(`GET /trackers?tracking_codes[]=…`) answers for up to 100 codes per request but EasyPost
holds it to 5 requests per second; `IndexPacer` spaces those calls so a sweep rides just
under that limit instead of collecting 429s (each of which costs a Retry-After second).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shipctl.carrier.client import request_json
from shipctl.carrier.pacing import Clock, Pacer, Sleep
from shipctl.models import TrackingEvent, TrackingUpdate

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor as Executor

LIST_PAGE_SIZE = 100  # the API's largest page
INDEX_RATE = 5.0  # requests per second EasyPost allows on index endpoints


class IndexPacer(Pacer):
    """The shared pace of the index endpoints: EasyPost's fixed 5 requests per second."""

    def __init__(self, rate: float = INDEX_RATE, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        super().__init__(rate, clock=clock, sleep=sleep)


async def create_tracker(
    executor: Executor, tracking_code: str, carrier: str | None = None
) -> TrackingUpdate:
    """The tracker for `tracking_code` (and `carrier`), created if EasyPost has none yet."""
    params: dict[str, str] = {"tracking_code": tracking_code}
    if carrier:
        params["carrier"] = carrier
    tracker = await executor.call(
        lambda client: request_json(client, "POST", "/trackers", {"tracker": params}),
        retry=True, name="tracker.create",
    )
    return to_update(tracker)


async def retrieve_tracker(executor: Executor, tracker_id: str) -> TrackingUpdate:
    tracker = await executor.call(
        lambda client: request_json(client, "GET", f"/trackers/{tracker_id}"),
        retry=True, name="tracker.retrieve",
    )
    return to_update(tracker)


async def list_trackers(
    executor: Executor,
    tracking_codes: Sequence[str],
    *,
    pacer: IndexPacer | None = None,
) -> list[TrackingUpdate]:
    """The trackers EasyPost has for these codes (at most 100), in one list request.

    A code with no tracker is simply absent; a code tracked under several carriers may
    appear more than once (the caller picks the carrier it wants).
    """
    if len(tracking_codes) > LIST_PAGE_SIZE:
        raise ValueError(f"list at most {LIST_PAGE_SIZE} tracking codes per request")
    if not tracking_codes:
        return []
    codes = list(tracking_codes)
    if pacer is not None:
        await pacer.wait()
    # `tracking_codes[]`, as the SDK's `tracker.all` spells the list for EasyPost's Rails.
    query = {"tracking_codes[]": codes, "page_size": LIST_PAGE_SIZE}
    page = await executor.call(
        lambda client: request_json(client, "GET", "/trackers", query),
        retry=True,
        name="tracker.all",
    )
    return [to_update(tracker) for tracker in page.get("trackers") or []]


def to_update(tracker: Mapping[str, Any]) -> TrackingUpdate:
    """A TrackingUpdate from an EasyPost Tracker (as a dict); events oldest first."""
    events = sorted(
        (_event(detail) for detail in tracker.get("tracking_details") or []),
        key=lambda event: event.occurred_at,
    )
    delivered = [e.occurred_at for e in events if e.status == "delivered"]
    return TrackingUpdate(
        tracking_code=str(tracker["tracking_code"]),
        carrier=tracker.get("carrier") or None,
        tracker_id=tracker.get("id") or None,
        status=str(tracker.get("status") or "unknown"),
        status_detail=tracker.get("status_detail") or None,
        est_delivery_date=parse_time(tracker.get("est_delivery_date")),
        delivered_at=delivered[-1] if delivered else None,
        signed_by=tracker.get("signed_by") or None,
        public_url=tracker.get("public_url") or None,
        events=tuple(events),
    )


def _event(detail: Mapping[str, Any]) -> TrackingEvent:
    place = detail.get("tracking_location") or {}
    occurred = parse_time(detail.get("datetime"))
    if occurred is None:
        raise ValueError(f"tracking detail without a datetime: {dict(detail)!r}")
    return TrackingEvent(
        occurred_at=occurred,
        status=str(detail.get("status") or "unknown"),
        status_detail=detail.get("status_detail") or None,
        message=detail.get("message") or None,
        city=place.get("city") or None,
        state=place.get("state") or None,
        zip=place.get("zip") or None,
        country=place.get("country") or None,
    )


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from EasyPost's ISO 8601 text; naive times are taken as UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
