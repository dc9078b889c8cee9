"""Property tests: whatever the bytes, loading ends in orders, row errors or one InputError."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipctl.errors import InputError
from shipctl.models import Order
from shipctl.orders import LoadOptions, OrderSource, RowError, SkippedOrder

from .conftest import PRESETS

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = ["reference", "name", "company", "street1", "street2", "city", "state", "zip",
           "country", "weight", "parcel", "label_format", "rate_rule", "carriers", "max_days",
           "max_rate", "length", "width", "height", "Order", "Lineitem quantity",
           "Shipping Address1", "Name", "to_address.zip", "parcel.weight"]  # fmt: skip
FORMULAS = st.sampled_from(["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("http://x")'])
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "12oz", "1.5lb", "0", "-1", "abc", "10x8x4", "small", "US", "IL",
                     "62701", "'02134", "PDF", "fastest", "USPS;!FedEx", "3", "1e9999", "NaN",
                     "9" * 40, "1" * 40 + "x2x3", '"', "\n", "\r\n", ",", ";", "\t"]),
    FORMULAS,
)


def _load(data: bytes, fmt: str, **options: object) -> list[Order | RowError | SkippedOrder]:
    """Everything the source yields; an InputError is an allowed outcome (returns [])."""
    opts = LoadOptions(format=fmt, parcel_presets=PRESETS, **options)  # type: ignore[arg-type]
    try:
        items = list(OrderSource("-", opts, stdin=io.BytesIO(data)))
    except InputError as err:
        assert err.message and "\n" not in err.message
        return []
    for item in items:
        if isinstance(item, RowError):
            assert item.rows and min(item.rows) >= 1 and item.column
            assert str(item)
        else:
            assert item.rows and min(item.rows) >= 1
    return items


@FAST
@given(st.binary(max_size=400), st.sampled_from(["csv", "json", "jsonl"]))
def test_random_bytes(data: bytes, fmt: str) -> None:
    _load(data, fmt)


@FAST
@given(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=10),
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


@FAST
@given(
    st.text(min_size=1, max_size=60),
    st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "shift_jis",
                     "utf-8-sig", "utf-8"]),
    st.sampled_from(["csv", "json", "jsonl"]),
)
def test_unusual_encodings(name: str, encoding: str, fmt: str) -> None:
    text = f"reference,name,street1,city,state,zip,weight\nA-1,{name},1 Main,X,IL,62701,1oz\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    _load(data, fmt)


@FAST
@given(FORMULAS, FORMULAS)
def test_formula_looking_cells_are_data(reference: str, name: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["reference", "name", "street1", "city", "state", "zip", "weight"])
    writer.writerow([f" {reference} ", name, "1 Main St", "X", "IL", "62701", "1oz"])
    (order,) = _load(buffer.getvalue().encode(), "csv")
    assert isinstance(order, Order)
    assert (order.reference, order.to_address.name) == (reference, name)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CELL,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(COLUMNS), inner, max_size=6)
    ),
    max_leaves=20,
)


@FAST
@given(st.lists(JSON_VALUES, max_size=5))
def test_random_json_orders(values: list[object]) -> None:
    _load(json.dumps(values).encode(), "json", default_weight=Decimal(3))
    _load("\n".join(json.dumps(v) for v in values).encode(), "jsonl", default_weight=Decimal(3))
