"""Mappings: the template, EasyPost dotted headers, Shopify, a user's own; detected or forced."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shipctl.errors import InputError
from shipctl.models import Address
from shipctl.orders import LoadOptions, OrderSource, SkippedOrder, load_mapping_file
from shipctl.orders.mappings import detect_mapping, normalize

from .conftest import EXAMPLES, GOOD, HEADER, Load, errors, orders

EASYPOST_HEADER = (
    "reference,to_address.name,to_address.street1,to_address.city,to_address.state,"
    "to_address.zip,parcel.length,parcel.width,parcel.height,parcel.weight,"
    "options.label_format,carrier,service,from_address.company,from_address.street1,"
    "from_address.city,from_address.state,from_address.zip"
)
EASYPOST_ROW = "EP-1,Ann Lee,1 Main St,Springfield,IL,62701,10,8,4,12.5,zpl,USPS,Priority,,,,,"


def _mapping(tmp_path: Path, text: str, name: str = "orders.csv", **options: Any) -> str:
    path = tmp_path / name
    path.write_text(text)
    with OrderSource(path, LoadOptions(**options)) as source:
        return source.mapping


def test_header_names_are_compared_loosely() -> None:
    assert normalize("  Ship-To_Name ") == "ship to name"
    assert normalize("to_address.zip") == "to address.zip"


def test_template_synonyms_and_case(load: Load) -> None:
    text = "ORDER NUMBER,Full_Name,Address 1,City,State,Postal-Code,Weight\n" + GOOD + "\n"
    (order,) = orders(load(text))
    assert (order.reference, order.to_address.name) == ("A-1", "Ann Lee")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.split(","), "shipctl"),
        (EASYPOST_HEADER.split(","), "easypost"),
        ((EXAMPLES / "shopify_orders_export.csv").read_text().splitlines()[0].split(","),
         "shopify"),
    ],
)
def test_detection(header: list[str], expected: str) -> None:
    assert detect_mapping(header) == expected


def test_easypost_dotted_csv(load: Load, tmp_path: Path) -> None:
    sender = Address(name="Dock", street1="1 Pier", city="Portland", state="OR", zip="97210")
    items = load(f"{EASYPOST_HEADER}\n{EASYPOST_ROW}\n"
                 "EP-2,Bo,2 Elm St,Austin,TX,78704,,,,8,,,,Acme,9 Dock Rd,Reno,NV,89501\n",
                 default_from=sender)  # fmt: skip
    first, second = orders(items)
    assert first.parcel.weight_oz == Decimal("12.5")  # EasyPost weights are ounces
    assert (first.parcel.length, first.label_format, first.carrier) == (10, "ZPL", "USPS")
    assert first.from_address == sender
    assert second.from_address is not None and second.from_address.company == "Acme"
    assert _mapping(tmp_path, f"{EASYPOST_HEADER}\n{EASYPOST_ROW}\n") == "easypost"


def test_easypost_nested_json(load: Load) -> None:
    data = [{"reference": "EP-1",
             "to_address": {"name": "Ann", "street1": "1 Main St", "city": "Springfield",
                            "state": "IL", "zip": "62701", "country": "US"},
             "parcel": {"weight": 10.5, "length": 9, "width": 6, "height": 2},
             "options": {"label_format": "PNG"}}]  # fmt: skip
    items = load(json.dumps(data), "orders.json")
    (order,) = orders(items)
    assert (order.parcel.weight_oz, order.parcel.height, order.label_format) == (
        Decimal("10.5"), 2, "PNG")  # fmt: skip


def test_easypost_row_error_names_the_dotted_column(load: Load) -> None:
    (error,) = errors(load(f"{EASYPOST_HEADER}\n{EASYPOST_ROW.replace('62701', '6270')}\n"))
    assert (error.column, error.value) == ("to_address.zip", "6270")


def test_forcing_a_mapping_checks_its_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        _mapping(tmp_path, f"{HEADER}\n{GOOD}\n", mapping="easypost")
    assert caught.value.message.endswith(
        "orders.csv: no column for to_address.name or to_address.company, "
        "to_address.street1, to_address.city, to_address.zip, parcel.weight (mapping: easypost); "
        "found: 'reference', 'name', 'street1', 'city', 'state', 'zip', 'weight'"
    )
    assert _mapping(tmp_path, f"{HEADER}\n{GOOD}\n", mapping="shipctl") == "shipctl"


def test_header_without_required_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        _mapping(tmp_path, "sku,qty,price\nX,1,2\n")
    assert caught.value.message.endswith(
        "no column for reference, name or company, street1, city, zip, weight "
        "(mapping: shipctl); found: 'sku', 'qty', 'price'"
    )


def test_weight_column_not_required_with_a_default_weight(load: Load) -> None:
    header = "reference,name,street1,city,state,zip"
    items = load(f"{header}\nA-1,Ann,1 Main St,Springfield,IL,62701\n", default_weight=Decimal(4))
    assert orders(items)[0].parcel.weight_oz == 4


def test_user_mapping(load: Load, tmp_path: Path) -> None:
    text = ("Order #,Ship To,Addr,Town,St,Postcode,Oz,Box\n"
            "U-1,Ann Lee,1 Main St,Springfield,IL,62701,12,small\n")  # fmt: skip
    user_map = {"reference": "Order #", "to.name": "Ship To", "to.street1": "Addr",
                "to.city": "Town", "to.state": "St", "to.zip": "postcode", "weight": "oz",
                "parcel": "Box"}  # fmt: skip
    (order,) = orders(load(text, user_map=user_map))
    assert (order.reference, order.parcel.weight_oz, order.parcel.length) == ("U-1", 12, 8)
    assert _mapping(tmp_path, text, user_map=user_map) == "custom"
    (error,) = errors(load(text.replace("62701", "627"), user_map=user_map))
    assert (error.column, error.value) == ("Postcode", "627")


def test_user_mapping_refuses_unknown_fields_and_columns(load: Load) -> None:
    text = f"{HEADER}\n{GOOD}\n"
    with pytest.raises(InputError, match=r"unknown field\(s\) in the column mapping: colour"):
        load(text, user_map={"colour": "name"})
    with pytest.raises(InputError, match=r"names column\(s\) the file does not have: "
                                         r"Ship To \(for to.name\)"):  # fmt: skip
        load(text, user_map={"to.name": "Ship To"})


def test_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text('[mapping]\nreference = "Order #"\n"to.name" = "Ship To"\n')
    assert load_mapping_file(path) == {"reference": "Order #", "to.name": "Ship To"}
    path.write_text("[mapping]\nreference = 3\n")
    with pytest.raises(InputError, match="mapping values must be column names"):
        load_mapping_file(path)
    path.write_text("reference = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_mapping_file(path)
    with pytest.raises(InputError, match="cannot read it"):
        load_mapping_file(tmp_path / "missing.toml")


SHOPIFY_HEADER = (EXAMPLES / "shopify_orders_export.csv").read_text().splitlines()[0]
COLUMNS = SHOPIFY_HEADER.split(",")


def _shopify_row(**cells: str) -> str:
    row = dict.fromkeys(COLUMNS, "")
    row.update({k.replace("_", " "): v for k, v in cells.items()})
    return ",".join(row[c] for c in COLUMNS)


def _shopify_order(name: str, *items: tuple[str, str, str]) -> list[str]:
    first = dict(Name=name, Shipping_Name="Ann Lee", Shipping_Address1="1 Main St",
                 Shipping_City="Springfield", Shipping_Zip="62701", Shipping_Province="IL",
                 Shipping_Country="US", Fulfillment_Status="unfulfilled")  # fmt: skip
    rows = []
    for index, (qty, sku, requires) in enumerate(items):
        base = first if index == 0 else {"Name": name}
        rows.append(_shopify_row(**base, Lineitem_quantity=qty, Lineitem_sku=sku,
                                 Lineitem_requires_shipping=requires))  # fmt: skip
    return rows


def test_shopify_unknown_sku_and_default_weight(load: Load) -> None:
    text = "\n".join([SHOPIFY_HEADER, *_shopify_order("#1", ("1", "A", "true"),
                                                      ("2", "B", "true"))]) + "\n"  # fmt: skip
    items = load(text, sku_weights={"A": Decimal(5)})
    (error,) = errors(items)
    assert str(error) == ('row 3 · Lineitem sku · "B" · no weight for this SKU: add it to the '
                          "--sku-weights file, or pass --default-weight")  # fmt: skip
    (order,) = orders(load(text, sku_weights={"A": Decimal(5)}, default_weight=Decimal(20)))
    assert order.parcel.weight_oz == 20
    (order,) = orders(load(text, sku_weights={"A": Decimal(5), "B": Decimal(1)}))
    assert (order.parcel.weight_oz, order.rows) == (7, (2, 3))


def test_shopify_reappearing_name_is_a_duplicate(load: Load) -> None:
    rows = [*_shopify_order("#1", ("1", "A", "true")), *_shopify_order("#2", ("1", "A", "true")),
            *_shopify_order("#1", ("1", "A", "true"))]  # fmt: skip
    items = load("\n".join([SHOPIFY_HEADER, *rows]) + "\n", sku_weights={"A": Decimal(5)})
    (error,) = errors(items)
    assert str(error) == 'row 4 · Name · "#1" · the reference is already used on row 2'


def test_shopify_bad_quantity_and_address(load: Load) -> None:
    rows = _shopify_order("#1", ("x", "A", "true"))
    items = load("\n".join([SHOPIFY_HEADER, *rows]) + "\n", default_weight=Decimal(3))
    assert [(e.column, e.value) for e in errors(items)] == [("Lineitem quantity", "x")]
    rows = _shopify_order("#2", ("1", "A", "true"), ("1", "B", "true"))
    text = "\n".join([SHOPIFY_HEADER, *rows]).replace("62701", "6270") + "\n"
    (error,) = errors(load(text, default_weight=Decimal(3)))
    assert (error.rows, error.column) == ((2,), "Shipping Zip")


def test_shopify_forced_on_a_template_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no column for Shipping Address1 or Shipping "
                                         r"Street, .* \(mapping: shopify\)"):  # fmt: skip
        _mapping(tmp_path, f"{HEADER}\n{GOOD}\n", mapping="shopify")


def test_shopify_skip_is_a_skipped_order(load: Load) -> None:
    rows = _shopify_order("#9", ("1", "GC", "false"))
    (item,) = load("\n".join([SHOPIFY_HEADER, *rows]) + "\n")
    assert item == SkippedOrder("#9", (2,), "nothing to ship (only gift cards or items that do "
                                            "not require shipping)")  # fmt: skip
