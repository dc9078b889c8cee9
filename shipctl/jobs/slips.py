"""Packing slips: one 4x6 page per order, to match its label in the box.

Each slip carries the order reference (text and a Code 128 barcode a scanner reads), the
ship-to address, the line items when the order has them (name, SKU, quantity), and the
carrier, service and tracking code of its label.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shipctl.jobs.printroom import LABEL_HEIGHT_PT, LABEL_WIDTH_PT

if TYPE_CHECKING:
    from shipctl.store.shipments import StoredOrder

MARGIN = 14.0
MAX_ITEM_ROWS = 14


def address_lines(order: StoredOrder) -> list[str]:
    address = order.order.to_address
    if address is None:
        return []
    city = ", ".join(p for p in (address.city, address.state) if p)
    lines = [address.name, address.company, address.street1, address.street2,
             f"{city} {address.zip}".strip(), address.country if address.country != "US" else None]
    return [str(line) for line in lines if line]


def item_rows(order: StoredOrder) -> list[tuple[str, str, str]]:
    """(name, SKU, quantity) of each line item the order carries; none when it has none."""
    rows: list[tuple[str, str, str]] = []
    for item in getattr(order.order, "items", None) or ():
        name = _field(item, "name") or _field(item, "description")
        rows.append((name, _field(item, "sku"), _field(item, "quantity") or "1"))
    return rows


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
    return "" if value is None else str(value)


def render_slips(orders: Sequence[StoredOrder]) -> bytes:
    """A PDF with one 4x6 packing slip per order, in the order given."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(LABEL_WIDTH_PT, LABEL_HEIGHT_PT))
    page.setTitle("Packing slips")
    for order in orders:
        _slip(page, order, Code128)
        page.showPage()
    page.save()
    return out.getvalue()


def _slip(page: Any, order: StoredOrder, code128: Any) -> None:
    width, top = LABEL_WIDTH_PT, LABEL_HEIGHT_PT - MARGIN
    page.setFont("Helvetica-Bold", 14)
    page.drawString(MARGIN, top - 12, "PACKING SLIP")
    page.setFont("Helvetica-Bold", 12)
    page.drawString(MARGIN, top - 32, f"Order {order.reference}")
    barcode = code128(order.reference, barHeight=34, barWidth=0.9, humanReadable=False)
    barcode.drawOn(page, MARGIN - 6, top - 74)
    y = top - 96
    page.setFont("Helvetica-Bold", 9)
    page.drawString(MARGIN, y, "SHIP TO")
    page.setFont("Helvetica", 10)
    for line in address_lines(order):
        y -= 12
        page.drawString(MARGIN, y, line[:48])
    rows = item_rows(order)
    if rows:
        y -= 20
        page.setFont("Helvetica-Bold", 9)
        page.drawString(MARGIN, y, "ITEM")
        page.drawString(width - 110, y, "SKU")
        page.drawRightString(width - MARGIN, y, "QTY")
        page.line(MARGIN, y - 3, width - MARGIN, y - 3)
        page.setFont("Helvetica", 9)
        for name, sku, quantity in rows[:MAX_ITEM_ROWS]:
            y -= 12
            page.drawString(MARGIN, y, name[:30])
            page.drawString(width - 110, y, sku[:14])
            page.drawRightString(width - MARGIN, y, quantity)
        if len(rows) > MAX_ITEM_ROWS:
            y -= 12
            page.drawString(MARGIN, y, f"… and {len(rows) - MAX_ITEM_ROWS} more items")
    page.line(MARGIN, 62, width - MARGIN, 62)
    page.setFont("Helvetica", 9)
    page.drawString(MARGIN, 48, f"Carrier: {order.carrier or ''}")
    page.drawString(MARGIN, 36, f"Service: {order.service or ''}")
    page.drawString(MARGIN, 24, f"Tracking: {order.tracking_code or ''}")
