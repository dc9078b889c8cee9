"""US geography the simulated address check needs: which state a ZIP code belongs to, and
which place (city and state) a ZIP that exists is.

USPS gives every 3-digit ZIP prefix (the sectional center) to one state. The prefix ranges
are the ones order validation uses (shipctl/uszip/prefixes.txt, read as data); a prefix in
no range is not in use, so no ZIP starting with it exists. Military (AA/AE/AP) and territory
prefixes are included. Which 5-digit ZIPs exist, and their city names, come from the
`zipcodes` package (USPS and unitedstateszipcodes.org data, embedded; loaded on first use).
Time zones are each state's main one: enough for the `details.time_zone` of a verified
address.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import zipcodes

# (first prefix, last prefix, state), in prefix order: shipctl/uszip/prefixes.txt.
_PREFIX_RANGES: tuple[tuple[int, int, str], ...] = tuple(
    (int(first), int(last), state)
    for first, last, state in (
        line.split() for line in
        files("shipctl.uszip").joinpath("prefixes.txt").read_text("ascii").splitlines()
        if line and not line.startswith("#")
    )
)

_EASTERN = "America/New_York"
_CENTRAL = "America/Chicago"
_MOUNTAIN = "America/Denver"
_PACIFIC = "America/Los_Angeles"

_ZONE_STATES = (
    (_EASTERN, "CT DC DE FL GA IN KY MA MD ME MI NC NH NJ NY OH PA RI SC VA VT WV"),
    (_CENTRAL, "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI"),
    (_MOUNTAIN, "CO ID MT NM UT WY"),
    (_PACIFIC, "CA NV OR WA"),
    ("America/Phoenix", "AZ"), ("America/Anchorage", "AK"), ("Pacific/Honolulu", "HI"),
    ("America/Puerto_Rico", "PR"), ("America/St_Thomas", "VI"), ("Pacific/Guam", "GU"),
)
TIME_ZONES: dict[str, str] = {
    state: zone for zone, states in _ZONE_STATES for state in states.split()
}


@lru_cache(maxsize=1024)
def state_of_zip(zip_code: str) -> str | None:
    """The state a US ZIP (`94107` or `94107-1670`) belongs to; None when no such ZIP exists."""
    zip5 = zip_code.strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    prefix = int(zip5[:3])
    for first, last, state in _PREFIX_RANGES:
        if first <= prefix <= last:
            return state
        if prefix < first:
            return None
    return None


def time_zone(state: str | None) -> str | None:
    return TIME_ZONES.get((state or "").upper())


@dataclass(frozen=True)
class ZipPlace:
    """Where a ZIP that exists delivers: its state (a military ZIP: its AA/AE/AP region too),
    the city USPS prefers, and the names of the place as `city_key` gives them: those USPS
    accepts on mail, and those it knows but does not accept (a neighbourhood: `Wallingford`
    for 98103), which verification corrects to the preferred city."""

    zip5: str
    states: frozenset[str]
    city: str
    accepted: frozenset[str]
    corrected: frozenset[str]

    @property
    def state(self) -> str:
        return min(self.states)

    def last_line(self) -> str:
        """`SEATTLE, WA 98103`."""
        return f"{self.city.upper()}, {self.state} {self.zip5}"


MILITARY_CITIES = frozenset({"APO", "FPO", "DPO"})


def zip_place(zip_code: str) -> ZipPlace | None:
    """The place of a US ZIP (`98103`, `98103-1234`, `981031234`); None when no such ZIP is in
    use (unknown, or decommissioned)."""
    zip5 = zip_code.strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    return _place(zip5)


@lru_cache(maxsize=8192)
def _place(zip5: str) -> ZipPlace | None:
    found = [row for row in zipcodes.matching(zip5) if row.get("active", True)]
    if not found:
        return None
    row = found[0]
    states = {row["state"]}
    accepted = {city_key(row["city"]), *(city_key(c) for c in row["acceptable_cities"])}
    if row.get("zip_code_type") == "MILITARY" or city_key(row["city"]) in MILITARY_CITIES:
        accepted |= MILITARY_CITIES  # APO, FPO or DPO: the kind of post office
        states |= {state for state in (state_of_zip(zip5),) if state}
    return ZipPlace(zip5, frozenset(states), row["city"], frozenset(accepted),
                    frozenset(city_key(c) for c in row["unacceptable_cities"]))


# The words a city name is written short with; `St. Louis`, `Saint Louis`, `ST LOUIS` are one.
_CITY_WORDS = {
    "ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT", "MTN": "MOUNTAIN",
    "PT": "POINT", "N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST", "NE": "NORTHEAST",
    "NW": "NORTHWEST", "SE": "SOUTHEAST", "SW": "SOUTHWEST", "HTS": "HEIGHTS",
    "SPGS": "SPRINGS", "SPRGS": "SPRINGS", "BCH": "BEACH", "CTR": "CENTER", "CY": "CITY",
    "JCT": "JUNCTION", "LK": "LAKE", "VLY": "VALLEY", "VLG": "VILLAGE", "PK": "PARK",
    "TWP": "TOWNSHIP", "IS": "ISLAND", "HBR": "HARBOR", "GRV": "GROVE", "CRK": "CREEK",
}


@lru_cache(maxsize=8192)
def city_key(name: str) -> str:
    """A city name compared as USPS would: case, accents, punctuation, spacing and the usual
    short forms (St., Ft, Mt, N…) ignored: `Ft. Worth` and `FORT WORTH` have one key."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).upper()
    words = "".join(ch if ch.isalnum() else " " for ch in plain.replace("'", "")).split()
    return "".join(_CITY_WORDS.get(word, word) for word in words)
