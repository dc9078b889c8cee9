"""A believable, reproducible history of simulated shipments for `shipctl demo seed`.

Three warehouses ship to every US state (and a few countries) with USPS, UPS and FedEx at
prices that grow with weight and zone; most parcels arrive on the promised day, about 8 %
late, some are returned or lost, about 1.5 % of purchases fail and a few labels are refunded.
Rows come out in chunks as plain tuples in the column order of `shipctl.store.demo`, so a
million shipments stream into COPY without being held in memory.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

REFERENCE_PREFIX = "DEMO-"
FAILED_SHARE = 0.015
REFUNDED_SHARE = 0.025
LATE_SHARE = 0.08

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _Service:
    carrier: str
    service: str
    base: float  # first pound, zone 1
    per_lb: float
    zone_step: float
    days: tuple[int, int]  # promised days in zone 1 and zone 8
    weight: float  # share of the mix


# Names as the simulator (and EasyPost) give them; prices close to the simulator's.
SERVICES = (
    _Service("USPS", "GroundAdvantage", 4.75, 0.62, 0.09, (2, 5), 30),
    _Service("USPS", "Priority", 6.95, 0.95, 0.11, (1, 3), 15),
    _Service("USPS", "Express", 26.35, 2.10, 0.08, (1, 2), 3),
    _Service("UPS", "Ground", 9.25, 0.85, 0.08, (1, 5), 18),
    _Service("UPS", "2ndDayAir", 17.80, 1.90, 0.10, (2, 2), 5),
    _Service("UPS", "NextDayAir", 31.40, 3.20, 0.12, (1, 1), 2),
    _Service("FedEx", "FEDEX_GROUND", 9.05, 0.83, 0.08, (1, 5), 18),
    _Service("FedEx", "FEDEX_2_DAY", 18.10, 1.85, 0.10, (2, 2), 6),
    _Service("FedEx", "STANDARD_OVERNIGHT", 33.75, 3.05, 0.12, (1, 1), 3),
)
_INTERNATIONAL_SERVICES = (SERVICES[1], SERVICES[2], SERVICES[4], SERVICES[7])

WAREHOUSES = (
    ("Demo Warehouse West", "Reno", "NV", "89502"),
    ("Demo Warehouse Central", "Columbus", "OH", "43215"),
    ("Demo Warehouse East", "Allentown", "PA", "18101"),
)

# (state, city, ZIP, weight by population in millions)
_STATES = (
    ("AL", "Birmingham", "35203", 5.1), ("AK", "Anchorage", "99501", 0.7),
    ("AZ", "Phoenix", "85004", 7.4), ("AR", "Little Rock", "72201", 3.0),
    ("CA", "Los Angeles", "90012", 39.0), ("CO", "Denver", "80202", 5.9),
    ("CT", "Hartford", "06103", 3.6), ("DE", "Wilmington", "19801", 1.0),
    ("DC", "Washington", "20001", 0.7), ("FL", "Miami", "33130", 22.6),
    ("GA", "Atlanta", "30303", 11.0), ("HI", "Honolulu", "96813", 1.4),
    ("ID", "Boise", "83702", 1.9), ("IL", "Chicago", "60601", 12.5),
    ("IN", "Indianapolis", "46204", 6.8), ("IA", "Des Moines", "50309", 3.2),
    ("KS", "Wichita", "67202", 2.9), ("KY", "Louisville", "40202", 4.5),
    ("LA", "New Orleans", "70112", 4.6), ("ME", "Portland", "04101", 1.4),
    ("MD", "Baltimore", "21201", 6.2), ("MA", "Boston", "02108", 7.0),
    ("MI", "Detroit", "48226", 10.0), ("MN", "Minneapolis", "55401", 5.7),
    ("MS", "Jackson", "39201", 2.9), ("MO", "St. Louis", "63101", 6.2),
    ("MT", "Billings", "59101", 1.1), ("NE", "Omaha", "68102", 2.0),
    ("NV", "Las Vegas", "89101", 3.2), ("NH", "Manchester", "03101", 1.4),
    ("NJ", "Newark", "07102", 9.3), ("NM", "Albuquerque", "87102", 2.1),
    ("NY", "New York", "10001", 19.6), ("NC", "Charlotte", "28202", 10.8),
    ("ND", "Fargo", "58102", 0.8), ("OH", "Cleveland", "44113", 11.8),
    ("OK", "Oklahoma City", "73102", 4.0), ("OR", "Portland", "97204", 4.2),
    ("PA", "Philadelphia", "19103", 13.0), ("RI", "Providence", "02903", 1.1),
    ("SC", "Charleston", "29401", 5.4), ("SD", "Sioux Falls", "57104", 0.9),
    ("TN", "Nashville", "37203", 7.1), ("TX", "Houston", "77002", 30.5),
    ("UT", "Salt Lake City", "84101", 3.4), ("VT", "Burlington", "05401", 0.6),
    ("VA", "Richmond", "23219", 8.7), ("WA", "Seattle", "98101", 7.8),
    ("WV", "Charleston", "25301", 1.8), ("WI", "Milwaukee", "53202", 5.9),
    ("WY", "Cheyenne", "82001", 0.6),
)  # fmt: skip
_COUNTRIES = (("CA", "Toronto", "M5H 2N2"), ("GB", "London", "SW1A 1AA"),
              ("MX", "Monterrey", "64000"), ("DE", "Berlin", "10117"),
              ("AU", "Sydney", "2000"))  # fmt: skip
INTERNATIONAL_SHARE = 0.02

# (code, message, weight): what EasyPost answers when a purchase fails.
_FAILURES = (
    ("SHIPMENT.POSTAGE.FAILURE", "The carrier could not generate postage for this shipment.", 40),
    ("ADDRESS.VERIFY.FAILURE", "Unable to verify the destination address.", 30),
    ("E.ADDRESS.NOT_FOUND", "Address not found.", 15),
    ("PARAMETER.INVALID", "Invalid parameter: parcel.weight exceeds the carrier's maximum.", 10),
    ("RATE_LIMITED", "You have exceeded the rate limit. Please retry later.", 5),
)
_FAILURE_WEIGHTS = list(accumulate(f[2] for f in _FAILURES))

# A tracking scan: when, status, detail, message, and (city, state) or None.
_Step = tuple[datetime, str, str, str, tuple[str, str | None] | None]


@dataclass
class DemoChunk:
    """Rows for one COPY round: shipments, trackers and tracking events."""

    shipments: list[tuple[object, ...]] = field(default_factory=list)
    trackers: list[tuple[object, ...]] = field(default_factory=list)
    events: list[tuple[object, ...]] = field(default_factory=list)


# Decimals made once: building a Decimal per row is a measurable part of a million rows.
_CENTS = [Decimal(c).scaleb(-2) for c in range(0, 40_000)]
_OUNCES = [Decimal(oz) for oz in range(0, 1_200)]


def _tracking_code(carrier: str, number: int) -> str:
    if carrier == "USPS":
        return f"9400100{number:015d}"
    if carrier == "UPS":
        return f"1Z999AA1{number:010d}"
    return f"7{number:011d}"


class DemoHistory:
    """Shipments 1..count bought over the `days` before `now`, from `random.Random(seed)`."""

    def __init__(self, *, count: int, days: int, seed: int, now: datetime, run_id: int) -> None:
        self.count, self.days, self.now, self.run_id = count, days, now.astimezone(UTC), run_id
        self.random = random.Random(seed)
        self._service_weights = list(accumulate(s.weight for s in SERVICES))
        self._state_weights = list(accumulate(s[3] for s in _STATES))

    def chunks(self, size: int = 10_000) -> Iterator[DemoChunk]:
        for start in range(1, self.count + 1, size):
            chunk = DemoChunk()
            for number in range(start, min(start + size, self.count + 1)):
                self._shipment(number, chunk)
            yield chunk

    def _shipment(self, number: int, chunk: DemoChunk) -> None:
        rnd = self.random
        created = self._created_at()
        international = rnd.random() < INTERNATIONAL_SHARE
        if international:
            country, city, zip_code = rnd.choice(_COUNTRIES)
            state = None
            service = rnd.choice(_INTERNATIONAL_SERVICES)
            warehouse = WAREHOUSES[2]
            zone = 8
        else:
            state, city, zip_code, _ = rnd.choices(_STATES, cum_weights=self._state_weights)[0]
            country = "US"
            service = rnd.choices(SERVICES, cum_weights=self._service_weights)[0]
            # Mostly the nearest warehouse; some stock only one of them holds.
            warehouse = rnd.choice(WAREHOUSES) if rnd.random() < 0.15 else _NEAREST[state]
            zone = _ZONES[warehouse[2], state]
        ounces = min(1_100, max(2, int(rnd.lognormvariate(3.2, 0.8))))
        reference = f"{REFERENCE_PREFIX}{number:07d}"
        address = (f"Demo Customer {number}", city, state, zip_code, country,
                   warehouse[0], warehouse[1], warehouse[2], warehouse[3], "US",
                   _OUNCES[ounces])  # fmt: skip
        if rnd.random() < FAILED_SHARE:
            code, message, _ = rnd.choices(_FAILURES, cum_weights=_FAILURE_WEIGHTS)[0]
            chunk.shipments.append((reference, self.run_id, "simulated", "failed", number,
                                    *address, service.carrier, service.service, None, None,
                                    None, None, None, None, None, None, None, code, message, 1,
                                    created, created, None, None, None, None))  # fmt: skip
            return
        purchased = created + timedelta(seconds=rnd.uniform(0.5, 4.0))
        promised = _promised_days(service, zone, international)
        pounds = math.ceil(ounces / 16)
        price = service.base + service.per_lb * (pounds - 1)
        price *= 1 + service.zone_step * (zone - 1)
        cents = min(len(_CENTS) - 1, round(price * rnd.uniform(0.97, 1.03) * 100))
        estimate = datetime.combine(
            (purchased + promised * _DAY).date(), datetime.min.time(), UTC
        ) + timedelta(hours=20)
        code = _tracking_code(service.carrier, number)
        refunded = rnd.random() < REFUNDED_SHARE
        # Some carriers give no estimate at purchase; the tracker's first estimate stands in.
        shipment_estimate = None if service.service == "Ground" and rnd.random() < 0.3 else estimate
        updated = purchased + rnd.uniform(1, 3) * _DAY if refunded else purchased
        # The shipment row carries its tracker's copy (status, delivered, first estimate, last
        # scan), as the triggers of migration 0003 would write it.
        tracked: tuple[object, ...] = (None, None, None, None)
        if not refunded:
            tracked = self._tracking(code, service.carrier, purchased, estimate, warehouse,
                                     (city, state), chunk)  # fmt: skip
        chunk.shipments.append((reference, self.run_id, "simulated",
                                "refunded" if refunded else "purchased", number, *address,
                                service.carrier, service.service, service.carrier,
                                service.service, f"shp_demo{number:010d}", _CENTS[cents], "USD",
                                promised, shipment_estimate, code, purchased, None, None, 1,
                                created, updated, *tracked))  # fmt: skip

    def _created_at(self) -> datetime:
        rnd = self.random
        while True:
            moment = self.now - rnd.random() * self.days * _DAY
            # Fewer labels are bought at weekends.
            if moment.weekday() < 5 or rnd.random() < 0.35:
                return moment

    def _tracking(
        self,
        code: str,
        carrier: str,
        purchased: datetime,
        estimate: datetime,
        warehouse: tuple[str, str, str, str],
        destination: tuple[str, str | None],
        chunk: DemoChunk,
    ) -> tuple[object, ...]:
        """Add the tracker and its events; returns the shipment's copy of the tracker."""
        rnd = self.random
        origin = (warehouse[1], warehouse[2])
        roll = rnd.random()
        delay = 0
        if roll < LATE_SHARE:
            delay = rnd.choice((1, 1, 1, 2, 2, 3, 5))
        elif roll < 0.20 and (estimate - purchased) > 1.5 * _DAY:
            delay = -1
        arrival_day = datetime.combine((estimate + delay * _DAY).date(), datetime.min.time(), UTC)
        delivered_at = arrival_day + timedelta(hours=rnd.uniform(9.5, 19.5))
        accepted = purchased + timedelta(hours=rnd.uniform(3, 20))
        steps: list[_Step] = [(purchased + timedelta(minutes=1), "pre_transit", "label_created",
                  "Shipping Label Created", origin),
                 (accepted, "in_transit", "arrived_at_facility", "Accepted at Origin Facility",
                  origin)]  # fmt: skip
        hubs = rnd.randint(0, 2)
        span = max(timedelta(hours=1), arrival_day - accepted)
        for hub in range(hubs):
            steps.append((accepted + span * (hub + 1) / (hubs + 1), "in_transit",
                          "arrived_at_facility", "Arrived at USPS Regional Facility"
                          if carrier == "USPS" else "Arrived at Facility", None))  # fmt: skip
        exception = rnd.random()
        if exception < 0.008:
            final = (delivered_at, "return_to_sender", "return", "Returned to Sender", origin)
            steps.append(final)
        elif exception < 0.011:
            steps.append((delivered_at, "failure", "lost", "Package lost in transit", None))
        elif exception < 0.015:
            pass  # stuck: no scan after the last hub, so it goes stale
        else:
            steps.append((arrival_day + timedelta(hours=7.5), "out_for_delivery",
                          "out_for_delivery", "Out for Delivery", destination))  # fmt: skip
            steps.append((delivered_at, "delivered", "arrived_at_destination", "Delivered",
                          destination))  # fmt: skip
        seen = [step for step in steps if step[0] <= self.now]
        last = seen[-1] if seen else steps[0]
        status = last[1] if seen else "pre_transit"
        first_estimate = estimate
        revised = estimate + delay * _DAY if delay > 0 else estimate
        delivered = delivered_at if status == "delivered" else None
        last_event = last[0] if seen else None
        chunk.trackers.append((code, carrier, status, last[2], revised, first_estimate,
                               delivered, last_event, self.now, purchased,
                               last[0] if seen else purchased))  # fmt: skip
        for occurred, step_status, detail, message, place in seen:
            city, state = place if place else (None, None)
            chunk.events.append((code, occurred, step_status, detail, message, city, state))
        return status, delivered, first_estimate, last_event


def _zone(from_zip: str, to_zip: str) -> int:
    """USPS-style zone 1-8 from the distance between three-digit ZIP prefixes."""
    a, b = int(from_zip[:3]), int(to_zip[:3])
    return 1 if a == b else min(8, 2 + abs(a - b) * 7 // 1000)


def _promised_days(service: _Service, zone: int, international: bool) -> int:
    if international:
        return service.days[1] + 4
    near, far = service.days
    return near + round((far - near) * (zone - 1) / 7)


_NEAREST = {
    state: min(WAREHOUSES, key=lambda w: abs(int(w[3][:3]) - int(zip_code[:3])))
    for state, _, zip_code, _ in _STATES
}
_ZONES = {
    (warehouse[2], state): _zone(warehouse[3], zip_code)
    for warehouse in WAREHOUSES
    for state, _, zip_code, _ in _STATES
}
