"""US states and countries as people write them, turned into the codes carriers expect."""

from __future__ import annotations

import re

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

# ISO 3166-1 alpha-2, as EasyPost expects.
_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
ZW
"""
COUNTRY_CODES = frozenset(_ISO_CODES.split())

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
    "puerto rico": "PR", "philippines": "PH",
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
