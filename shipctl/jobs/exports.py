"""A run's two output files: the results CSV and one print-ready file of its labels.

Both hold every order of the run's file in input order, including orders another run bought,
so a rerun of a file that is all bought writes them again (a jammed printer, a lost PDF).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import CarrierError
from shipctl.files import write_atomically
from shipctl.jobs.results import result_row, results_csv
from shipctl.models import OrderState
from shipctl.store.shipments import StoredOrder

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.store.database import Pool

LABEL_DOWNLOADS = 16
# What each output file can hold: a PDF takes PDF labels and PNG images as pages.
FITS = {"PDF": ("PDF", "PNG"), "ZPL": ("ZPL",)}


def result_status(order: StoredOrder, run_id: int) -> str:
    """The order's status as the results file says it: labels of other runs are told apart."""
    if order.run_id != run_id and order.state is OrderState.PURCHASED:
        return "already_purchased"
    return order.state.value


async def write_results(
    pool: Pool, run_id: int, path: Path, *, force: bool, extra: list[list[str]] | None = None,
) -> None:
    """Every order of the run's file in input order, with its status and tracking code;
    then `extra` rows (the file's invalid and skipped orders, which the run does not hold)."""
    from shipctl.store.shipments import iter_run_orders

    rows = [result_row(order, result_status(order, run_id))
            async for page in iter_run_orders(pool, run_id) for order in page] + (extra or [])
    await asyncio.to_thread(write_atomically, path, results_csv(rows), force=force)


def label_file_format(path: Path) -> str:
    """ZPL for a `.zpl` file, else one PDF (PNG labels are placed on 4x6 PDF pages)."""
    return "ZPL" if path.suffix.lower() == ".zpl" else "PDF"


async def write_labels(
    pool: Pool, run_id: int, path: Path, *, force: bool, executor: CarrierExecutor,
) -> int:
    """Every bought label of the run's file, in input order, merged into one file.

    Each label is checked to be in a format the file holds (by its bytes, not by what was
    asked for); one that is not, or whose stored URL no longer answers (an expired URL, a
    simulator since stopped), is asked of EasyPost again in the file's format.
    """
    from shipctl.carrier.labels import merge_labels
    from shipctl.store.shipments import iter_run_orders

    fmt = label_file_format(path)
    labels: list[bytes] = []
    async for page in iter_run_orders(pool, run_id):
        bought = [o for o in page if o.state is OrderState.PURCHASED and o.shipment_id]
        labels += await _labels_of(executor, bought, fmt)
    if not labels:
        return 0
    try:
        data = await asyncio.to_thread(merge_labels, labels, fmt)
    except ValueError as error:
        raise CarrierError(f"cannot make {path}: {error}", code="LABEL.MERGE") from None
    await asyncio.to_thread(write_atomically, path, data, force=force)
    return len(labels)


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
