"""Checks of a US address that need no API: ZIP against state, territories, military mail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipctl.orders.zip_prefixes import (
    MILITARY_CITIES,
    MILITARY_STATES,
    TERRITORIES,
    state_of_zip,
)

if TYPE_CHECKING:
    from shipctl.orders.validation import RowReport

_NAMES = {"AA": "Armed Forces Americas", "AE": "Armed Forces Europe",
          "AP": "Armed Forces Pacific", "PR": "Puerto Rico", "VI": "the US Virgin Islands",
          "GU": "Guam", "AS": "American Samoa", "MP": "the Northern Mariana Islands"}  # fmt: skip


def region_name(code: str) -> str:
    """`WA`, or `Guam (GU)` for a territory or military region."""
    return f"{_NAMES[code]} ({code})" if code in _NAMES else code


def check_us_geography(report: RowReport, prefix: str, parts: dict[str, str]) -> None:
    """The problems of `geography_problems`, on the row's columns."""
    for part, message in geography_problems(parts):
        report.add(f"{prefix}.{part}", message)


def geography_problems(parts: dict[str, str]) -> list[tuple[str, str]]:
    """(part, message): ZIP ↔ state (`Seattle, CA 98103` is caught), APO/FPO/DPO only with
    AA/AE/AP.

    `parts` holds the address's cleaned values: a US one (state a code), or one whose country
    is a US territory (PR, VI, GU, AS, MP), whose ZIP must then be that territory's."""
    country, state, zip_code = parts.get("country") or "US", parts.get("state") or "", \
        parts.get("zip") or ""
    city = " ".join((parts.get("city") or "").upper().replace(".", "").split())
    region = state.upper() if country == "US" else country
    if not region or not zip_code:
        return []
    zip_state = state_of_zip(zip_code)
    if zip_state is None:
        return [("zip", f"no US ZIP starts with {zip_code[:3]}; check the ZIP")]
    if zip_state != region:
        where = "state" if country == "US" else "country"
        return [(where, f"ZIP {zip_code} is in {region_name(zip_state)}, not {region}: "
                        f"check the {where} or the ZIP")]  # fmt: skip
    if region in MILITARY_STATES and city not in MILITARY_CITIES:
        return [("city", f"a military address in {region} has APO, FPO or DPO as its city")]
    if city in MILITARY_CITIES and region not in MILITARY_STATES:
        return [("state", f"{city} mail goes to state AA, AE or AP")]
    return []


def is_us_territory(country: str) -> bool:
    return country in TERRITORIES
