"""Past runs: list them, show one run's orders, export its results and labels again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipctl.errors import InputError
from shipctl.models import RunStatus

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import Settings
    from shipctl.store.shipments import StoredOrder


@dataclass(frozen=True)
class RunSummary:
    """One run as `shipctl runs` lists it: what it worked on, how it stands, its counts."""

    id: int
    kind: str
    mode: str
    input_path: str | None
    status: RunStatus
    orders_total: int
    purchased: int
    failed: int
    skipped: int
    already_purchased: int
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunSummary:
        values = {f.name: row[f.name] for f in fields(cls)}
        return cls(**{**values, "status": RunStatus(values["status"])})


async def list_runs(settings: Settings, limit: int = 20) -> list[RunSummary]:
    from shipctl.jobs.runtime import open_database
    from shipctl.store import shipments

    async with open_database(settings, pool_size=1) as pool:
        return [RunSummary.from_row(row) for row in await shipments.list_runs(pool, limit)]


@dataclass(frozen=True)
class RunWorker:
    """One `shipctl bulk` worker on a run: where it ran, when, and how many labels it bought
    (`finished_at` None: still working, or it died; its orders went back to the others)."""

    host: str
    pid: int
    joined: bool
    started_at: datetime
    finished_at: datetime | None
    bought: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunWorker:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass
class RunDetail:
    run: RunSummary
    orders: list[StoredOrder]
    labels_written: int = 0
    workers: list[RunWorker] = field(default_factory=list)


async def show_run(
    settings: Settings, run_id: int, *, results_out: Path | None = None,
    labels_out: Path | None = None, force: bool = False, carriers: CarrierFactory,
) -> RunDetail:
    """One run and its orders; optionally write its results CSV and labels file again."""
    from shipctl.files import check_outputs
    from shipctl.jobs.exports import write_labels, write_results
    from shipctl.jobs.runtime import open_database
    from shipctl.store import shipments

    outputs = {"--results-out": results_out, "--labels-out": labels_out}
    check_outputs({flag: path for flag, path in outputs.items() if path is not None},
                  inputs=[], force=force)
    async with open_database(settings, pool_size=2) as pool:
        row = await shipments.get_run(pool, run_id)
        if row is None:
            raise InputError(f"no run {run_id} (see `shipctl runs`)")
        detail = RunDetail(run=RunSummary.from_row(row),
                           orders=await shipments.run_orders(pool, run_id),
                           workers=[RunWorker.from_row(w)
                                    for w in await shipments.run_workers(pool, run_id)])
        if results_out is not None:
            await write_results(pool, run_id, results_out, force=force)
        if labels_out is not None:
            async with carriers(settings) as carrier:
                detail.labels_written = await write_labels(
                    pool, run_id, labels_out, force=force, executor=carrier.executor,
                )
    return detail
