"""US states and countries as people write them, turned into the codes carriers expect."""

from __future__ import annotations

import re
from importlib.resources import files

US_STATES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "washington dc": "DC", "washington d.c.": "DC", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH",
    "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
    "guam": "GU", "u.s. virgin islands": "VI", "us virgin islands": "VI",
    "virgin islands": "VI", "american samoa": "AS", "northern mariana islands": "MP",
    "armed forces americas": "AA", "armed forces europe": "AE", "armed forces pacific": "AP",
}  # fmt: skip
US_STATE_CODES = frozenset(US_STATES.values()) | {"FM", "MH", "PW"}

# ISO 3166-1 alpha-2, as EasyPost expects: the list the simulator checks addresses against too.
COUNTRY_CODES = frozenset(
    files("shipctl.iso3166").joinpath("alpha2.txt").read_text("ascii").split()
)

COUNTRY_NAMES: dict[str, str] = {
    "united states": "US", "united states of america": "US", "usa": "US", "u.s.a.": "US",
    "u.s.": "US", "america": "US", "canada": "CA", "can": "CA", "mexico": "MX", "mex": "MX",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "gbr": "GB", "ireland": "IE", "germany": "DE",
    "deutschland": "DE", "france": "FR", "spain": "ES", "italy": "IT", "netherlands": "NL",
    "the netherlands": "NL", "belgium": "BE", "switzerland": "CH", "austria": "AT",
    "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI", "poland": "PL",
    "portugal": "PT", "australia": "AU", "aus": "AU", "new zealand": "NZ", "japan": "JP",
    "china": "CN", "south korea": "KR", "korea": "KR", "india": "IN", "singapore": "SG",
    "hong kong": "HK", "taiwan": "TW", "israel": "IL", "brazil": "BR", "argentina": "AR",
    "chile": "CL", "colombia": "CO", "peru": "PE", "south africa": "ZA",
    "puerto rico": "PR", "philippines": "PH", "kosovo": "XK",
}  # fmt: skip

_SPACES = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower())


def country_code(text: str) -> str | None:
    """The ISO code for `US`, `us`, `United States`, `USA`…; None when unknown."""
    key = _key(text)
    if key.upper() in COUNTRY_CODES:
        return key.upper()
    return COUNTRY_NAMES.get(key)


def us_state_code(text: str) -> str | None:
    """The two-letter code for `CA`, `ca`, `California`…; None when not a US state."""
    key = _key(text)
    if key.upper() in US_STATE_CODES:
        return key.upper()
    return US_STATES.get(key)
