"""Carrier and service names EasyPost knows, to refuse a typo (`Fedx`) before quoting.

Offline, the known names are these; online, the account's carrier accounts replace them (see
`shipctl.jobs.carrier_check`). Names compare without regard to case.
"""

from __future__ import annotations

from collections.abc import Iterable

# The carriers of a new account first (as an error lists them), then others EasyPost offers.
KNOWN_CARRIERS: tuple[str, ...] = (
    "USPS", "UPS", "FedEx", "DHLExpress", "DHLeCommerce", "CanadaPost", "Purolator",
    "OnTrac", "LSO", "Asendia", "AmazonShipping", "UPSMailInnovations", "FedExSmartPost",
    "Veho", "ePostGlobal", "AustraliaPost", "RoyalMail", "Sendle", "GSO", "Courier",
)  # fmt: skip

# Services of the carriers whose list is short and stable; others are not checked.
KNOWN_SERVICES: dict[str, tuple[str, ...]] = {
    "usps": ("GroundAdvantage", "First", "Priority", "Express", "ParcelSelect",
             "LibraryMail", "MediaMail", "FirstClassMailInternational",
             "FirstClassPackageInternationalService", "PriorityMailInternational",
             "ExpressMailInternational"),
    "ups": ("Ground", "UPSStandard", "UPSSaver", "Express", "ExpressPlus", "Expedited",
            "NextDayAir", "NextDayAirSaver", "NextDayAirEarlyAM", "2ndDayAir",
            "2ndDayAirAM", "3DaySelect", "GroundFreight", "SurePost"),
    "fedex": ("FEDEX_GROUND", "GROUND_HOME_DELIVERY", "FEDEX_2_DAY", "FEDEX_2_DAY_AM",
              "FEDEX_EXPRESS_SAVER", "STANDARD_OVERNIGHT", "PRIORITY_OVERNIGHT",
              "FIRST_OVERNIGHT", "SMART_POST", "INTERNATIONAL_ECONOMY",
              "INTERNATIONAL_PRIORITY", "INTERNATIONAL_FIRST", "FEDEX_INTERNATIONAL_PRIORITY",
              "FEDEX_INTERNATIONAL_CONNECT_PLUS"),
}  # fmt: skip


def unknown_carrier(name: str, known: Iterable[str] = KNOWN_CARRIERS) -> str | None:
    """None when `name` is a known carrier; else the message naming the valid ones."""
    names = tuple(known)
    if name.strip().lower() in {k.lower() for k in names}:
        return None
    return f"unknown carrier {name}; known: {', '.join(names)}"


def unknown_service(carrier: str | None, service: str) -> str | None:
    """None when the service is one of the carrier's (or the carrier's are not listed)."""
    services = KNOWN_SERVICES.get((carrier or "").strip().lower())
    if services is None or service.strip().lower() in {s.lower() for s in services}:
        return None
    return f"unknown {carrier} service {service}; known: {', '.join(services)}"


def carrier_problems(
    words: Iterable[tuple[str, str | None]], known: Iterable[str] = KNOWN_CARRIERS
) -> list[str]:
    """Messages for each unknown carrier or service among (carrier, service) pairs."""
    names = tuple(known)
    problems: list[str] = []
    for carrier, service in words:
        message = unknown_carrier(carrier, names)
        if message is None and service:
            message = unknown_service(carrier, service)
        if message is not None and message not in problems:
            problems.append(message)
    return problems
