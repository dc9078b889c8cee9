"""A run's two output files: the results CSV and one print-ready file of its labels."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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


async def write_results(
    pool: Pool, run_id: int, path: Path, *, force: bool,
    already_purchased: Sequence[str] = (),
) -> None:
    """The run's orders in input order, then the references it found already purchased."""
    from shipctl.store.shipments import iter_current, iter_run_orders

    rows = [result_row(order) async for page in iter_run_orders(pool, run_id) for order in page]
    async for page in iter_current(pool, already_purchased):
        rows += [result_row(order, "already_purchased") for order in page]
    await asyncio.to_thread(write_atomically, path, results_csv(rows), force=force)


def label_file_format(path: Path) -> str:
    """ZPL for a `.zpl` file, else one PDF (PNG labels are placed on 4x6 PDF pages)."""
    return "ZPL" if path.suffix.lower() == ".zpl" else "PDF"


async def _label_url(
    executor: CarrierExecutor, order: StoredOrder, bought_as: str, fmt: str, refresh: bool
) -> str:
    """The order's label in a format the file can hold, converted by EasyPost if need be."""
    from shipctl.carrier.shipments import convert_label

    fits = (order.order.label_format or bought_as) in FITS[fmt]
    if fits and order.label_url and not refresh:
        return order.label_url
    assert order.shipment_id is not None
    return await convert_label(executor, order.shipment_id, fmt)


async def write_labels(
    pool: Pool, run_id: int, path: Path, *, force: bool, executor: CarrierExecutor,
    bought_as: str, refresh: bool = False,
) -> int:
    """Every purchased label of the run, in input order, merged into one file.

    `refresh` asks EasyPost for every label's URL again (a simulator's URLs die with it).
    """
    from shipctl.carrier.labels import fetch_labels, merge_labels
    from shipctl.store.shipments import iter_run_orders

    fmt = label_file_format(path)
    labels: list[bytes] = []
    async for page in iter_run_orders(pool, run_id):
        purchased = [o for o in page if o.state is OrderState.PURCHASED]
        urls = await asyncio.gather(
            *(_label_url(executor, o, bought_as, fmt, refresh) for o in purchased)
        )
        labels += await fetch_labels(urls, concurrency=LABEL_DOWNLOADS)
    if not labels:
        return 0
    try:
        data = await asyncio.to_thread(merge_labels, labels, fmt)
    except ValueError as error:
        raise CarrierError(f"cannot make {path}: {error}", code="LABEL.MERGE") from None
    await asyncio.to_thread(write_atomically, path, data, force=force)
    return len(labels)
