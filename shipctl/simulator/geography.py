"""US geography the simulated address check needs: which state a ZIP code belongs to.

USPS gives every 3-digit ZIP prefix (the sectional center) to one state. The prefix ranges
are the ones order validation uses (shipctl/uszip/prefixes.txt, read as data); a prefix in
no range is not in use, so no ZIP starting with it exists. Military (AA/AE/AP) and territory
prefixes are included. Time zones are each state's main one: enough for the
`details.time_zone` of a verified address.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

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
