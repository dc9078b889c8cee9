"""Deterministic rating: services, zones, dimensional weight and prices.

Domestic shipments get the domestic services; a shipment between two countries gets the
international ones only, its zone the destination's price group (`INTERNATIONAL_ZONES`).
"""

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
    international: bool = False
    max_oz: int | None = None  # heaviest parcel the service takes, when below the carrier's


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
    # International: the services EasyPost names for each carrier; zone = price group 1-8.
    Service("USPS", "FirstClassPackageInternationalService", Decimal("15.75"), Decimal("4.10"),
            Decimal("0.10"), (7, 21), False, 166, True, 4 * 16),
    Service("USPS", "PriorityMailInternational", Decimal("32.10"), Decimal("3.40"),
            Decimal("0.12"), (6, 10), False, 166, True),
    Service("USPS", "ExpressMailInternational", Decimal("45.95"), Decimal("4.25"),
            Decimal("0.12"), (3, 5), True, 166, True),
    Service("UPS", "UPSStandard", Decimal("24.60"), Decimal("2.35"), Decimal("0.10"),
            (3, 7), False, 139, True),
    Service("UPS", "Expedited", Decimal("58.20"), Decimal("5.10"), Decimal("0.12"),
            (3, 5), False, 139, True),
    Service("UPS", "UPSSaver", Decimal("71.45"), Decimal("5.95"), Decimal("0.12"),
            (2, 3), True, 139, True),
    Service("FedEx", "INTERNATIONAL_ECONOMY", Decimal("55.30"), Decimal("4.80"),
            Decimal("0.12"), (4, 6), False, 139, True),
    Service("FedEx", "INTERNATIONAL_PRIORITY", Decimal("68.90"), Decimal("5.70"),
            Decimal("0.12"), (2, 3), True, 139, True),
)

# Heaviest parcel each carrier accepts, in ounces.
MAX_WEIGHT_OZ = {"USPS": 70 * 16, "UPS": 150 * 16, "FedEx": 150 * 16}

# The first carrier account of each carrier (carrier_accounts.py gives further ones ids of
# their own). USPS has the id the official SDK's test suite uses for a test account's USPS
# account, so its calls replay unchanged.
CARRIER_ACCOUNTS = {
    "USPS": "ca_b25657e9896e4d63ac8151ac346ac41e",
    "UPS": stable_id("ca", "simulator-UPS"),
    "FedEx": stable_id("ca", "simulator-FedEx"),
}

# Price groups of international destinations, 1 (Canada) to 8; others are group 6.
INTERNATIONAL_ZONES = {
    "CA": 1, "MX": 2, "GB": 4, "IE": 4, "DE": 5, "FR": 5, "NL": 5, "BE": 5, "ES": 5,
    "IT": 5, "SE": 5, "DK": 5, "NO": 5, "CH": 5, "AT": 5, "PT": 5, "FI": 5, "PL": 5,
    "JP": 6, "KR": 6, "AU": 7, "NZ": 7, "CN": 6, "HK": 6, "SG": 6, "TW": 6, "IN": 7,
    "BR": 7, "AR": 7, "CL": 7, "ZA": 8, "NG": 8, "KE": 8, "EG": 8,
}
# UPS Standard is a ground service: only to the neighbours.
UPS_STANDARD_COUNTRIES = frozenset({"CA", "MX"})

# UPS and FedEx charge more to deliver to a home (ground, air); USPS does not.
RESIDENTIAL_SURCHARGES = {"UPS": (Decimal("5.55"), Decimal("6.10")),
                          "FedEx": (Decimal("5.45"), Decimal("5.95"))}


def residential_surcharge(service: Service) -> Decimal:
    """What a domestic service adds to a parcel for a residential address."""
    amounts = RESIDENTIAL_SURCHARGES.get(service.carrier)
    if amounts is None or service.international:
        return Decimal(0)
    ground, air = amounts
    return ground if "GROUND" in service.service.upper() else air


def canonical_carrier(name: str) -> str | None:
    for carrier in MAX_WEIGHT_OZ:
        if carrier.lower() == name.strip().lower():
            return carrier
    return None


def international_zone(country: str) -> int:
    return INTERNATIONAL_ZONES.get(country, 6)


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


class Quote(NamedTuple):
    """Every rate a parcel gets in a zone, and the carriers that refused it (weight)."""

    priced: tuple[Priced, ...]
    too_heavy: tuple[str, ...]


# A bulk run rates thousands of alike parcels; Decimal arithmetic made rating the costliest
# part of creating a shipment, so identical questions get the same (immutable) answer.
@lru_cache(maxsize=4096)
def quote(
    weight_oz: float, dims: tuple[float, float, float] | None, zone_no: int,
    carriers: frozenset[str], destination: str | None = None, residential: bool = False,
) -> Quote:
    """Rates of every service of `carriers`, in sorted carrier order, for one parcel.

    `destination` is the country of an international shipment (None: domestic); it gets
    the international services only, `zone_no` being its price group. To a `residential`
    address UPS and FedEx add their residential surcharge."""
    priced: list[Priced] = []
    too_heavy: list[str] = []
    international = destination is not None
    for carrier in sorted(carriers):
        if weight_oz > MAX_WEIGHT_OZ[carrier]:
            too_heavy.append(carrier)
            continue
        for service in SERVICES:
            if service.carrier != carrier or service.international != international:
                continue
            if service.max_oz is not None and weight_oz > service.max_oz:
                continue
            if service.service == "UPSStandard" and destination not in UPS_STANDARD_COUNTRIES:
                continue
            amount = price(service, billable_ounces(weight_oz, dims, service.dim_divisor),
                           zone_no)
            if residential:
                amount += residential_surcharge(service)
            priced.append(Priced(service, str(amount), str(retail_rate(amount)),
                                 str(list_rate(amount)), delivery_days(service, zone_no)))
    return Quote(tuple(priced), tuple(too_heavy))
