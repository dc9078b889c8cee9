"""Every kind of row error: exact row, column (as the file spells it), value and message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shipctl.models import Address
from shipctl.orders import RowError

from .conftest import GOOD, HEADER, Load, errors, orders

FULL = "Reference,Name,Company,Street1,City,State,ZIP,Country,Weight,Parcel,Label Format"


def _one_error(load: Load, row: str, header: str = FULL, **options: object) -> RowError:
    items = load(f"{header}\n{row}\n", **options)
    found = errors(items)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (",Ann,,1 Main St,Springfield,IL,62701,US,12oz,,", "Reference", "",
         "an order reference is required"),
        ("A-1,,,1 Main St,Springfield,IL,62701,US,12oz,,", "Name", "",
         "a name or a company is required"),
        ("A-1,Ann,,,Springfield,IL,62701,US,12oz,,", "Street1", "",
         "a street address is required"),
        ("A-1,Ann,,1 Main St,,IL,62701,US,12oz,,", "City", "", "a city is required"),
        ("A-1,Ann,,1 Main St,Springfield,IL,,US,12oz,,", "ZIP", "",
         "a ZIP or postal code is required"),
        ("A-1,Ann,,1 Main St,Springfield,IL,9410,US,12oz,,", "ZIP", "9410",
         "a US ZIP has 5 or 9 digits"),
        ("A-1,Ann,,1 Main St,Springfield,Ilinois,62701,US,12oz,,", "State", "Ilinois",
         "not a US state; use the two-letter code, such as CA"),
        ("A-1,Ann,,1 Main St,Springfield,,62701,US,12oz,,", "State", "",
         "a US state is required (two letters, such as CA)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,Narnia,12oz,,", "Country", "Narnia",
         "unknown country; use a two-letter code such as US or CA"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,abc,,", "Weight", "abc",
         "a weight is a positive number with an optional unit (oz, lb, g, kg)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,-1,,", "Weight", "-1",
         "a weight is a positive number with an optional unit (oz, lb, g, kg)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,0,,", "Weight", "0",
         "a weight must be more than zero"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,3 stone,,", "Weight", "3 stone",
         "unknown weight unit 'stone' (use oz, lb, g or kg)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,200lb,,", "Weight", "200lb",
         "too heavy (max 150 lb, 2,400 oz)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,1e5lb,,", "Weight", "1e5lb",
         "too heavy (max 150 lb, 2,400 oz)"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,,,", "Weight", "",
         "a weight is required, such as 12oz or 1.5lb"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,12oz,10x8,", "Parcel", "10x8",
         "dimensions are LxWxH with an optional unit (in, cm, mm), e.g. 10x8x4"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,12oz,tiny,", "Parcel", "tiny",
         "unknown parcel preset (known presets: large, medium, small); "
         "or give dimensions such as 10x8x4"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,12oz,,GIF", "Label Format", "GIF",
         "a label format is PNG, PDF or ZPL"),
        ("A-1,Ann,,1 Main St,Springfield,IL,62701,US,12oz,9 x 8 x 0,", "Parcel", "9 x 8 x 0",
         "every dimension must be more than zero"),
    ],
)
def test_each_error_kind(load: Load, row: str, column: str, value: str, message: str) -> None:
    error = _one_error(load, row)
    assert (error.rows, error.column, error.value, error.message) == ((2,), column, value, message)


def test_str_of_a_row_error(load: Load) -> None:
    error = _one_error(load, "A-1,Ann,,1 Main St,Springfield,IL,9410,US,12oz,,")
    assert str(error) == 'row 2 · ZIP · "9410" · a US ZIP has 5 or 9 digits'
    assert error.reference == "A-1"


def test_reference_too_long(load: Load) -> None:
    error = _one_error(load, f"{'R' * 101},Ann,,1 Main St,Springfield,IL,62701,US,1oz,,")
    assert error.column == "Reference"
    assert error.message == "a reference has at most 100 characters (this one has 101)"
    assert error.value.endswith("…") and len(error.value) == 80


def test_huge_cell_is_a_row_error(load: Load) -> None:
    error = _one_error(load, f"A-1,{'x' * 5000},,1 Main St,Springfield,IL,62701,US,1oz,,")
    message = "is 5,000 characters long; a cell holds at most 1,000"
    assert (error.column, error.message) == ("Name", message)


def test_every_error_of_a_row_is_reported(load: Load) -> None:
    items = load(f"{FULL}\nA-1,,,1 Main St,,XX,941,US,abc,tiny,GIF\n")
    found = [(e.column, e.value) for e in errors(items)]
    assert found == [
        ("Name", ""), ("City", ""), ("State", "XX"), ("ZIP", "941"), ("Weight", "abc"),
        ("Parcel", "tiny"), ("Label Format", "GIF"),
    ]
    assert all(e.rows == (2,) for e in errors(items))


def test_second_reference_names_both_rows(load: Load) -> None:
    items = load(f"{HEADER}\n{GOOD}\nB-2,Bo,2 Elm St,Austin,TX,78704,1lb\n{GOOD}\n")
    (error,) = errors(items)
    assert str(error) == 'row 4 · reference · "A-1" · the reference is already used on row 2'
    assert len(orders(items)) == 2


def test_rate_rule_columns(load: Load) -> None:
    header = f"{HEADER},rate_rule,carriers,max_days,max_rate"
    items = load(f"{header}\n{GOOD},fastest,USPS;UPS:Ground;!FedEx,3,$12.50\n")
    (order,) = orders(items)
    assert order.rate_rule is not None
    assert order.rate_rule.describe() == "fastest USPS UPS:Ground !FedEx ≤3 days ≤$12.50"
    bad = load(f"{header}\n{GOOD},slowest,USPS;!,soon,-3\n")
    assert [(e.column, e.value, e.message) for e in errors(bad)] == [
        ("rate_rule", "slowest", "a rate rule is cheapest or fastest"),
        ("carriers", "USPS;!", "carriers look like USPS;UPS:Ground;!FedEx (! excludes one)"),
        ("max_days", "soon", "max_days is a whole number of days, such as 3"),
        ("max_rate", "-3", "max_rate is an amount in dollars more than zero, such as 12.50"),
    ]


def test_separate_dimensions_must_come_together(load: Load) -> None:
    items = load(f"{HEADER},length,width,height\n{GOOD},10,,abc\n")
    assert [(e.column, e.value, e.message) for e in errors(items)] == [
        ("width", "", "give length, width and height together, or none of them"),
        ("height", "abc", "a height is a number of inches more than zero"),
    ]


def test_weight_unit_column_and_bare_numbers_in_ounces(load: Load) -> None:
    items = load(f"{HEADER},weight_unit\nA-1,Ann,1 Main St,Springfield,IL,62701,2,lb\n"
                 f"B-2,Bo,1 Main St,Springfield,IL,62701,10,\n"
                 f"C-3,Cy,1 Main St,Springfield,IL,62701,1,stone\n")  # fmt: skip
    loaded = orders(items)
    assert [o.parcel.weight_oz for o in loaded] == [Decimal("32.00"), Decimal("10.00")]
    (error,) = errors(items)
    assert (error.rows, error.column, error.message) == ((4,), "weight_unit",
                                                         "a weight unit is oz, lb, g or kg")


def test_names_and_formulas_and_apostrophes(load: Load) -> None:
    header = "reference,name,street1,city,state,zip,country,weight"
    items = load(f'{header}\n=HYPERLINK("x"),  @Ann  ,+1 Main St,-City,massachusetts,'
                 f"'02134,United States,12oz\n")  # fmt: skip
    (order,) = orders(items)
    assert order.reference == '=HYPERLINK("x")'
    assert order.to_address.name == "@Ann"
    assert (order.to_address.state, order.to_address.zip) == ("MA", "02134")
    assert order.to_address.country == "US"


def test_defaults_fill_weight_parcel_and_sender(load: Load) -> None:
    sender = Address(name="Dock", street1="1 Pier", city="Portland", state="OR", zip="97210")
    header = "reference,name,street1,city,state,zip"
    items = load(f"{header}\nA-1,Ann,1 Main St,Springfield,IL,62701\n",
                 default_weight=Decimal(9), default_parcel="small", default_from=sender)
    (order,) = orders(items)
    assert order.parcel.weight_oz == 9 and order.parcel.length == 8
    assert order.from_address == sender


def test_non_us_address_needs_no_state(load: Load) -> None:
    header = "reference,name,street1,city,zip,country,phone,weight,item,price"
    (order,) = orders(load(f"{header}\nA-1,Ann,Unter den Linden 1,Berlin,10117,Germany,"
                           "+49 30 1234,1lb,Mug,12\n"))
    assert (order.to_address.country, order.to_address.state) == ("DE", None)


def test_row_errors_carry_the_reference(load: Load) -> None:
    (error,) = errors(load(f"{HEADER}\nA-9,Ann,1 Main St,Springfield,IL,6270,12oz\n"))
    assert error.reference == "A-9"


def test_model_limits_are_mapped_to_the_column_in_plain_words(load: Load) -> None:
    error = _one_error(load, f"A-1,Ann,,{'9' * 250} Main St,Springfield,IL,62701,US,1oz,,")
    assert (error.column, error.message) == ("Street1", "is too long (at most 200 characters)")
    assert "pydantic" not in str(error) and "Value error" not in str(error)
