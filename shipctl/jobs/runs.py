"""Past runs: list them, show one run's orders, export its results and labels again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipctl.errors import InputError
from shipctl.models import RunStatus

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import Settings
    from shipctl.jobs.printroom import PrintRoom
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
    dry_run: bool = False
    spend: Decimal = Decimal(0)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunSummary:
        values = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        return cls(**{**values, "status": RunStatus(values["status"])})


async def list_runs(
    settings: Settings, limit: int = 20, kind: str | None = None
) -> list[RunSummary]:
    """The latest runs of `kind` (bulk, track, create, refund; None: all), newest first."""
    from shipctl.jobs.runtime import open_database
    from shipctl.store import shipments

    async with open_database(settings, pool_size=1) as pool:
        rows = await shipments.list_runs(pool, limit, kind)
        return [RunSummary.from_row(row) for row in rows]


@dataclass(frozen=True)
class RunWorker:
    """One `shipctl bulk` worker on a run: where it ran, when, and how many labels it bought
    (`finished_at` None: still working). One that `died` (killed, its connection dropped) was
    marked finished when first seen dead; its orders went back to the others, and what it
    bought is counted in the run's labels but not here: it never said."""

    host: str
    pid: int
    joined: bool
    started_at: datetime
    finished_at: datetime | None
    bought: int
    died: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunWorker:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass
class RunDetail:
    run: RunSummary
    orders: list[StoredOrder]
    labels_written: int = 0
    slips_written: int = 0
    printed: list[str] = field(default_factory=list)
    workers: list[RunWorker] = field(default_factory=list)


async def show_run(
    settings: Settings, run_id: int, *, results_out: Path | None = None,
    labels_out: Path | None = None, force: bool = False, carriers: CarrierFactory,
    print_room: Callable[[Mapping[str, Any]], PrintRoom] | None = None,
) -> RunDetail:
    """One run and its orders; optionally write its results CSV, labels file and packing
    slips again, sorted and laid out as the run was (`print_room` makes the PrintRoom from
    the run's recorded options, the caller's own choices first), and print them."""
    from shipctl.files import check_outputs
    from shipctl.jobs.exports import print_outputs, write_labels, write_results, write_slips
    from shipctl.jobs.printroom import PrintRoom
    from shipctl.jobs.runtime import open_database
    from shipctl.store import shipments

    outputs = {"--results-out": results_out, "--labels-out": labels_out}
    check_outputs({flag: path for flag, path in outputs.items() if path is not None},
                  inputs=[], force=force)
    async with open_database(settings, pool_size=2) as pool:
        row = await shipments.get_run(pool, run_id)
        if row is None:
            raise InputError(f"no run {run_id} (see `shipctl runs`)")
        recorded = row["options"] if isinstance(row["options"], Mapping) else {}
        room = print_room(recorded) if print_room is not None else PrintRoom()
        if room.print_labels:
            from shipctl.jobs.printing import check_printer

            await asyncio.to_thread(check_printer, room.printer)
        if room.slips_out is not None:
            check_outputs({"--packing-slips": room.slips_out, **{
                flag: path for flag, path in outputs.items() if path is not None}},
                inputs=[], force=force)
        from shipctl.store.claims import reap_workers

        await reap_workers(pool)  # a worker killed meanwhile is shown as died, not working
        detail = RunDetail(run=RunSummary.from_row(row),
                           orders=await shipments.run_orders(pool, run_id),
                           workers=[RunWorker.from_row(w)
                                    for w in await shipments.run_workers(pool, run_id)])
        if results_out is not None:
            await write_results(pool, run_id, results_out, force=force, sort=room.sort)
        if labels_out is not None:
            async with carriers(settings) as carrier:
                detail.labels_written = await write_labels(
                    pool, run_id, labels_out, force=force, executor=carrier.executor,
                    room=room,
                )
        if room.slips_out is not None:
            detail.slips_written = await write_slips(pool, run_id, room.slips_out,
                                                     force=force, room=room)
        detail.printed = await print_outputs(
            room, [labels_out, room.slips_out if detail.slips_written else None])
    return detail
