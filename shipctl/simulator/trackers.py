"""Trackers: EasyPost's test codes, and progression of the simulator's own codes.

A tracker is stored as a plan (when the label was made, how many days, which outcome) and
rendered on every read against the simulated clock, so progress needs no background job.
"""

from __future__ import annotations

import base64
import random
from typing import Any, NamedTuple, Protocol

from shipctl.simulator.clock import iso
from shipctl.simulator.errors import not_found, required
from shipctl.simulator.ids import new_id, seed_for
from shipctl.simulator.paging import page_size
from shipctl.simulator.rates import canonical_carrier
from shipctl.simulator.simulation import Simulation
from shipctl.simulator.state import dumps

DAY = 86400.0


class MultiQuery(Protocol):
    """A query string with repeated keys (aiohttp's MultiDictProxy)."""

    def getall(self, key: str, default: list[str]) -> list[str]: ...
    def get(self, key: str) -> str | None: ...
    def __getitem__(self, key: str) -> str: ...
    def keys(self) -> Any: ...

# EasyPost's documented test tracking codes and the status each one reports.
TEST_CODES = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}

# Shares of the simulator's own labels that end badly (the rest arrive on time).
LATE_SHARE = 0.08
RETURN_SHARE = 0.04
FAILURE_SHARE = 0.03


# A NamedTuple rather than a frozen dataclass: a tracker is made on every buy, and a
# frozen dataclass's __init__ was a fifth of rendering it.
class Event(NamedTuple):
    offset_days: float
    status: str
    status_detail: str
    message: str
    at_destination: bool


_TEST_TRACK = (
    Event(-30.0, "pre_transit", "status_update", "Pre-Shipment Info Sent to USPS", False),
    Event(-29.6, "pre_transit", "status_update", "Shipping Label Created", False),
    Event(-29.2, "in_transit", "arrived_at_facility", "Arrived at USPS Origin Facility", False),
    Event(-28.6, "in_transit", "departed_facility", "Departed USPS Regional Facility", False),
    Event(-28.2, "out_for_delivery", "out_for_delivery", "Out for Delivery", True),
    Event(-28.0, "delivered", "arrived_at_destination", "Delivered, In/At Mailbox", True),
)
_TEST_LENGTH = {"pre_transit": 2, "in_transit": 4, "out_for_delivery": 5, "delivered": 6,
                "return_to_sender": 4, "failure": 4, "unknown": 0}
_HOUSTON = {"city": "HOUSTON", "state": "TX", "zip": "77063"}
_CHARLESTON = {"city": "CHARLESTON", "state": "SC", "zip": "29401"}


def new_tracker(
    tracking_code: str,
    carrier: str,
    now: float,
    *,
    shipment_id: str | None = None,
    days: int = 3,
    origin: dict[str, Any] | None = None,
    destination: dict[str, Any] | None = None,
    service: str | None = None,
    weight: float | None = None,
) -> dict[str, Any]:
    """The stored plan of a tracker; `render` turns it into the API object."""
    if tracking_code.upper() in TEST_CODES:
        plan = "test"
    elif shipment_id is not None:
        plan = "simulated"
    else:
        # A code neither issued here nor an EZ test code: like the real test environment, the
        # tracker is created but no carrier ever reports on it.
        plan = "unknown"
    return {
        "id": new_id("trk"),
        "tracking_code": tracking_code,
        "carrier": carrier,
        "created_at": now,
        "shipment_id": shipment_id,
        "plan": plan,
        "days": max(1, days),
        "origin": _place(origin) if origin else _HOUSTON,
        "destination": _place(destination) if destination else _CHARLESTON,
        "service": service,
        "weight": weight,
    }


def _place(address: dict[str, Any]) -> dict[str, Any]:
    return {
        "city": str(address.get("city") or "").upper() or None,
        "state": str(address.get("state") or "").upper() or None,
        "zip": str(address.get("zip") or "")[:5] or None,
    }


def simulated_events(plan: dict[str, Any]) -> tuple[list[Event], float, str | None]:
    """The full event list of a simulator-issued code, its planned days and who signs."""
    events, days, signer = _simulated_events(plan["tracking_code"], float(plan["days"]))
    return list(events), days, signer


_LABEL_CREATED = Event(0.0, "pre_transit", "status_update", "Shipping Label Created", False)
_ACCEPTED = Event(0.35, "in_transit", "arrived_at_facility", "Accepted at Origin Facility",
                  False)


