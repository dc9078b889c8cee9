"""Addresses: the Address object and a deterministic verification that fails as the real one.

A US address is unverifiable when its ZIP does not exist (see `geography`) or belongs to
another state, or its street has no house number; any address whose street contains
"UNDELIVERABLE" is unverifiable. A verified address comes back standardised, the secondary
line folded into street1, as the real API returns it.
"""

from __future__ import annotations

import random
from functools import lru_cache
from importlib.resources import files
from typing import Any

from shipctl.simulator import geography
from shipctl.simulator.clock import iso_offset
from shipctl.simulator.errors import ApiError, invalid, not_found, required
from shipctl.simulator.ids import new_id, seed_for
from shipctl.simulator.paging import page_size
from shipctl.simulator.simulation import Simulation

ADDRESS_FIELDS = (
    "name", "company", "street1", "street2", "city", "state", "zip", "country",
    "phone", "email", "carrier_facility", "residential", "federal_tax_id", "state_tax_id",
)

# The one ISO list, shared with order validation: a data file, so no shipctl code is imported.
COUNTRIES = frozenset(files("shipctl.iso3166").joinpath("alpha2.txt").read_text("ascii").split())


def build_address(fields: dict[str, Any], now: float, *, field_prefix: str = "") -> dict[str, Any]:
    """A new Address object from request fields; rejects an unknown country."""
    country = str(fields.get("country") or "US").strip().upper()
    if country not in COUNTRIES:
        raise invalid(f"{field_prefix}country", "is not a valid country code")
    stamp = iso_offset(now)
    get = fields.get
    # One literal, in the API's key order: this runs twice for every shipment created.
    return {
        "id": new_id("adr"), "object": "Address", "created_at": stamp, "updated_at": stamp,
        "name": get("name"), "company": get("company"), "street1": get("street1"),
        "street2": get("street2"), "city": get("city"), "state": get("state"),
        "zip": get("zip"), "country": country, "phone": get("phone"), "email": get("email"),
        "mode": "test", "carrier_facility": get("carrier_facility"),
        "residential": get("residential"), "federal_tax_id": get("federal_tax_id"),
        "state_tax_id": get("state_tax_id"), "verifications": {},
    }


def verification_errors(address: dict[str, Any]) -> list[dict[str, Any]]:
    """Field errors as the real check gives them; empty when the address verifies.

    As the real API answers: a ZIP that does not exist (or none at all) is "Address not
    found"; a street without a house number adds E.HOUSE_NUMBER.MISSING. A ZIP that exists
    but not in the city and state given (`Seattle, CA 98103`, `Portland, WA 98103`) is
    "Address not found" too, its suggestion the ZIP's own place (`SEATTLE, WA 98103`). A city
    is compared as USPS does: any name USPS accepts for the ZIP, case, punctuation and short
    forms (`St.`/`Saint`, `Ft`/`Fort`, `Mt`/`Mount`) aside. A street containing
    "UNDELIVERABLE" never verifies (a simulator convention for tests)."""
    street = str(address.get("street1") or "").strip()
    errors: list[dict[str, Any]] = []
    if "UNDELIVERABLE" in street.upper():
        errors.append(NOT_FOUND)
    if address.get("country") not in (None, "US"):
        return errors
    place = geography.zip_place(str(address.get("zip") or ""))
    if place is None and not errors:
        errors.append(NOT_FOUND)
    if not _has_house_number(street):
        if not errors:
            errors.append(NOT_FOUND)
        errors.append(HOUSE_NUMBER_MISSING)
    if place is not None and not errors and not _in_place(address, place):
        errors.append({**NOT_FOUND, "suggestion": place.last_line()})
    return errors


def _in_place(address: dict[str, Any], place: geography.ZipPlace) -> bool:
    """Whether the address's city and state (either may be blank) are the ZIP's."""
    state = str(address.get("state") or "").strip().upper()
    if state and state not in place.states:
        return False
    city = geography.city_key(str(address.get("city") or ""))
    return not city or city in place.accepted or city in place.corrected


