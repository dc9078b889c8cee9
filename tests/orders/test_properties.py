"""The loaders fuzzed: whatever the bytes, loading ends in orders, row errors or one InputError.

The one fuzz suite of order input (stdin and files, CSV, JSON and JSON Lines, any encoding);
a row error always names its rows and its column, an InputError is one line.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipctl.errors import InputError
from shipctl.models import Order
from shipctl.orders import LoadOptions, OrderSource, RowError, SkippedOrder

from .conftest import PRESETS

Loaded = Order | RowError | SkippedOrder

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight"]
GOOD_ROW = ["SO-1", "Ann Lee", "1 Main St", "Springfield", "IL", "62701", "12oz"]
COLUMNS = [*HEADER, "company", "street2", "country", "parcel", "label_format", "rate_rule",
           "carriers", "max_days", "max_rate", "length", "width", "height", "Order",
           "Lineitem quantity", "Shipping Address1", "Name", "to_address.zip", "parcel.weight",
           "Reference", "extra", ""]  # fmt: skip
FORMULAS = st.sampled_from(["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("http://x")'])
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "12oz", "1.5lb", "0", "-1", "abc", "10x8x4", "small", "US", "IL",
                     "62701", "'02134", "PDF", "fastest", "USPS;!FedEx", "3", "1e9999", "NaN",
                     "9" * 40, "1" * 40 + "x2x3", '"', "\n", "\r\n", ",", ";", "\t", "\t=1"]),
    FORMULAS,
    st.text(min_size=1001, max_size=1500),  # over the 1,000-character cell limit
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252",
             "shift_jis"]  # fmt: skip


def _check(items: list[Loaded]) -> list[Loaded]:
    for item in items:
        assert item.rows and min(item.rows) >= 1, item
        if isinstance(item, RowError):
            assert item.column and str(item), item
    return items


def _load(data: bytes, fmt: str, **options: Any) -> list[Loaded]:
    """Everything the source yields from stdin; an InputError is allowed (returns [])."""
    opts = LoadOptions(format=fmt, parcel_presets=PRESETS, **options)
    try:
        return _check(list(OrderSource("-", opts, stdin=io.BytesIO(data))))
    except InputError as err:
        assert err.message and "\n" not in err.message
        return []


def _load_file(data: bytes, name: str) -> list[Loaded]:
    """The same from a file, its format told by its name."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return _check(list(OrderSource(path, LoadOptions(parcel_presets=PRESETS))))
        except InputError as err:
            assert err.message and "\n" not in err.message
            return []


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["csv", "json", "jsonl"]))
def test_random_bytes(data: bytes, fmt: str) -> None:
    _load(data, fmt)
    _load_file(data, f"orders.{fmt}")


@FAST
@given(
    st.lists(st.sampled_from(COLUMNS), max_size=10),
    st.lists(st.lists(CELL, max_size=12), max_size=6),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
)
def test_random_csv_shapes(header: list[str], rows: list[list[str]], delimiter: str,
                           bom: bool) -> None:  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    _load(data.encode(), "csv", default_weight=Decimal(5))
    _load(data.encode(), "csv", sku_weights={"A": Decimal(1)})
    _load_file(data.encode(), "orders.csv")


@FAST
@given(st.fixed_dictionaries({c: CELL for c in HEADER}), st.sampled_from(ENCODINGS),
       st.sampled_from(["csv", "json", "jsonl"]))  # fmt: skip
def test_any_cell_in_any_encoding(row: dict[str, str], encoding: str, fmt: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([HEADER, GOOD_ROW, [row[c] for c in HEADER]])
    _load(buffer.getvalue().encode(encoding, errors="replace"), fmt)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1001, max_value=300_000), st.sampled_from(["csv", "jsonl", "json"]))
def test_huge_fields(size: int, fmt: str) -> None:
    big = "x" * size
    if fmt == "csv":
        data = f"reference,name,street1,city,state,zip,weight\nA,{big},1 Main,X,IL,62701,1oz\n"
    else:
        order = {"reference": "A", "name": big, "street1": "1 Main", "city": "X", "state": "IL",
                 "zip": "62701", "weight": "1oz"}  # fmt: skip
        data = json.dumps(order) if fmt == "jsonl" else json.dumps([order])
    items = _load(data.encode(), fmt)
    assert not any(isinstance(i, Order) for i in items)


def test_a_huge_line_is_no_order() -> None:
    data = ",".join(HEADER) + "\n" + "SO-1," + "x" * 2_000_000 + ",a,b,IL,62701,1\n"
    assert not any(isinstance(i, Order) for i in _load_file(data.encode(), "orders.csv"))


@FAST
@given(FORMULAS, FORMULAS)
def test_formula_looking_cells_are_data(reference: str, name: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerow([f" {reference} ", name, "1 Main St", "X", "IL", "62701", "1oz"])
    (order,) = _load(buffer.getvalue().encode(), "csv")
    assert isinstance(order, Order)
    assert (order.reference, order.to_address.name) == (reference, name)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | CELL,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=10), inner, max_size=6)
    ),
    max_leaves=20,
)


@FAST
@given(st.lists(JSON_VALUES, max_size=5))
def test_random_json_orders(values: list[object]) -> None:
    _load(json.dumps(values).encode(), "json", default_weight=Decimal(3))
    _load("\n".join(json.dumps(v) for v in values).encode(), "jsonl", default_weight=Decimal(3))
    _load_file((json.dumps(values) + "\n" + json.dumps({"reference": "x"})).encode(),
               "orders.jsonl")