def _simulated_events(
    tracking_code: str, days: float
) -> tuple[tuple[Event, ...], float, str | None]:
    rng = random.Random(seed_for(tracking_code))
    roll = rng.random()
    total = days
    if roll < LATE_SHARE:
        total = days + rng.randint(1, 3)
    mid = 0.35 + (total - 0.35) / 2
    events = [
        _LABEL_CREATED,
        _ACCEPTED,
        Event(mid, "in_transit", "departed_facility", "Departed Regional Facility", False),
    ]
    if roll < LATE_SHARE:
        events.append(Event(mid + 0.1, "in_transit", "delayed", "Delayed in Transit", False))
    signer: str | None = None
    if LATE_SHARE <= roll < LATE_SHARE + RETURN_SHARE:
        events.append(Event(total - 0.3, "in_transit", "arrived_at_destination",
                            "Delivery Attempted - No Access to Delivery Location", True))
        events.append(Event(total, "return_to_sender", "return", "Return to Sender Processed",
                            True))
    elif LATE_SHARE + RETURN_SHARE <= roll < LATE_SHARE + RETURN_SHARE + FAILURE_SHARE:
        events.append(Event(mid + 0.2, "failure", "lost", "Package Lost in Transit", False))
    else:
        events.append(Event(total - 0.3, "out_for_delivery", "out_for_delivery",
                            "Out for Delivery", True))
        events.append(Event(total, "delivered", "arrived_at_destination", "Delivered", True))
        signer = rng.choice(("J. SMITH", "M. GARCIA", "A. NGUYEN", "FRONT DESK", "R. PATEL"))
    return tuple(events), days, signer


FINAL_STATUSES = frozenset({"delivered", "return_to_sender", "failure"})


def render_created(plan: dict[str, Any], now: float) -> dict[str, Any]:
    """The Tracker as POST /trackers answers: with `finalized` and `is_return`, no `fees`."""
    tracker = render(plan, now)
    tracker.pop("fees")
    public_url = tracker.pop("public_url")
    tracker["finalized"] = tracker["status"] in FINAL_STATUSES
    tracker["is_return"] = False
    tracker["public_url"] = public_url
    return tracker


def render(plan: dict[str, Any], now: float) -> dict[str, Any]:
    """The Tracker object as the API returns it at simulated time `now`."""
    created = float(plan["created_at"])
    signer: str | None = None
    if plan["plan"] == "test":
        status = TEST_CODES[plan["tracking_code"].upper()]
        events = list(_TEST_TRACK[: _TEST_LENGTH[status]])
        if status in ("return_to_sender", "failure"):
            detail = "return" if status == "return_to_sender" else "lost"
            events.append(Event(-28.0, status, detail, status.replace("_", " ").title(), True))
        if status == "delivered":
            signer = "John Tester"
        est = created + 2 * DAY
        visible = events
    elif plan["plan"] == "simulated":
        events, days, planned_signer = simulated_events(plan)
        visible = [e for e in events if created + e.offset_days * DAY <= now]
        est = created + days * DAY
        if visible and visible[-1].status == "delivered":
            signer = planned_signer
    else:
        visible, est = [], created
    details = [_detail(plan, e, created) for e in visible]
    last = visible[-1] if visible else None
    updated = created + last.offset_days * DAY if last and last.offset_days > 0 else created
    return {
        "id": plan["id"],
        "object": "Tracker",
        "mode": "test",
        "tracking_code": plan["tracking_code"],
        "status": last.status if last else "unknown",
        "status_detail": last.status_detail if last else "unknown",
        "created_at": iso(created),
        "updated_at": iso(updated),
        "signed_by": signer,
        "weight": plan.get("weight"),
        "est_delivery_date": iso(est) if _dated(plan, now) else None,
        "shipment_id": plan.get("shipment_id"),
        "carrier": plan["carrier"],
        "tracking_details": details,
        "fees": [],
        "carrier_detail": _carrier_detail(plan, est),
        "public_url": "https://track.easypost.com/"
        + base64.urlsafe_b64encode(f"v1:{plan['id']}".encode()).decode().rstrip("="),
    }


def _dated(plan: dict[str, Any], now: float) -> bool:
    """Whether the tracker shows an estimate: never for a code no carrier reports on; for an
    `undated` one (the real API's way) not in the answer to the buy that made it, only once
    the carrier has reported (any later read)."""
    if plan["plan"] == "unknown":
        return False
    return not plan.get("undated") or now > float(plan["created_at"])


def _location(place: dict[str, Any] | None) -> dict[str, Any]:
    place = place or {}
    return {
        "object": "TrackingLocation",
        "city": place.get("city"),
        "state": place.get("state"),
        "country": "US" if place.get("zip") else None,
        "zip": place.get("zip"),
    }


def _detail(plan: dict[str, Any], event: Event, created: float) -> dict[str, Any]:
    place = plan["destination"] if event.at_destination else plan["origin"]
    return {
        "object": "TrackingDetail",
        "message": event.message,
        "description": "",
        "status": event.status,
        "status_detail": event.status_detail,
        "datetime": iso(created + event.offset_days * DAY),
        "source": plan["carrier"],
        "carrier_code": "",
        "tracking_location": _location(place),
    }


