"""Checks that need no API: ZIP against state, territories, military mail, carrier names."""

from __future__ import annotations

import pytest

from shipctl.orders.carrier_names import carrier_problems, unknown_carrier
from shipctl.orders.zip_prefixes import state_of_zip

from .conftest import Load, errors, orders

HEADER = "reference,name,street1,city,state,zip,country,weight,carrier,service,carriers"


def _load_row(load: Load, row: str) -> tuple[list[str], int]:
    items = load(f"{HEADER}\n{row}\n")
    return [str(e) for e in errors(items)], len(orders(items))


def test_seattle_ca_is_refused_naming_row_column_value_and_problem(load: Load) -> None:
    found, valid = _load_row(load, "A-1,Ann,1 Main St,Seattle,CA,98103,US,12oz,,,")
    assert valid == 0
    assert found == ['row 2 · state · "CA" · ZIP 98103 is in WA, not CA: check the '
                     "state or the ZIP"]


def test_zip_no_state_has_is_refused(load: Load) -> None:
    found, _ = _load_row(load, "A-1,Ann,1 Main St,Nowhere,CA,00100,US,12oz,,,")
    assert found == ['row 2 · zip · "00100" · no US ZIP starts with 001; check the ZIP']


@pytest.mark.parametrize(
    "row",
    [
        "A-1,Ann,1 Main St,Seattle,WA,98103-1234,US,12oz,,,",
        "A-1,Ann,1 Calle Luna,San Juan,PR,00901,US,12oz,,,",
        "A-1,Ann,1 Calle Luna,San Juan,,00901,PR,12oz,,,",
        "A-1,Ann,1 Marine Dr,Hagatna,,96910,GU,12oz,,,",
        "A-1,Ann,1 Main St,Pago Pago,,96799,AS,12oz,,,",
        "A-1,Ann,1 Beach Rd,Saipan,,96950,MP,12oz,,,",
        "A-1,Ann,1 Main St,Charlotte Amalie,VI,00802,US,12oz,,,",
        "A-1,Sgt Ann,Unit 2050 Box 4190,APO,AP,96278,US,12oz,,,",
        "A-1,Sgt Ann,PSC 802 Box 74,APO,AE,09499,US,12oz,,,",
        "A-1,Sgt Ann,Unit 8400 Box 1,FPO,AA,34090,US,12oz,,,",
        "A-1,Ann,1 Main St,Springfield,IL,62701,US,12oz,fedex,fedex_ground,UPS:Ground;!USPS",
    ],
)
def test_territories_and_military_addresses_are_recognised(load: Load, row: str) -> None:
    found, valid = _load_row(load, row)
    # Guam, American Samoa, the Northern Marianas and military post offices take a customs
    # declaration: the address is accepted, and the order then asks for its line items.
    customs = [error for error in found if "needs its line items for customs" in error]
    assert found == customs
    assert valid == (0 if customs else 1)
    assert bool(customs) == any(f",{place}," in row for place in ("GU", "AS", "MP", "AP", "AE",
                                                                   "AA"))


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("A-1,Ann,1 Beach Rd,Saipan,,96910,MP,12oz,,,",
         'country · "MP" · ZIP 96910 is in Guam (GU), not MP'),
        ("A-1,Sgt Ann,Unit 2050 Box 4190,Tokyo,AP,96278,US,12oz,,,",
         'city · "Tokyo" · a military address in AP has APO, FPO or DPO as its city'),
        ("A-1,Sgt Ann,Unit 2050 Box 4190,APO,AE,96278,US,12oz,,,",
         "ZIP 96278 is in Armed Forces Pacific (AP), not AE"),
        ("A-1,Ann,1 Main St,APO,IL,62701,US,12oz,,,",
         'state · "IL" · APO mail goes to state AA, AE or AP'),
    ],
)
def test_wrong_territory_or_military_address_is_refused(
    load: Load, row: str, expected: str
) -> None:
    found, valid = _load_row(load, row)
    assert valid == 0 and len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("Fedx,,", 'carrier · "Fedx" · unknown carrier Fedx; known: USPS, UPS, FedEx, '),
        ("UPS,Grund,", 'service · "Grund" · unknown UPS service Grund; known: Ground,'),
        (",,!FedExx", 'carriers · "!FedExx" · unknown carrier FedExx; known: USPS, UPS'),
        (",,USPS;DHLX", 'carriers · "USPS;DHLX" · unknown carrier DHLX; known: USPS'),
    ],
)
def test_unknown_carriers_and_services_list_the_valid_ones(
    load: Load, cells: str, expected: str
) -> None:
    found, valid = _load_row(load, f"A-1,Ann,1 Main St,Springfield,IL,62701,US,12oz,{cells}")
    assert valid == 0 and len(found) == 1 and expected in found[0], found


def test_account_carriers_replace_the_known_names() -> None:
    assert unknown_carrier("Fedx", ["USPS", "UPS", "FedEx"]) == (
        "unknown carrier Fedx; known: USPS, UPS, FedEx")
    assert unknown_carrier("fedex", ["USPS", "UPS", "FedEx"]) is None
    assert carrier_problems([("UPS", None)], ["USPS"]) == ["unknown carrier UPS; known: USPS"]


def test_zip_table_edges() -> None:
    assert state_of_zip("98103") == "WA" and state_of_zip("00501") == "NY"
    assert state_of_zip("99950") == "AK" and state_of_zip("96960") == "MH"
    assert state_of_zip("21300") is None and state_of_zip("abcde") is None


def test_the_offline_table_agrees_with_the_simulators_address_check() -> None:
    """Two copies (the simulator imports nothing from shipctl): every prefix agrees, so an
    order refused offline is one the simulator would refuse, and the other way round."""
    from shipctl.orders.zip_prefixes import SINGLE_ZIPS
    from shipctl.simulator import geography

    for prefix in range(1000):
        zip_code = f"{prefix:03d}01"
        assert state_of_zip(zip_code) == geography.state_of_zip(zip_code), zip_code
    assert all(geography.state_of_zip(z) is not None for z in SINGLE_ZIPS)


def test_every_zip_in_use_is_where_the_offline_table_says() -> None:
    """The simulator knows each ZIP (the `zipcodes` data); order validation only prefixes.
    Every ZIP in use is in the state the prefix table gives it, so no real address is refused
    offline, except the dataset's few oddities listed here."""
    import zipcodes

    oddities = {
        "87654", "88888",  # Spaceport City, NM and North Pole, DC: one-off unique ZIPs
        # APO/DPO ZIPs of region AE the dataset files under NJ
        "09905", "09980", "09981", "09982", "09983", "09984",
    }
    wrong = [(row["zip_code"], row["state"], state_of_zip(row["zip_code"]))
             for row in zipcodes.list_all()
             if row["active"] and row["zip_code"] not in oddities
             and state_of_zip(row["zip_code"]) != row["state"]]
    assert wrong == []
    assert state_of_zip("85140") == "AZ" and state_of_zip("09901") == "AE"
    assert state_of_zip("06390") == "NY"  # Fishers Island, in Connecticut's prefix
