"""Deterministic rating: services, zones, dimensional weight and prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from shipctl.simulator.ids import stable_id

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Service:
    carrier: str
    service: str
    base: Decimal  # price of the first pound in zone 1
    per_lb: Decimal  # each further pound in zone 1
    zone_step: Decimal  # how much dearer each zone beyond 1 makes the whole price
    days: tuple[int, int]  # delivery days in zone 1 and zone 8
    guaranteed: bool
    dim_divisor: int  # cubic inches per pound of dimensional weight


SERVICES: tuple[Service, ...] = (
    Service("USPS", "GroundAdvantage", Decimal("4.75"), Decimal("0.62"), Decimal("0.09"),
            (2, 5), False, 166),
    Service("USPS", "Priority", Decimal("6.95"), Decimal("0.95"), Decimal("0.11"),
            (1, 3), False, 166),
    Service("USPS", "Express", Decimal("26.35"), Decimal("2.10"), Decimal("0.08"),
            (1, 2), True, 166),
    Service("UPS", "Ground", Decimal("9.25"), Decimal("0.85"), Decimal("0.08"),
            (1, 5), False, 139),
    Service("UPS", "2ndDayAir", Decimal("17.80"), Decimal("1.90"), Decimal("0.10"),
            (2, 2), True, 139),
    Service("UPS", "NextDayAir", Decimal("31.40"), Decimal("3.20"), Decimal("0.12"),
            (1, 1), True, 139),
    Service("FedEx", "FEDEX_GROUND", Decimal("9.05"), Decimal("0.83"), Decimal("0.08"),
            (1, 5), False, 139),
    Service("FedEx", "FEDEX_2_DAY", Decimal("18.10"), Decimal("1.85"), Decimal("0.10"),
            (2, 2), True, 139),
    Service("FedEx", "STANDARD_OVERNIGHT", Decimal("33.75"), Decimal("3.05"), Decimal("0.12"),
            (1, 1), True, 139),
)

# Heaviest parcel each carrier accepts, in ounces.
MAX_WEIGHT_OZ = {"USPS": 70 * 16, "UPS": 150 * 16, "FedEx": 150 * 16}

CARRIER_ACCOUNTS = {carrier: stable_id("ca", f"simulator-{carrier}") for carrier in MAX_WEIGHT_OZ}


def carrier_for_account(account_id: str) -> str | None:
    for carrier, account in CARRIER_ACCOUNTS.items():
        if account == account_id:
            return carrier
    return None


def canonical_carrier(name: str) -> str | None:
    for carrier in MAX_WEIGHT_OZ:
        if carrier.lower() == name.strip().lower():
            return carrier
    return None


@lru_cache(maxsize=4096)
def zone(from_zip: str | None, to_zip: str | None, domestic: bool = True) -> int:
    """USPS-style zone 1-8 from the distance between the 3-digit ZIP prefixes."""
    if not domestic:
        return 8
    a, b = _prefix(from_zip), _prefix(to_zip)
    if a is None or b is None:
        return 5
    if a == b:
        return 1
    return min(8, 2 + abs(a - b) * 7 // 1000)


def _prefix(zip_code: str | None) -> int | None:
    digits = "".join(ch for ch in (zip_code or "")[:5] if ch.isdigit())
    return int(digits[:3]) if len(digits) >= 3 else None


def billable_ounces(
    weight_oz: float, dims: tuple[float, float, float] | None, divisor: int
) -> float:
    """Actual or dimensional weight, whichever is greater (USPS only above one cubic foot)."""
    if dims is None:
        return weight_oz
    volume = dims[0] * dims[1] * dims[2]
    if divisor == 166 and volume <= 1728:
        return weight_oz
    return max(weight_oz, volume / divisor * 16)


def price(service: Service, billable_oz: float, zone_no: int) -> Decimal:
    pounds = max(1, -(-int(billable_oz * 100) // 1600))  # whole pounds, rounded up
    base = service.base + service.per_lb * (pounds - 1)
    factor = Decimal(1) + service.zone_step * (zone_no - 1)
    return (base * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def delivery_days(service: Service, zone_no: int) -> int:
    near, far = service.days
    return near + round((far - near) * (zone_no - 1) / 7)


def list_rate(rate: Decimal) -> Decimal:
    return (rate * Decimal("1.08")).quantize(CENT, rounding=ROUND_HALF_UP)


def retail_rate(rate: Decimal) -> Decimal:
    return (rate * Decimal("1.30")).quantize(CENT, rounding=ROUND_HALF_UP)


class Priced(NamedTuple):
    """One service's price for a parcel and zone, as the Rate object's strings."""

    service: Service
    rate: str
    retail_rate: str
    list_rate: str
    delivery_days: int
    carrier_account_id: str


class Quote(NamedTuple):
    """Every rate a parcel gets in a zone, and the carriers that refused it (weight)."""

    priced: tuple[Priced, ...]
    too_heavy: tuple[str, ...]


# A bulk run rates thousands of alike parcels; Decimal arithmetic made rating the costliest
# part of creating a shipment, so identical questions get the same (immutable) answer.
@lru_cache(maxsize=4096)
def quote(
    weight_oz: float, dims: tuple[float, float, float] | None, zone_no: int,
    carriers: frozenset[str],
) -> Quote:
    """Rates of every service of `carriers`, in sorted carrier order, for one parcel."""
    priced: list[Priced] = []
    too_heavy: list[str] = []
    for carrier in sorted(carriers):
        if weight_oz > MAX_WEIGHT_OZ[carrier]:
            too_heavy.append(carrier)
            continue
        for service in SERVICES:
            if service.carrier != carrier:
                continue
            amount = price(service, billable_ounces(weight_oz, dims, service.dim_divisor),
                           zone_no)
            priced.append(Priced(service, str(amount), str(retail_rate(amount)),
                                 str(list_rate(amount)), delivery_days(service, zone_no),
                                 CARRIER_ACCOUNTS[carrier]))
    return Quote(tuple(priced), tuple(too_heavy))