def _carrier_detail(plan: dict[str, Any], est: float) -> dict[str, Any]:
    origin, destination = plan["origin"], plan["destination"]
    return {
        "object": "CarrierDetail",
        "service": plan.get("service") or "First-Class Package Service",
        "container_type": None,
        "est_delivery_date_local": None,
        "est_delivery_time_local": None,
        "origin_location": _place_text(origin),
        "origin_tracking_location": _location(origin),
        "destination_location": _place_text(destination),
        "destination_tracking_location": None,
        "guaranteed_delivery_date": None,
        "alternate_identifier": None,
        "initial_delivery_attempt": None,
    }


def encode(tracker: dict[str, Any]) -> bytes:
    """The JSON of a rendered tracker."""
    return dumps(tracker)


def _place_text(place: dict[str, Any]) -> str:
    return f"{place.get('city') or ''} {place.get('state') or ''}, {place.get('zip') or ''}".strip()


def is_test_code(code: str) -> bool:
    return code.upper() in TEST_CODES


def guess_carrier(code: str) -> str:
    """The carrier a tracking code's format suggests, as the real API auto-detects it."""
    if code.upper().startswith("1Z"):
        return "UPS"
    if code.isdigit() and len(code) in (12, 15, 20):
        return "FedEx"
    return "USPS"


def create(sim: Simulation, payload: dict[str, Any]) -> dict[str, Any]:
    """POST /trackers: the same code and carrier always give back the same tracker."""
    params = payload.get("tracker")
    if not isinstance(params, dict) or not params.get("tracking_code"):
        raise required("tracker.tracking_code")
    code = str(params["tracking_code"]).strip()
    carrier = params.get("carrier")
    now = sim.now()
    # Most creates ask for a tracker that exists (every label gets one when bought): answer
    # those without taking the write lock, and look again under it before inserting.
    existing = _existing(sim, code, carrier)
    if existing is not None:
        return render_created(existing, now)
    with sim.store.transaction():
        existing = _existing(sim, code, carrier)
        if existing is not None:
            return render_created(existing, now)
        name = canonical_carrier(carrier) if isinstance(carrier, str) else None
        chosen = name or (carrier if isinstance(carrier, str) else guess_carrier(code))
        plan = new_tracker(code, chosen, now)
        sim.store.insert("tracker", plan, lookup=code.upper())
    return render_created(plan, now)


def _existing(sim: Simulation, code: str, carrier: Any) -> dict[str, Any] | None:
    for plan in sim.store.by_lookup("tracker", code.upper()):
        if not isinstance(carrier, str) or plan["carrier"].lower() == carrier.lower():
            return plan
    return None


def retrieve(sim: Simulation, tracker_id: str) -> dict[str, Any]:
    plan = sim.store.get("tracker", tracker_id)
    if plan is None:
        raise not_found()
    return render(plan, sim.now())


def delete(sim: Simulation, tracker_id: str) -> dict[str, Any]:
    """DELETE /trackers/{id}: `{"success": true}` as the real API answers. A label's own
    tracker goes too: its shipment then shows no tracker, and its code is no longer found
    by `POST /refunds` (the simulator finds labels by their trackers)."""
    with sim.store.transaction():
        if not sim.store.delete("tracker", tracker_id):
            raise not_found()
    return {"success": True}


def page(sim: Simulation, query: MultiQuery) -> dict[str, Any]:
    """GET /trackers: `tracking_codes[]`, `tracking_code`, `carrier`, `page_size`, `before_id`."""
    codes = [c.upper() for c in query.getall("tracking_codes[]", [])]
    codes += [c.upper() for c in query.getall("tracking_codes", [])]
    if query.get("tracking_code"):
        codes.append(str(query["tracking_code"]).upper())
    size = page_size(dict(query))
    carrier = query.get("carrier")
    # Filtered before paging, so a page holds `size` matching trackers when there are that many.
    rows, more = sim.store.page("tracker", limit=size, before_id=query.get("before_id"),
                                lookups=codes or None,
                                fields={"carrier": carrier} if carrier else None)
    now = sim.now()
    return {"trackers": [render(r, now) for r in rows], "has_more": more}


def retrieve_batch(sim: Simulation, payload: dict[str, Any]) -> dict[str, Any]:
    """POST /trackers/batch {tracking_codes, carrier?}: the trackers of those codes, in one
    answer shaped like the index (`has_more` false: every code asked for is answered)."""
    codes = payload.get("tracking_codes")
    if not isinstance(codes, list) or not codes:
        raise required("tracking_codes")
    carrier = payload.get("carrier")
    now = sim.now()
    found = []
    for code in dict.fromkeys(str(c).strip().upper() for c in codes):
        for plan in sim.store.by_lookup("tracker", code):
            if not isinstance(carrier, str) or plan["carrier"].lower() == carrier.lower():
                found.append(render(plan, now))
    return {"trackers": found, "has_more": False}
