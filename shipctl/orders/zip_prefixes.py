"""Which US state, territory or military region each ZIP belongs to, from its 3-digit prefix.

USPS gives every 3-digit prefix (the sectional center) to one state; a prefix in no range is
not in use, so no ZIP starting with it exists. A few prefixes are shared between territories
(969: Guam, the Northern Mariana Islands, Palau, Micronesia, the Marshall Islands; 967:
Hawaii and American Samoa), and a few ZIPs cross a state line (Fishers Island, NY 06390 in
Connecticut's prefix): those ZIPs are listed one by one. Data only, no I/O.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

# (first prefix, last prefix, state), in prefix order: shipctl/uszip/prefixes.txt.
PREFIX_RANGES: tuple[tuple[int, int, str], ...] = tuple(
    (int(first), int(last), state)
    for first, last, state in (
        line.split() for line in
        files("shipctl.uszip").joinpath("prefixes.txt").read_text("ascii").splitlines()
        if line and not line.startswith("#")
    )
)

# ZIPs of a shared prefix that belong elsewhere than their prefix's range says.
SINGLE_ZIPS: dict[str, str] = {
    "96799": "AS", "96950": "MP", "96951": "MP", "96952": "MP", "96939": "PW", "96940": "PW",
    "96941": "FM", "96942": "FM", "96943": "FM", "96944": "FM", "96960": "MH", "96970": "MH",
    "06390": "NY", "20588": "MD", "20598": "VA", "72643": "MO", "73960": "TX", "83414": "WY",
}  # fmt: skip

TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})
MILITARY_STATES = frozenset({"AA", "AE", "AP"})
MILITARY_CITIES = frozenset({"APO", "FPO", "DPO"})


@lru_cache(maxsize=4096)
def state_of_zip(zip_code: str) -> str | None:
    """The state a US ZIP (`98103` or `98103-1234`) belongs to; None when no such ZIP exists."""
    zip5 = zip_code.strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    if zip5 in SINGLE_ZIPS:
        return SINGLE_ZIPS[zip5]
    prefix = int(zip5[:3])
    for first, last, state in PREFIX_RANGES:
        if first <= prefix <= last:
            return state
        if prefix < first:
            return None
    return None