def _last_line(result: dict[str, Any], given: dict[str, Any]) -> None:
    """A verified US address's city, state and ZIP as USPS writes them: a blank city or
    state filled in from the ZIP, a name USPS does not accept (`Wallingford` for 98103)
    replaced by the city it prefers, a ZIP+4 given kept (`98103-1234`)."""
    place = geography.zip_place(str(given.get("zip") or ""))
    if place is None:
        return
    city = geography.city_key(str(given.get("city") or ""))
    if not city or city in place.corrected:
        result["city"] = place.city.upper()
    if not str(given.get("state") or "").strip():
        result["state"] = place.state
    digits = "".join(ch for ch in str(given.get("zip") or "") if ch.isdigit())
    if len(digits) == 9:
        result["zip"] = f"{digits[:5]}-{digits[5:]}"


def _has_house_number(street: str) -> bool:
    return street[:1].isdigit() or street.upper().replace(".", "").startswith(("PO BOX", "P O BOX"))


def _error(code: str, field: str, message: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message": message, "suggestion": None}


# The codes and messages the real API answers with (test_address_verify_invalid_address.yaml).
NOT_FOUND = _error("E.ADDRESS.NOT_FOUND", "address", "Address not found")
HOUSE_NUMBER_MISSING = _error("E.HOUSE_NUMBER.MISSING", "street1", "House number is missing")

# Verification carriers the real API accepts besides USPS (the default).
VERIFY_CARRIERS = {"ups": "ups", "fedex": "fedex"}


def verify_failure(errors: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address.", errors)


def verify_carrier(value: Any) -> str | None:
    """The carrier a `verify_carrier` parameter names, lowercased; 422 for one not offered."""
    if value in (None, "", False):
        return None
    carrier = VERIFY_CARRIERS.get(str(value).strip().lower())
    if carrier is None:
        raise ApiError(422, "ADDRESS.VERIFY.CARRIER_INVALID",
                       "Unable to verify address using provided carrier.")
    return carrier


def apply_verification(
    address: dict[str, Any], now: float, carrier: str | None = None
) -> dict[str, Any]:
    """The address after verification: standardised when it verifies, flagged when not.

    Standardised as the real API does it: upper case, the secondary line folded into
    street1 (`388 TOWNSEND ST APT 20`, street2 `""`), ZIP+4, the city as USPS names it
    (see `_last_line`). A carrier check (`carrier`,
    from `verify_carrier`) standardises even an address it cannot find, and reports it
    found with the errors listed (as recorded from the real API with UPS)."""
    errors = verification_errors(address)
    result = dict(address)
    result["updated_at"] = iso_offset(now)
    if errors and carrier is None:
        result["verifications"] = {
            "zip4": {"success": False, "errors": errors, "details": None},
            "delivery": {"success": False, "errors": errors, "details": {}},
        }
        return result
    for name in ("name", "company", "city", "state"):
        if isinstance(result.get(name), str):
            result[name] = result[name].upper()
    # An address the carrier could not find is upper-cased only, as recorded.
    result["street1"] = standard_street(str(address.get("street1") or ""),
                                        str(address.get("street2") or ""), not errors)
    result["street2"] = ""
    if errors:
        details: dict[str, Any] = {"latitude": None, "longitude": None, "time_zone": None}
    else:
        zip_code, residential, latitude, longitude = _standardised(
            f"{address.get('street1')}|{address.get('zip')}",
            str(address.get("zip") or "")[:5], result.get("country") == "US",
            result.get("residential") is None,
        )
        if zip_code is not None:
            result["zip"] = zip_code
        if residential is not None:
            result["residential"] = residential
        if result.get("country") == "US":
            _last_line(result, address)
        tz = geography.time_zone(result.get("state")) or "UTC"
        details = {"latitude": latitude, "longitude": longitude, "time_zone": tz}
    result["verifications"] = {
        "zip4": {"success": True, "errors": errors, "details": None},
        "delivery": {"success": True, "errors": errors, "details": details},
    }
    if carrier is not None:
        result["verifications"]["verify_carrier"] = carrier
    return result


# USPS standard abbreviations of the street words people most often spell out.
_ABBREVIATIONS = {
    "STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "BOULEVARD": "BLVD",
    "LANE": "LN", "COURT": "CT", "PLACE": "PL", "TERRACE": "TER", "PARKWAY": "PKWY",
    "HIGHWAY": "HWY", "CIRCLE": "CIR", "SQUARE": "SQ", "APARTMENT": "APT", "SUITE": "STE",
    "FLOOR": "FL", "BUILDING": "BLDG", "UNIT": "UNIT", "ROOM": "RM", "NORTH": "N",
    "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
    "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}


@lru_cache(maxsize=4096)
def standard_street(street1: str, street2: str = "", abbreviate: bool = True) -> str:
    """One upper-case delivery line: `388 Townsend Street`, `Apt. 20` → `388 TOWNSEND ST APT 20`."""
    if not abbreviate:
        return " ".join(f"{street1} {street2}".upper().split())
    words = f"{street1} {street2}".upper().replace(".", " ").replace(",", " ").split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


# Seeding a Random per verification cost more than the rest of a buy; bulk runs ship to
# the same addresses again and again, and the answer depends on these values only.
@lru_cache(maxsize=4096)
def _standardised(
    seed: str, zip5: str, us: bool, residential_unknown: bool
) -> tuple[str | None, bool | None, float, float]:
    """ZIP+4, residential flag and coordinates, drawn in that order from a generator seeded
    by the street and ZIP."""
    rng = random.Random(seed_for(seed))
    zip_code = f"{zip5}-{rng.randrange(1, 10000):04d}" if us and zip5.isdigit() else None
    residential = rng.random() < 0.6 if residential_unknown else None
    latitude = round(rng.uniform(25.0, 48.0), 5)
    longitude = round(rng.uniform(-123.0, -70.0), 5)
    return zip_code, residential, latitude, longitude


def wants(flag: Any) -> bool:
    """Whether a `verify`/`verify_strict` parameter asks for verification (bool, list, str)."""
    if isinstance(flag, list):
        return len(flag) > 0
    if isinstance(flag, str):
        return flag.lower() not in {"", "false", "0"}
    return bool(flag)


def create(sim: Simulation, payload: dict[str, Any]) -> dict[str, Any]:
    """POST /addresses, verifying when `verify`, `verify_strict` or `verify_carrier` asks.

    `verify_strict` answers 422 ADDRESS.VERIFY.FAILURE, with the same errors, where `verify`
    returns the address with its failed verifications."""
    fields = payload.get("address")
    if not isinstance(fields, dict) or not fields:
        raise required("address")
    now = sim.now()
    address = build_address(fields, now)
    carrier = verify_carrier(payload.get("verify_carrier"))
    strict = wants(payload.get("verify_strict"))
    if strict or carrier is not None or wants(payload.get("verify")):
        address = apply_verification(address, now, carrier)
        if strict and not address["verifications"]["delivery"]["success"]:
            raise verify_failure(address["verifications"]["delivery"]["errors"])
    with sim.store.transaction():
        sim.store.insert("address", address)
    return address


def create_and_verify(sim: Simulation, payload: dict[str, Any]) -> dict[str, Any]:
    """POST /addresses/create_and_verify: {"address": ...} or ADDRESS.VERIFY.FAILURE."""
    return create(sim, {**payload, "verify_strict": True})


def retrieve(sim: Simulation, address_id: str) -> dict[str, Any]:
    address = sim.store.get("address", address_id)
    if address is None:
        raise not_found()
    return address


def page(sim: Simulation, query: dict[str, str]) -> dict[str, Any]:
    """GET /addresses: newest first, `page_size` ≤ 100, `before_id`; the addresses made on
    their own and those made inside shipments, as the real API lists them."""
    rows, more = sim.store.page("address", limit=page_size(query),
                                before_id=query.get("before_id"))
    return {"addresses": rows, "has_more": more}


def verify(sim: Simulation, address_id: str) -> dict[str, Any]:
    """GET /addresses/:id/verify: the verified address (a new Address, as the real API
    answers: a new id), or 422 ADDRESS.VERIFY.FAILURE."""
    address = retrieve(sim, address_id)
    errors = verification_errors(address)
    if errors:
        raise verify_failure(errors)
    verified = apply_verification(address, sim.now())
    verified["id"] = new_id("adr")
    with sim.store.transaction():
        sim.store.insert("address", verified)
    return verified
