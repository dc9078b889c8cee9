"""A run's output files: the results CSV, one print-ready file of its labels, its slips.

All hold every order of the run's file, including orders another run bought, so a rerun of a
file that is all bought writes them again (a jammed printer, a lost PDF); all in one order,
the run's sort (input order unless asked otherwise), so slips and labels stack alike.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import CarrierError
from shipctl.files import write_atomically
from shipctl.jobs.printroom import PrintRoom, sort_orders
from shipctl.jobs.results import result_row, results_csv
from shipctl.models import OrderState
from shipctl.store.shipments import StoredOrder

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.store.database import Pool

LABEL_DOWNLOADS = 16
# What each output file can hold: a PDF takes PDF labels and PNG images as pages.
FITS = {"PDF": ("PDF", "PNG"), "ZPL": ("ZPL",), "EPL2": ("EPL2",)}
NO_PRINT_ROOM = PrintRoom()


def result_status(order: StoredOrder, run_id: int) -> str:
    """The order's status as the results file says it: labels of other runs are told apart."""
    if order.run_id != run_id and order.state is OrderState.PURCHASED:
        return "already_purchased"
    return order.state.value


async def run_stack(pool: Pool, run_id: int, sort: str = "input") -> list[StoredOrder]:
    """Every order of the run's file, in the run's sort order."""
    from shipctl.store.shipments import iter_run_orders

    orders = [order async for page in iter_run_orders(pool, run_id) for order in page]
    return sort_orders(orders, sort)


def bought(orders: list[StoredOrder]) -> list[StoredOrder]:
    """The orders of a stack that have a label."""
    return [o for o in orders if o.state is OrderState.PURCHASED and o.shipment_id]


async def write_results(
    pool: Pool, run_id: int, path: Path, *, force: bool, sort: str = "input",
    extra: list[list[str]] | None = None,
) -> None:
    """Every order of the run's file, with its status and tracking code, in `sort` order;
    then `extra` rows (the file's invalid and skipped orders, which the run does not hold)."""
    rows = [result_row(order, result_status(order, run_id))
            for order in await run_stack(pool, run_id, sort)] + (extra or [])
    await asyncio.to_thread(write_atomically, path, results_csv(rows), force=force)


def label_file_format(path: Path) -> str:
    """ZPL for a `.zpl` file, EPL2 for `.epl`, else one PDF (PNG labels are placed on 4x6
    PDF pages)."""
    suffix = path.suffix.lower()
    return {".zpl": "ZPL", ".epl": "EPL2"}.get(suffix, "PDF")


async def write_labels(
    pool: Pool, run_id: int, path: Path, *, force: bool, executor: CarrierExecutor,
    room: PrintRoom = NO_PRINT_ROOM,
) -> int:
    """Every bought label of the run's file, in the room's sort order, merged into one file
    laid out as asked (PDF: 4x6 pages or two to a sheet, with each order's packing slip
    before its label when `slips_with_labels`).

    Each label is checked to be in a format the file holds (by its bytes, not by what was
    asked for); one that is not, or whose stored URL no longer answers (an expired URL, a
    simulator since stopped), is asked of EasyPost again in the file's format.
    """
    from shipctl.carrier.labels import merge_labels

    fmt = label_file_format(path)
    orders = bought(await run_stack(pool, run_id, room.sort))
    labels: list[bytes] = []
    for start in range(0, len(orders), 500):
        chunk = orders[start:start + 500]
        chunk_labels = await _labels_of(executor, chunk, fmt)
        if not room.slips_with_labels:  # a slip pairs with one page: forms would shift them
            chunk_labels = await with_customs_forms(executor, chunk, chunk_labels, fmt)
        labels += chunk_labels
    if not labels:
        return 0
    try:
        data = await asyncio.to_thread(merge_labels, labels, fmt)
        if fmt == "PDF":
            data = await asyncio.to_thread(_lay_out, data, orders, room)
    except ValueError as error:
        raise CarrierError(f"cannot make {path}: {error}", code="LABEL.MERGE") from None
    await asyncio.to_thread(write_atomically, path, data, force=force)
    return sum(1 for label in labels if not isinstance(label, CustomsForm))


