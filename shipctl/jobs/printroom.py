"""The print room: how a run's labels and packing slips are ordered, laid out and printed.

`PrintRoom` is what a bulk run (or `runs show`) was asked for: the sort of the stack, the
sheet layout, the label resolution, a packing-slips file, slips interleaved with labels, and
a printer. Sorting is one key for every output, so labels, slips and the results file come
out in the same order.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from shipctl.store.shipments import StoredOrder

SortKey = Literal["input", "carrier", "service", "sku", "zip", "reference"]
Layout = Literal["4x6", "letter-2up", "a4-2up"]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
LAYOUTS: tuple[str, ...] = get_args(Layout)
LABEL_DPIS = (203, 300)
# Sheet sizes in PDF points for the 2-up layouts: two 4x6 labels, turned, one per half.
SHEETS = {"letter-2up": (612.0, 792.0), "a4-2up": (595.28, 841.89)}
LABEL_WIDTH_PT = 4 * 72
LABEL_HEIGHT_PT = 6 * 72


@dataclass(frozen=True)
class PrintRoom:
    """What to do with a run's labels beyond writing them in input order."""

    sort: SortKey = "input"
    layout: Layout = "4x6"
    dpi: int | None = None
    slips_out: Path | None = None
    slips_with_labels: bool = False
    printer: str | None = None  # a CUPS queue; "" for the system's default printer
    print_labels: bool = False

    def run_options(self) -> dict[str, Any]:
        """What a run records, so `runs show` lays its files out the same way again."""
        return {"sort": self.sort, "labels_layout": self.layout,
                "slips_with_labels": self.slips_with_labels}


def first_sku(order: StoredOrder) -> str:
    """The SKU of the order's first line item (orders may carry none)."""
    for item in getattr(order.order, "items", None) or ():
        sku = getattr(item, "sku", None)
        if sku:
            return str(sku)
    return ""


def _zip(order: StoredOrder) -> str:
    address = order.order.to_address
    return address.zip if address is not None else ""


_KEYS: dict[str, Callable[[StoredOrder], tuple[str, ...]]] = {
    "input": lambda o: (),
    "carrier": lambda o: ((o.carrier or "").lower(), (o.service or "").lower()),
    "service": lambda o: ((o.service or "").lower(), (o.carrier or "").lower()),
    "sku": lambda o: (first_sku(o),),
    "zip": lambda o: (_zip(o),),
    "reference": lambda o: (o.reference,),
}


def sort_orders(orders: Sequence[StoredOrder], key: str) -> list[StoredOrder]:
    """`orders` in the stack's order: by `key`, ties (and `input`) in input order."""
    if key not in _KEYS:
        raise ValueError(f"sort {key!r} is not one of {', '.join(SORT_KEYS)}")
    by = _KEYS[key]
    return sorted(orders, key=lambda o: (*by(o), o.position if o.position is not None else 0,
                                         o.id))


def impose(pdf: bytes, layout: str) -> bytes:
    """The 4x6 pages of `pdf` two to a sheet (each turned a quarter, one per half), or the
    file as it is for the 4x6 layout. The first page goes in the top half."""
    if layout == "4x6":
        return pdf
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation

    width, height = SHEETS[layout]
    half = height / 2
    pages = PdfReader(io.BytesIO(pdf)).pages
    writer = PdfWriter()
    for start in range(0, len(pages), 2):
        sheet = PageObject.create_blank_page(width=width, height=height)
        for slot, page in enumerate(pages[start:start + 2]):
            # Turned 90° counter-clockwise, a 4x6 page spans x in [-432, 0], y in [0, 288];
            # centre it in its half (top half first).
            x = LABEL_HEIGHT_PT + (width - LABEL_HEIGHT_PT) / 2
            y = (half if slot == 0 else 0) + (half - LABEL_WIDTH_PT) / 2
            sheet.merge_transformed_page(page, Transformation().rotate(90).translate(x, y))
        writer.add_page(sheet)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def interleave(slips: bytes, labels: bytes) -> bytes:
    """One PDF: each order's slip, then its label (both files hold one page per order)."""
    from pypdf import PdfReader, PdfWriter

    slip_pages = PdfReader(io.BytesIO(slips)).pages
    label_pages = PdfReader(io.BytesIO(labels)).pages
    if len(slip_pages) != len(label_pages):
        raise ValueError(f"{len(slip_pages)} slips for {len(label_pages)} labels")
    writer = PdfWriter()
    for slip, label in zip(slip_pages, label_pages, strict=True):
        writer.add_page(slip)
        writer.add_page(label)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
