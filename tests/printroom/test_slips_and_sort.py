"""Packing slips and sort keys on their own: line items when an order carries them (`items`
is read if present), and every sort key."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest

from shipctl.jobs.printroom import SORT_KEYS, impose, sort_orders
from shipctl.jobs.slips import render_slips
from shipctl.models import Address, LineItem, Order, OrderState, Parcel
from shipctl.store.shipments import StoredOrder


def stored(position: int, reference: str, zip_code: str, carrier: str, service: str,
           skus: tuple[str, ...] = ()) -> StoredOrder:
    order = Order(
        reference=reference, parcel=Parcel(weight_oz=Decimal(8)),
        to_address=Address(name=f"Customer {reference}", street1="1 Main St", city="Austin",
                           state="TX", zip=zip_code),
        items=tuple(LineItem(name=f"Widget {sku}", sku=sku, quantity=i + 1, value=Decimal(5))
                    for i, sku in enumerate(skus)),
    )
    return StoredOrder(id=100 + position, reference=reference, run_id=1,
                       state=OrderState.PURCHASED, mode="simulated", position=position,
                       order=order, shipment_id=f"shp_{position}", carrier=carrier,
                       service=service, tracking_code=f"9400{position:018d}")


STACK = [
    stored(0, "B-2", "78701", "UPS", "Ground", ("SKU-C",)),
    stored(1, "A-9", "02108", "USPS", "Priority", ("SKU-A", "SKU-Z")),
    stored(2, "C-1", "97214", "USPS", "GroundAdvantage"),
    stored(3, "A-1", "33130", "FedEx", "Ground", ("SKU-B",)),
]


@pytest.mark.parametrize(("key", "expected"), [
    ("input", ["B-2", "A-9", "C-1", "A-1"]),
    ("carrier", ["A-1", "B-2", "C-1", "A-9"]),
    ("service", ["A-1", "B-2", "C-1", "A-9"]),
    ("sku", ["C-1", "A-9", "A-1", "B-2"]),
    ("zip", ["A-9", "A-1", "B-2", "C-1"]),
    ("reference", ["A-1", "A-9", "B-2", "C-1"]),
])
def test_sort_keys(key: str, expected: list[str]) -> None:
    assert key in SORT_KEYS
    assert [o.reference for o in sort_orders(STACK, key)] == expected


def test_an_unknown_sort_key_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        sort_orders(STACK, "weight")


def test_slips_list_line_items_when_the_order_has_them() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_slips(STACK)))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 4
    second = texts[1]
    assert "Order A-9" in second and "Customer A-9" in second and "Austin, TX 02108" in second
    assert "ITEM" in second and "SKU" in second and "QTY" in second
    assert "Widget SKU-A" in second and "SKU-Z" in second
    assert "Tracking: 9400000000000000000001" in second
    assert "ITEM" not in texts[2]  # an order without items has no table


def test_impose_puts_two_pages_on_each_sheet() -> None:
    sheets = pypdf.PdfReader(io.BytesIO(impose(render_slips(STACK[:3]), "a4-2up"))).pages
    assert len(sheets) == 2
    assert "Order B-2" in sheets[0].extract_text() and "Order A-9" in sheets[0].extract_text()
    assert "Order C-1" in sheets[1].extract_text()
    assert impose(b"%PDF-as-is", "4x6") == b"%PDF-as-is"
