"""Which US state, territory or military region each ZIP belongs to, from its 3-digit prefix.

USPS gives every 3-digit prefix (the sectional center) to one state; a prefix in no range is
not in use, so no ZIP starting with it exists. A few prefixes are shared between territories
(969: Guam, the Northern Mariana Islands, Palau, Micronesia, the Marshall Islands; 967:
Hawaii and American Samoa): those ZIPs are listed one by one. Data only, no I/O.
"""

from __future__ import annotations

from functools import lru_cache

# (first prefix, last prefix, state), in prefix order.
PREFIX_RANGES: tuple[tuple[int, int, str], ...] = (
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
)  # fmt: skip

# ZIPs of a shared prefix that belong elsewhere than their prefix's range says.
SINGLE_ZIPS: dict[str, str] = {
    "96799": "AS", "96950": "MP", "96951": "MP", "96952": "MP", "96939": "PW", "96940": "PW",
    "96941": "FM", "96942": "FM", "96943": "FM", "96944": "FM", "96960": "MH", "96970": "MH",
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
