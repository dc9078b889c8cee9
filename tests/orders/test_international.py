"""International orders as loaded: line items, the catalog, customs rules, foreign addresses."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from shipctl.carrier.customs import add_customs, customs_info, item_weights
from shipctl.errors import InputError
from shipctl.models import Address, CustomsSettings, LineItem, Order, Parcel, needs_customs
from shipctl.orders.catalog import load_catalog

from .conftest import Load, errors, orders

HEADER = ("reference,name,street1,city,state,zip,country,phone,weight,"
          "item,sku,quantity,price,currency")


def row(reference: str = "X-1", *, state: str = "ON", zip_code: str = "M5H 1A1",
        country: str = "CA", phone: str = "+1 416 555 0100", weight: str = "2lb",
        item: str = "Mug,MUG-01,2,18.00,CAD") -> str:  # fmt: skip
    address = f"Ann Roy,100 King St W,Toronto,{state},{zip_code},{country}"
    return f"{reference},{address},{phone},{weight},{item}"


def test_repeated_rows_of_one_reference_are_its_line_items(load: Load) -> None:
    text = f"{HEADER}\n{row()}\nX-1,,,,,,,,,Tee,TEE-01,1,25.50,\n{row('X-2')}\n"
    (first, second) = orders(load(text))
    assert first.rows == (2, 3) and second.rows == (4,)
    assert [(i.name, i.sku, i.quantity, i.value, i.currency) for i in first.items] == [
        ("Mug", "MUG-01", 2, Decimal("18.00"), "CAD"),
        ("Tee", "TEE-01", 1, Decimal("25.50"), "CAD"),
    ]


def test_json_items_list(load: Load) -> None:
    order = {"reference": "J-1", "name": "Hanako Sato", "street1": "丸の内1-1-1",
             "city": "東京都", "zip": "1000005", "country": "JP", "phone": "+81 3 1234 5678",
             "weight": "1lb", "currency": "JPY",
             "items": [{"name": "Tee", "quantity": 2, "price": "2600", "hs_code": "6109.10"}]}
    (loaded,) = orders(load(json.dumps([order]), "orders.json"))
    assert loaded.to_address.zip == "100-0005" and loaded.to_address.city == "東京都"
    (item,) = loaded.items
    assert (item.quantity, item.value, item.currency, item.hs_tariff_number) == (
        2, Decimal("2600"), "JPY", "610910")


@pytest.mark.parametrize(("country", "state", "zip_code", "problem"), [
    ("CA", "ON", "12345", "not a postal code of CA (such as K1A 0B1)"),
    ("CA", "", "M5H 1A1", "a province or territory is required for CA"),
    ("CA", "Texas", "M5H 1A1", "not a province or territory of CA"),
    ("GB", "", "SW1A1AAA", "not a postal code of GB"),
    ("DE", "", "1011", "not a postal code of DE"),
    ("NL", "", "10122", "not a postal code of NL"),
    ("JP", "", "100-00", "not a postal code of JP"),
    ("AU", "", "2000", "a state or territory is required for AU"),
    ("FR", "", "", "a postal code is required"),
])
def test_postal_codes_and_subdivisions_per_country(
    load: Load, country: str, state: str, zip_code: str, problem: str
) -> None:
    found = errors(load(f"{HEADER}\n{row(country=country, state=state, zip_code=zip_code)}\n"))
    assert any(problem in e.message for e in found), found


def test_countries_without_postal_codes_accept_a_blank_one(load: Load) -> None:
    (order,) = orders(load(f"{HEADER}\n{row(country='HK', state='', zip_code='')}\n"))
    assert (order.to_address.country, order.to_address.zip) == ("HK", "")


def test_postal_codes_are_normalised(load: Load) -> None:
    (order,) = orders(load(f"{HEADER}\n{row(state='Ontario', zip_code='m5h1a1')}\n"))
    assert (order.to_address.state, order.to_address.zip) == ("ON", "M5H 1A1")


def test_customs_rules_name_row_order_and_value(load: Load) -> None:
    bad = f"{HEADER}\n{row(item='Mug,MUG-01,1,0,CAD', weight='1oz')}\nX-1,,,,,,,,,Tee,T,1,5,\n"
    found = errors(load(bad))
    messages = {(e.rows, e.column, e.value): e.message for e in found}
    assert messages[((2,), "price", "0")].startswith("customs needs a value above zero")
    assert all(e.reference == "X-1" for e in found)
    no_phone = errors(load(f"{HEADER}\n{row(phone='')}\n"))
    assert [(e.column, e.reference) for e in no_phone] == [("phone", "X-1")]
    assert "X-1" in no_phone[0].message
    (with_default,) = orders(load(f"{HEADER}\n{row(phone='')}\n", default_phone="+1 555 0100"))
    assert with_default.to_address.phone == "+1 555 0100"
    no_items = errors(load(f"{HEADER}\n{row(item=',,,,')}\n"))
    assert "line items" in no_items[0].message


def test_domestic_orders_keep_items_without_customs_rules(load: Load) -> None:
    text = f"{HEADER}\nD-1,Sam,1 Main St,Austin,TX,78701,US,,12oz,Gift,,1,0,\n"
    (order,) = orders(load(text))
    assert order.items[0].value == 0 and not order.needs_customs()


def test_items_change_the_digest_only_abroad(load: Load) -> None:
    (one,) = orders(load(f"{HEADER}\n{row()}\n"))
    (two,) = orders(load(f"{HEADER}\n{row(item='Mug,MUG-01,3,18.00,CAD')}\n"))
    assert one.digest() != two.digest()
    home = "D-1,Sam,1 Main St,Austin,TX,78701,US,,12oz,Mug,,{},5,"
    (a,) = orders(load(f"{HEADER}\n{home.format(1)}\n"))
    (b,) = orders(load(f"{HEADER}\n{home.format(2)}\n"))
    assert a.digest() == b.digest()


def test_catalog_fills_hs_codes_origin_and_weights(load: Load, tmp_path: Path) -> None:
    path = tmp_path / "skus.csv"
    path.write_text("sku,name,weight,hs_tariff_number,origin_country,customs_description\n"
                    "MUG-01,,14oz,6912.00.4400,Portugal,Ceramic mug\n"
                    ",Gift Box,3oz,4819.20,US,Gift box\n")  # fmt: skip
    catalog = load_catalog(path)
    text = f"{HEADER}\n{row()}\nX-1,,,,,,,,,Gift Box,,1,4,\n"
    (order,) = orders(load(text, catalog=catalog))
    mug, box = order.items
    assert (mug.hs_tariff_number, mug.origin_country, mug.weight_oz) == (
        "6912004400", "PT", Decimal(14))
    assert (box.hs_tariff_number, box.description) == ("481920", "Gift box")
    info = customs_info(order, CustomsSettings(signer="Dana"))
    assert [i["weight"] for i in info["customs_items"]] == [28.0, 3.0]
    assert [i["value"] for i in info["customs_items"]] == [36.0, 4.0]
    assert info["customs_certify"] is True and info["eel_pfc"] == "NOEEI 30.37(a)"
    assert item_weights(order) == [Decimal("28.00"), Decimal("3.00")]


def test_catalog_rejects_bad_hs_codes(tmp_path: Path) -> None:
    path = tmp_path / "skus.csv"
    path.write_text("sku,hs_tariff_number\nA,123\n")
    with pytest.raises(InputError, match="row 2: HS tariff number '123' is not 6 to 10"):
        load_catalog(path)


def test_aes_itn_over_2500_under_one_hs_code(load: Load) -> None:
    big = row(item="Lamp,L,30,89.00,USD", weight="150lb")
    header = f"{HEADER},hs tariff number,itn"
    found = errors(load(f"{header}\n{big},9405206000,\n"))
    assert [e.column for e in found] == ["itn"]
    assert "$2,670.00 under HS 9405206000" in found[0].message
    (order,) = orders(load(f"{header}\n{big},9405206000,X20260101123456\n"))
    assert order.itn == "X20260101123456"


def test_which_orders_need_customs() -> None:
    home = Address(name="Dock", street1="1 Pier", city="Portland", state="OR", zip="97210")

    def to(country: str, state: str | None = None, zip_code: str = "00901") -> Address:
        return Address(name="Ann", street1="1 Calle", city="San Juan", state=state,
                       zip=zip_code, country=country)  # fmt: skip

    assert needs_customs(to("CA", "ON", "M5H 1A1"), home)
    assert needs_customs(to("GU"), home)  # a territory with its own customs
    assert needs_customs(to("US", "AE", "09001"), home)  # a military post office
    assert not needs_customs(to("PR"), home)  # domestic mail
    assert not needs_customs(to("US", "TX", "78701"), home)
    params: dict[str, object] = {}
    order = Order(reference="D-1", to_address=to("US", "TX", "78701"),
                  parcel=Parcel(weight_oz=Decimal(8)),
                  items=(LineItem(name="Mug", value=Decimal(5)),))  # fmt: skip
    add_customs(params, order, home, CustomsSettings(signer="Dana"))
    assert params == {}
