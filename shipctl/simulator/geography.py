"""US geography the simulated address check needs: which state a ZIP code belongs to.

USPS gives every 3-digit ZIP prefix (the sectional center) to one state. The table below
holds the prefix ranges; a prefix in no range is not in use, so no ZIP starting with it
exists. Military (AA/AE/AP) and territory prefixes are included. Time zones are each
state's main one: enough for the `details.time_zone` of a verified address.
"""

from __future__ import annotations

from functools import lru_cache

# (first prefix, last prefix, state), in prefix order.
_PREFIX_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"),
    (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"),
    (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"), (90, 98, "AE"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"),
    (202, 205, "DC"), (206, 212, "MD"), (214, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"),
    (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"), (340, 340, "AA"),
    (341, 342, "FL"), (344, 344, "FL"), (346, 347, "FL"), (349, 349, "FL"),
    (350, 352, "AL"), (354, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"),
    (400, 418, "KY"), (420, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"),
    (500, 516, "IA"), (520, 528, "IA"), (530, 532, "WI"), (534, 535, "WI"), (537, 549, "WI"),
    (550, 551, "MN"), (553, 567, "MN"), (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"),
    (590, 599, "MT"), (600, 620, "IL"), (622, 629, "IL"), (630, 631, "MO"), (633, 641, "MO"),
    (644, 658, "MO"), (660, 662, "KS"), (664, 679, "KS"), (680, 681, "NE"), (683, 693, "NE"),
    (700, 701, "LA"), (703, 708, "LA"), (710, 714, "LA"), (716, 729, "AR"), (730, 731, "OK"),
    (733, 733, "TX"), (734, 741, "OK"), (743, 749, "OK"), (750, 770, "TX"), (772, 799, "TX"),
    (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 850, "AZ"),
    (852, 853, "AZ"), (855, 857, "AZ"), (859, 860, "AZ"), (863, 865, "AZ"), (870, 875, "NM"),
    (877, 884, "NM"), (885, 885, "TX"), (889, 891, "NV"), (893, 895, "NV"), (897, 898, "NV"),
    (900, 908, "CA"), (910, 928, "CA"), (930, 961, "CA"), (962, 966, "AP"), (967, 968, "HI"),
    (969, 969, "GU"), (970, 979, "OR"), (980, 986, "WA"), (988, 994, "WA"), (995, 999, "AK"),
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