class CustomsForm(bytes):
    """A customs form's PDF, placed in the stack right after its label."""


async def with_customs_forms(
    executor: CarrierExecutor, orders: list[StoredOrder], labels: list[bytes], fmt: str
) -> list[bytes]:
    """Each label followed by its shipment's customs forms (commercial invoice, CN22), so the
    printed stack is complete. The forms are PDFs: a ZPL file holds the labels only."""
    from shipctl.carrier.customs import form_urls
    from shipctl.carrier.labels import fetch_label_files

    if fmt != "PDF":
        return labels
    stack: list[bytes] = []
    for order, label in zip(orders, labels, strict=True):
        stack.append(label)
        if order.shipment_id and order.order.items and order.order.needs_customs():
            urls = await form_urls(executor, order.shipment_id)
            for url, data in zip(urls, await fetch_label_files(urls, concurrency=2),
                                 strict=True):  # fmt: skip
                if data is None:
                    raise CarrierError(f"the customs form of {order.reference} could not be "
                                       f"downloaded from {url}", code="FORM.DOWNLOAD")
                stack.append(CustomsForm(data))
    return stack


def _lay_out(labels: bytes, orders: list[StoredOrder], room: PrintRoom) -> bytes:
    from shipctl.jobs.printroom import impose, interleave
    from shipctl.jobs.slips import render_slips

    if room.slips_with_labels:
        labels = interleave(render_slips(orders), labels)
    return impose(labels, room.layout)


async def write_slips(
    pool: Pool, run_id: int, path: Path, *, force: bool, room: PrintRoom = NO_PRINT_ROOM,
) -> int:
    """One packing slip per bought order, in the same order (and layout) as the labels."""
    from shipctl.jobs.printroom import impose
    from shipctl.jobs.slips import render_slips

    orders = bought(await run_stack(pool, run_id, room.sort))
    if not orders:
        return 0

    def render() -> bytes:
        return impose(render_slips(orders), room.layout)

    data = await asyncio.to_thread(render)
    await asyncio.to_thread(write_atomically, path, data, force=force)
    return len(orders)


async def _labels_of(
    executor: CarrierExecutor, orders: list[StoredOrder], fmt: str
) -> list[bytes]:
    from shipctl.carrier.labels import fetch_label_files, label_fits
    from shipctl.carrier.shipments import convert_label

    # A stored URL is worth trying when its label is known (or may be) in a fitting format.
    first = [o.label_url if o.label_url and (o.label_file_format or fmt) in FITS[fmt] else None
             for o in orders]
    found = await fetch_label_files(first, concurrency=LABEL_DOWNLOADS)

    async def again(order: StoredOrder) -> bytes:
        assert order.shipment_id is not None
        url = await convert_label(executor, order.shipment_id, fmt)
        [data] = await fetch_label_files([url], concurrency=1)
        if data is None:
            raise CarrierError(f"the label of {order.reference} could not be downloaded "
                               f"from {url}", code="LABEL.DOWNLOAD")
        if not label_fits(data, fmt):
            raise CarrierError(f"EasyPost gave no {fmt} label for {order.reference}",
                               code="LABEL.FORMAT")
        return data

    redo = [i for i, data in enumerate(found) if data is None or not label_fits(data, fmt)]
    fresh = await asyncio.gather(*(again(orders[i]) for i in redo))
    for i, data in zip(redo, fresh, strict=True):
        found[i] = data
    return [data for data in found if data is not None]


async def print_outputs(room: PrintRoom, paths: list[Path | None]) -> list[str]:
    """Send each written file to the room's printer when it asks to print; what lp said."""
    from shipctl.jobs.printing import print_file

    if not room.print_labels:
        return []
    said: list[str] = []
    for path in paths:
        if path is not None:
            said.append(await asyncio.to_thread(print_file, path, room.printer) or str(path))
    return said
