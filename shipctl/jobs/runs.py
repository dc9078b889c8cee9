"""Past runs: list them, show one run's orders, export its results and labels again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.errors import InputError
from shipctl.store.shipments import RunSummary, StoredOrder

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import Settings


def _database_url(settings: Settings) -> str | None:
    return settings.database_url.get_secret_value() if settings.database_url else None


async def list_runs(settings: Settings, limit: int = 20) -> list[RunSummary]:
    from shipctl.store import shipments
    from shipctl.store.database import open_pool

    async with open_pool(_database_url(settings), settings.data_dir, max_size=1) as pool:
        return await shipments.list_runs(pool, limit)


@dataclass
class RunDetail:
    run: RunSummary
    orders: list[StoredOrder]
    labels_written: int = 0


async def show_run(
    settings: Settings, run_id: int, *, results_out: Path | None = None,
    labels_out: Path | None = None, force: bool = False, carriers: CarrierFactory,
) -> RunDetail:
    """One run and its orders; optionally write its results CSV and labels file again."""
    from shipctl.files import check_outputs
    from shipctl.jobs.exports import write_labels, write_results
    from shipctl.store import shipments
    from shipctl.store.database import open_pool

    outputs = {"--results-out": results_out, "--labels-out": labels_out}
    check_outputs({flag: path for flag, path in outputs.items() if path is not None},
                  inputs=[], force=force)
    async with open_pool(_database_url(settings), settings.data_dir, max_size=2) as pool:
        run = await shipments.get_run(pool, run_id)
        if run is None:
            raise InputError(f"no run {run_id} (see `shipctl runs`)")
        detail = RunDetail(run=run, orders=await shipments.run_orders(pool, run_id))
        if results_out is not None:
            await write_results(pool, run_id, results_out, force=force)
        if labels_out is not None:
            async with carriers(settings) as carrier:
                detail.labels_written = await write_labels(
                    pool, run_id, labels_out, force=force, executor=carrier.executor,
                )
    return detail
