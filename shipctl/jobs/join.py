"""`shipctl bulk --join RUN`: one more worker on a run that already exists.

The worker needs no file: the run's orders are in PostgreSQL (`run_orders` and the shipments
rows), and so are its options (`runs.options`: label format, rate rule, dry run, rebuy). It may
run on the machine that started the run or on another one sharing its PostgreSQL server
(`DATABASE_URL`). It claims orders as every worker of a run does (see `store.claims`), so each
order is still bought once, and the last worker on the run closes it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from shipctl.errors import CarrierAuthError, InputError
from shipctl.jobs.bulk import (
    WARM_CONNECTIONS,
    BulkOptions,
    BulkProgress,
    BulkReport,
    _close,
    _phases,
    _Silent,
    _Work,
)
from shipctl.jobs.orderflow import OrderFlow
from shipctl.models import RateRule, RunStatus

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import Settings
    from shipctl.jobs.runtime import Runtime

UNFINISHED = ("pending", "created", "unknown")


def run_options(settings: Settings, stored: dict[str, Any], concurrency: int | None,
                ) -> BulkOptions:
    """The run's own options, as its first worker stored them, for this worker."""
    rule = stored.get("rule")
    return BulkOptions(
        path="",
        rule=RateRule.model_validate(rule) if rule is not None else settings.rate_rule(),
        label_format=stored.get("label_format") or settings.label_format,
        dry_run=bool(stored.get("dry_run", False)),
        rebuy=bool(stored.get("rebuy", False)),
        concurrency=concurrency,
    )


async def join_bulk(
    settings: Settings,
    run_id: int,
    *,
    concurrency: int | None = None,
    progress: BulkProgress | None = None,
    stop: asyncio.Event | None = None,
    carriers: CarrierFactory,
) -> BulkReport:
    """Work run `run_id` alongside its other workers, from the database alone.

    Refused (InputError, exit 2) if there is no such bulk run, or if this worker's carrier
    session is in another mode than the run (a test key on a live run, a simulated worker on
    a test run): its orders are identified within their mode.
    """
    from shipctl.jobs.runtime import open_runtime

    progress = progress or _Silent()
    stop = stop or asyncio.Event()
    concurrency = concurrency or settings.effective_concurrency()
    async with open_runtime(settings, carriers, concurrency=concurrency, pool_size=7) as runtime:
        # Its lease, claims, writer and pace connections, and its threads, opened meanwhile.
        warming = asyncio.ensure_future(runtime.warm(WARM_CONNECTIONS))
        try:
            return await _join(settings, run_id, runtime, warming, concurrency, progress, stop)
        finally:
            await asyncio.wait([warming])


async def _join(
    settings: Settings, run_id: int, runtime: Runtime, warming: asyncio.Future[None],
    concurrency: int, progress: BulkProgress, stop: asyncio.Event,
) -> BulkReport:
    """The worker on the run, once its runtime is open."""
    from shipctl.jobs.pace_share import shared_pace
    from shipctl.store import shipments
    from shipctl.store.claims import Buyer, RunLease

    pool, carrier = runtime.pool, runtime.carrier
    run = await shipments.get_run(pool, run_id)
    if run is None or run["kind"] != "bulk":
        raise InputError(f"no bulk run {run_id} to join (see `shipctl runs`)")
    if run["mode"] != carrier.mode:
        raise InputError(
            f"run {run_id} buys {run['mode']} labels but this worker's session is "
            f"{carrier.mode}: join it with the same kind of API key (or --simulate)"
        )
    options = run_options(settings, run["options"] or {}, concurrency)
    assert options.label_format is not None and options.rule is not None
    report = BulkReport(status="completed", run_id=run_id, mode=run["mode"],
                        store=run["store"], mapping=(run["options"] or {}).get("mapping"))
    async with RunLease(pool, run_id) as lease, shared_pace(pool, carrier.executor):
        report.joined = True
        counts = await shipments.run_counts(pool, run_id)
        report.valid = sum(counts.get(state, 0) for state in UNFINISHED)
        flow = OrderFlow(
            pool, carrier, from_address=settings.from_address, rule=options.rule,
            label_format=options.label_format, quiet_seconds=settings.timeout + 5,
            buyer=Buyer(worker_id=lease.worker_id),
        )
        done = _Work()
        try:
            await warming
            status = await _phases(pool, run_id, flow, concurrency, report, options,
                                   progress, None, stop, done)
        except CarrierAuthError:
            await lease.finish(RunStatus.INTERRUPTED, done.bought)
            raise
        report.bought_here = done.bought
        return await _close(pool, run_id, status, report, options, flow, lease)
