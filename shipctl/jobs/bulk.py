"""`shipctl bulk`: validate every order, quote them, confirm, buy each exactly once.

Callable from Python: `await run_bulk(settings, BulkOptions(path=Path("orders.csv")))`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from shipctl.carrier.pacing import queued
from shipctl.errors import CarrierAuthError, CarrierError, InputError, OutputError
from shipctl.jobs.accounting import InvalidOrder, invalid_orders, unshipped_rows
from shipctl.jobs.carrier_check import NamedCarriers
from shipctl.jobs.orderflow import OrderFailed, OrderFlow, Outcome, Quoted
from shipctl.jobs.printroom import PrintRoom
from shipctl.jobs.quote_options import OptionsSummary, summarise
from shipctl.models import Order, OrderState, Quote, RateRule, RunStatus
from shipctl.orders import LoadOptions, OrderSource, RowError, SkippedOrder
from shipctl.store.shipments import Scope, StoredOrder

if TYPE_CHECKING:
    from shipctl.carrier.executor import ExecutorStats
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.jobs.runtime import Runtime
    from shipctl.jobs.verify import VerifyReport
    from shipctl.store.claims import RunLease
    from shipctl.store.database import Pool

PERSIST_BATCH = 500
WARM_CONNECTIONS = 5  # held at once by a worker: run lease, pace, claims, writer, storing
FIRST_BATCH = 16  # then doubling up to PERSIST_BATCH: the first quotes start sooner
# About ten million orders: a file larger than this is almost surely not an order export.
MAX_INPUT_BYTES = 1 << 30
MAX_LISTED_ERRORS = 1000
MAX_KEPT_ERRORS = 1_000_000  # --skip-invalid: the errors of every dropped order, in memory
MAX_LISTED_ORDERS = 200


StatsReader = Callable[[], "ExecutorStats"]


class BulkProgress(Protocol):
    """What the bulk job reports while it works (the CLI draws it; tests record it)."""

    def phase(self, name: str, total: int, stats: StatsReader | None) -> None: ...

    def advance(self, outcome: Outcome | None) -> None: ...


class _Silent:
    def phase(self, name: str, total: int, stats: StatsReader | None) -> None:
        pass

    def advance(self, outcome: Outcome | None) -> None:
        pass


@dataclass(frozen=True)
class BulkOptions:
    path: Path | str
    load: LoadOptions | None = None  # None: parcel presets and from-address from settings
    rule: RateRule | None = None
    label_format: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    rebuy: bool = False
    concurrency: int | None = None
    results_out: Path | None = None
    labels_out: Path | None = None
    force: bool = False
    store: str | None = None  # None: the `store` setting
    print_room: PrintRoom = field(default_factory=lambda: PrintRoom())
    verify: str = "off"  # off, on or strict: verify every destination before quoting
    accept_corrections: bool = False
    ship_date: date | None = None  # EasyPost's label_date for the labels bought


@dataclass(frozen=True)
class ServiceTotal:
    """Orders of a run by carrier and service, with their rates summed."""

    carrier: str
    service: str
    orders: int
    total: Decimal


async def _run_totals(pool: Pool, run_id: int, state: str) -> list[ServiceTotal]:
    from shipctl.store import shipments

    return [ServiceTotal(**row) for row in await shipments.run_totals(pool, run_id, state)]


@dataclass
class QuoteSummary:
    """What the run would buy: orders by carrier and service, and orders with no rate."""

    lines: list[ServiceTotal] = field(default_factory=list)
    unquoted: list[StoredOrder] = field(default_factory=list)
    unquoted_count: int = 0
    options: OptionsSummary = field(default_factory=OptionsSummary)
    residential: dict[str, int] = field(default_factory=dict)  # by carrier, when verified

    @property
    def orders(self) -> int:
        return sum(line.orders for line in self.lines)

    @property
    def total(self) -> Decimal:
        """The rates, and insuring the orders that declare a value."""
        return sum((line.total for line in self.lines), self.options.insurance_fee)

    @property
    def average(self) -> Decimal:
        return (self.total / self.orders).quantize(Decimal("0.01")) if self.orders else Decimal(0)


# How one `bulk` ended for its caller: the file had invalid rows (nothing stored), a dry run
# quoted it, the quote was declined, or it was worked to the end or interrupted. (The run
# row's status is a `RunStatus`: a declined run is left `interrupted`, a quoted one
# `completed`.)
# "nothing": every order of the file was skipped (or invalid and --skip-invalid): no run.
BulkOutcome = Literal["invalid", "quoted", "declined", "completed", "interrupted", "nothing"]


@dataclass
class BulkReport:
    """How the run ended (`status`, see BulkOutcome) and what it counted.

    The counts are the run's, over all its workers; `bought_here` is this worker's share.
    """

    status: BulkOutcome
    run_id: int | None = None
    mapping: str | None = None
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    skipped: list[SkippedOrder] = field(default_factory=list)
    valid: int = 0
    already_purchased: list[str] = field(default_factory=list)
    already_sample: list[StoredOrder] = field(default_factory=list)
    refunded: list[StoredOrder] = field(default_factory=list)
    # `--rebuy`: the earlier labels this run replaced, still valid and paid for (a sample).
    replaced: list[StoredOrder] = field(default_factory=list)
    changed_after_purchase: list[StoredOrder] = field(default_factory=list)
    quote: QuoteSummary | None = None
    counts: dict[str, int] = field(default_factory=dict)
    spend: list[ServiceTotal] = field(default_factory=list)
    failures: list[StoredOrder] = field(default_factory=list)
    mode: str = "test"
    store: str = "default"
    stats: ExecutorStats | None = None
    results_out: Path | None = None
    labels_out: Path | None = None
    labels_written: int = 0
    slips_out: Path | None = None
    slips_written: int = 0
    printed: list[str] = field(default_factory=list)  # what lp said for each file printed
    bought_here: int = 0
    joined: bool = False
    without_sender: int = 0  # valid orders that ship from the configured warehouse
    international: int = 0  # valid orders declared to customs
    verification: VerifyReport | None = None
    carriers_named: NamedCarriers = field(default_factory=NamedCarriers)
    dropped: list[InvalidOrder] = field(default_factory=list)  # invalid, --skip-invalid

    @property
    def unshipped(self) -> list[list[str]]:
        """Results rows of the orders no run stores: invalid (dropped) first, then skipped."""
        return unshipped_rows(self.dropped, self.skipped)

    @property
    def purchased(self) -> int:
        return self.counts.get(OrderState.PURCHASED.value, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(OrderState.FAILED.value, 0)

    @property
    def unknown(self) -> int:
        return self.counts.get(OrderState.UNKNOWN.value, 0)

    @property
    def unfinished(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("created", 0)

    @property
    def total_spend(self) -> Decimal:
        return sum((line.total for line in self.spend), Decimal(0))


Confirm = Callable[[QuoteSummary], bool]


@dataclass(frozen=True)
class _Input:
    path: Path
    shown_as: str
    sha256: str


@asynccontextmanager
async def _spooled(path: Path | str, stdin: IO[bytes] | None) -> AsyncIterator[_Input]:
    """The input as a file on disk (stdin is spooled), with its sha256."""
    if str(path) != "-":
        file = Path(path)
        if not await asyncio.to_thread(file.is_file):
            raise InputError(f"{file}: no such file")
        _check_size(str(file), (await asyncio.to_thread(file.stat)).st_size)
        yield _Input(file, str(file), await asyncio.to_thread(_sha256, file))
        return
    import sys

    source = stdin or sys.stdin.buffer
    with tempfile.NamedTemporaryFile(prefix="shipctl-stdin-", suffix=".orders") as spool:
        await asyncio.to_thread(_copy_bounded, source, spool)
        spool.flush()
        spooled = Path(spool.name)
        yield _Input(spooled, "<stdin>", await asyncio.to_thread(_sha256, spooled))


def _check_size(shown_as: str, size: int) -> None:
    if size > MAX_INPUT_BYTES:
        raise InputError(
            f"{shown_as} is {size / (1 << 30):.1f} GiB; shipctl reads order files of up to "
            f"{MAX_INPUT_BYTES >> 30} GiB (about ten million orders): split it into smaller files"
        )


def _copy_bounded(source: IO[bytes], target: IO[bytes]) -> None:
    copied = 0
    for chunk in iter(lambda: source.read(1 << 20), b""):
        copied += len(chunk)
        _check_size("<stdin>", copied)
        target.write(chunk)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_options(settings: Settings, **overrides: Any) -> LoadOptions:
    """How to read orders with these settings: their parcel presets, parcel and warehouse."""
    defaults: dict[str, Any] = {
        "parcel_presets": {n: (p.length, p.width, p.height) for n, p in settings.parcels.items()},
        "default_parcel": settings.default_parcel,
        "default_from": settings.from_address,
        "default_phone": settings.default_phone,
    }
    chosen = {**defaults, **{k: v for k, v in overrides.items() if v is not None}}
    return LoadOptions(**with_catalog(chosen, settings.catalog))


def with_catalog(chosen: dict[str, Any], setting: Path | None) -> dict[str, Any]:
    """The catalog (`--catalog`, else the `catalog` setting) also gives SKU weights; those
    of `--sku-weights` win."""
    from shipctl.orders.catalog import load_catalog

    catalog = chosen.get("catalog") or (load_catalog(setting) if setting else None)
    if catalog is None:
        return chosen
    weights = {**catalog.weights(), **(chosen.get("sku_weights") or {})}
    return {**chosen, "catalog": catalog.merged(weights), "sku_weights": weights}


def _validate(source: OrderSource, report: BulkReport, keep: int = MAX_LISTED_ERRORS) -> None:
    """First pass: count valid orders, keep errors (up to `keep`) and skips. Nothing is
    stored yet."""
    for item in source:
        if isinstance(item, RowError):
            report.error_count += 1
            if len(report.errors) < keep:
                report.errors.append(item)
        elif isinstance(item, SkippedOrder):
            report.skipped.append(item)
        else:
            report.valid += 1
            report.carriers_named.note(item)
            if item.from_address is None:
                report.without_sender += 1
            if item.needs_customs(source.options.default_from):
                report.international += 1
    report.mapping = source.mapping


def _valid_batches(source: OrderSource) -> Iterator[list[Order]]:
    batch: list[Order] = []
    size = FIRST_BATCH
    for item in source:
        if isinstance(item, Order):
            batch.append(item)
            if len(batch) == size:
                yield batch
                batch, size = [], min(PERSIST_BATCH, 2 * size)
    if batch:
        yield batch


async def _persist(
    pool: Pool, source: OrderSource, run_id: int, options: BulkOptions, scope: Scope,
    report: BulkReport, *, retry_failed: bool, stored: asyncio.Event | None = None,
) -> None:
    """Second pass: store every valid order as pending under the run, in batches.

    The next batch is read from the file while the current one is written; `stored` is set
    as each batch is committed, and once storing ends.
    """
    from shipctl.store import shipments

    position = 0
    batches = _valid_batches(source)
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    try:
        while (batch := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            bought = await shipments.record_run_orders(
                pool, run_id, batch, scope=scope, first_position=position,
                rebuy=options.rebuy, retry_failed=retry_failed,
            )
            position += len(batch)
            if stored is not None:
                stored.set()
            for found in bought:
                order = found.order
                if found.changed and len(report.changed_after_purchase) < MAX_LISTED_ORDERS:
                    report.changed_after_purchase.append(order)
                if order.state is OrderState.REFUNDED:
                    if len(report.refunded) < MAX_LISTED_ORDERS:
                        report.refunded.append(order)
                    continue
                report.already_purchased.append(order.reference)
                if len(report.already_sample) < 20:
                    report.already_sample.append(order)
    finally:
        if stored is not None:
            stored.set()
        if not upcoming.done():
            upcoming.cancel()  # the thread finishes its batch; nothing reads it


# How long a worker with nothing left to claim waits before looking again for orders that
# other workers hold (their buys in flight, or a worker that died and let go of them). Orders
# this worker holds itself wake it as soon as one is done, without waiting this long.
WAIT_FOR_OTHERS = 0.25


def orders_under_way(concurrency: int) -> int:
    """Orders worked at once for `concurrency` calls in flight. The executor's window holds
    an eighth more calls than it has threads (`pacing.queued`), and an order spends a few
    milliseconds of its ~2 round trips between calls (its shipment id committed before the
    buy), when its place in the window would stand idle: another eighth more orders keeps
    it full. (Small windows keep one order per thread.)"""
    return concurrency + 2 * queued(concurrency)


@dataclass(frozen=True)
class _Storing:
    """The file's orders still being stored while the ship phase already works those stored
    (set by `_ship`): the phase does not end before it is done, even with nothing left to
    claim yet; and since storing touches rows (an `unknown` order taken over from another
    run), the phase restarts its claims until then, so such an order is still retrieved in
    this phase. A worker with nothing to claim meanwhile waits for the next batch stored."""

    task: asyncio.Future[None]
    stored: asyncio.Event  # set as each batch is committed, and once storing ends


_STORING: ContextVar[_Storing | None] = ContextVar("storing", default=None)


async def _until_either(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    """Wait until either event is set, `seconds` at most."""
    waits = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


@dataclass
class _Work:
    """What one worker did across the phases of a run."""

    bought: int = 0


async def _work(
    pool: Pool,
    run_id: int,
    states: tuple[list[str], list[str]],
    concurrency: int,
    handle: Callable[[StoredOrder], Awaitable[Outcome | None]],
    progress: BulkProgress,
    stop: asyncio.Event,
    settle: Callable[[], Awaitable[None]],
    done: _Work,
) -> None:
    """Claim the run's orders and handle each once, `concurrency` calls in flight.

    `states`: the states always claimed, and those claimed only when last changed before
    this phase began (see OrderClaims). A worker keeps claiming until no such order is left
    in the run; while other
    workers still hold some, it waits for them (they may die and let go). An order's claim
    is released once its outcome is committed; `settle` waits for the last commits before
    the claims go. A 401 stops the worker: nothing new starts, and it is raised at the end.
    """
    from shipctl.store.claims import OrderClaims

    queue: asyncio.Queue[StoredOrder] = asyncio.Queue()
    rejected: list[CarrierAuthError] = []
    async with OrderClaims(pool, run_id, *states) as claims:
        claim_lock = asyncio.Lock()
        exhausted = False
        storing = _STORING.get()
        let_go = asyncio.Event()  # one of this worker's own orders is done: look again

        def finished(order_id: int) -> None:
            claims.finished(order_id)
            let_go.set()

        async def refill(ahead: bool = False) -> None:
            """Claim more orders: once the queue is empty (waiting for more to be stored or
            let go of by other workers), or `ahead` of that (one claim, no waiting), so that
            no worker waits on a claim while the run still has unclaimed orders."""
            nonlocal exhausted, storing
            async with claim_lock:
                while not (exhausted or stop.is_set()) and (ahead or queue.empty()):
                    let_go.clear()
                    if storing is not None:
                        storing.stored.clear()  # a batch stored from now on ends the wait
                        storing = None if storing.task.done() else storing
                        await claims.restart()
                    batch = await claims.claim(concurrency * 2)
                    for order in batch:
                        queue.put_nowait(order)
                    if batch or ahead:
                        return
                    if await claims.remaining() == 0 and storing is None:
                        exhausted = True
                        return
                    if storing is None:
                        await _until_either(stop, let_go, WAIT_FOR_OTHERS)
                    else:
                        await _until_either(stop, storing.stored, WAIT_FOR_OTHERS)

        claiming: list[asyncio.Future[None]] = []
        closing = asyncio.Event()

        def claim_ahead() -> None:
            if queue.qsize() >= concurrency or exhausted or closing.is_set() \
                    or claim_lock.locked() or (claiming and not claiming[-1].done()):
                return
            ahead = asyncio.ensure_future(refill(ahead=True))
            # A claim ahead that fails (the database gone) is met again, and raised, by the
            # claim a worker waits on; this one's error needs no other reader.
            ahead.add_done_callback(lambda done: done.cancelled() or done.exception())
            claiming[:] = [ahead]

        async def worker() -> None:
            while not stop.is_set():
                if queue.empty():
                    await refill()
                    if queue.empty():
                        return
                order = queue.get_nowait()
                claim_ahead()
                try:
                    outcome = await handle(order)
                except CarrierAuthError as error:
                    rejected.append(error)
                    stop.set()
                    finished(order.id)
                    return
                if outcome is not None and outcome.state is OrderState.PURCHASED:
                    done.bought += 1
                if outcome is not None and outcome.committed is not None:
                    outcome.committed.add_done_callback(_release(finished, order.id))
                else:
                    finished(order.id)
                progress.advance(outcome)

        workers = [asyncio.ensure_future(worker())
                   for _ in range(orders_under_way(concurrency))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            # One worker failed (the database, most likely): the others start nothing new
            # and finish what they have under way before the claims are settled and let go
            # (their connection serves one operation at a time).
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            closing.set()
            if claiming:
                await asyncio.wait(claiming)
            await settle()
    if rejected:
        raise rejected[0]


def _release(
    finished: Callable[[int], None], order_id: int
) -> Callable[[asyncio.Future[None]], None]:
    return lambda _committed: finished(order_id)


# An order with a shipment is retrieved before anything else happens to it, whatever its
# state, so each phase takes orders in any unfinished state: (always, if not yet this phase).
SHIP = (["pending", "created"], ["unknown"])
QUOTE = (["pending"], ["created", "unknown"])
BUY = (["created"], ["unknown"])


async def _quote_phase(
    pool: Pool, run_id: int, flow: OrderFlow, concurrency: int,
    progress: BulkProgress, stop: asyncio.Event, created_here: dict[int, Quote], done: _Work,
    alternatives: dict[int, str] | None = None,
) -> None:
    async def quote(order: StoredOrder) -> Outcome | None:
        try:
            prepared = await flow.prepare(order)
        except OrderFailed as failed:
            return failed.outcome
        if isinstance(prepared, Outcome):
            return prepared  # found bought, or its outcome still unknown
        created_here[order.id] = prepared.chosen
        if alternatives is not None:
            alternatives[order.id] = flow.alternatives(prepared)
        return None

    await _work(pool, run_id, QUOTE, concurrency, quote, progress, stop,
                flow.writer.drain, done)


async def _buy_phase(
    pool: Pool, run_id: int, flow: OrderFlow, concurrency: int,
    progress: BulkProgress, stop: asyncio.Event, created_here: dict[int, Quote], done: _Work,
) -> None:
    async def buy(order: StoredOrder) -> Outcome:
        chosen = created_here.get(order.id)
        if chosen is None or order.state is not OrderState.CREATED:
            return await flow.ship(order, wait=False)  # another worker's order, or unknown
        try:
            return await flow.purchase(Quoted(order, None, chosen), wait=False)
        except OrderFailed as failed:
            return failed.outcome

    await _work(pool, run_id, BUY, concurrency, buy, progress, stop,
                flow.writer.drain, done)


async def _ship_phase(
    pool: Pool, run_id: int, flow: OrderFlow, concurrency: int,
    progress: BulkProgress, stop: asyncio.Event, done: _Work,
) -> None:
    """Quote and buy each order in one go: nothing waits for the slowest quote."""

    async def ship(order: StoredOrder) -> Outcome:
        return await flow.ship(order, wait=False)

    await _work(pool, run_id, SHIP, concurrency, ship, progress, stop,
                flow.writer.drain, done)


async def _summarise_quote(pool: Pool, run_id: int) -> QuoteSummary:
    from shipctl.store import shipments
    from shipctl.store.addresses import residential_quoted

    counts = await shipments.run_counts(pool, run_id)
    return QuoteSummary(
        lines=await _run_totals(pool, run_id, "created"),
        unquoted=await shipments.run_failures(pool, run_id, MAX_LISTED_ORDERS),
        unquoted_count=counts.get("failed", 0),
        options=summarise(await shipments.run_options(pool, run_id, "created")),
        residential=await residential_quoted(pool, run_id),
    )


async def run_bulk(
    settings: Settings,
    options: BulkOptions,
    *,
    progress: BulkProgress | None = None,
    confirm: Confirm | None = None,
    stop: asyncio.Event | None = None,
    stdin: IO[bytes] | None = None,
    carriers: CarrierFactory,
) -> BulkReport:
    """Validate, store, quote, confirm and buy every order of one input file."""
    from shipctl.files import check_outputs

    progress = progress or _Silent()
    stop = stop or asyncio.Event()
    if options.load is None:
        options = replace(options, load=load_options(settings))
    assert options.load is not None
    outputs = {"--results-out": options.results_out, "--labels-out": options.labels_out,
               "--packing-slips": options.print_room.slips_out}
    given = {flag: path for flag, path in outputs.items() if path is not None}
    inputs = [] if str(options.path) == "-" else [Path(options.path)]
    check_outputs(given, inputs=inputs, force=options.force)
    if options.print_room.print_labels:
        from shipctl.jobs.printing import check_printer

        await asyncio.to_thread(check_printer, options.print_room.printer)
    async with _spooled(options.path, stdin) as spooled:
        report = BulkReport(status="invalid")
        checking = _checked(settings, options, spooled, report, given, inputs)
        concurrency = options.concurrency or settings.effective_concurrency()
        async with _runtime_while(checking, settings, carriers, concurrency) as runtime:
            if runtime is None:
                return report
            return await _ship(settings, options, spooled, report, progress, confirm, stop,
                               runtime, concurrency)


async def _checked(
    settings: Settings, options: BulkOptions, spooled: _Input, report: BulkReport,
    given: dict[str, Path], inputs: list[Path],
) -> bool:
    """Validate the whole file (nothing is stored yet) and what it needs; False when the run
    stops there (invalid rows, or nothing to ship), with `report` saying why."""
    from shipctl.files import check_outputs

    # With --skip-invalid every dropped order goes to the results file: keep its errors.
    keep = MAX_KEPT_ERRORS if options.skip_invalid else MAX_LISTED_ERRORS
    await asyncio.to_thread(_validate, OrderSource(spooled.path, _load(options)), report, keep)
    if report.error_count and not options.skip_invalid:
        return False
    report.dropped = invalid_orders(report.errors)
    if report.valid == 0:
        if report.skipped or report.dropped:
            report.status = "nothing"
            await _write_unshipped(report, options)
            return False
        raise InputError(f"{spooled.shown_as}: no valid orders to ship")
    if report.without_sender:
        settings.require_from_address()  # before anything is quoted: exit 3
    if report.international:
        settings.require_customs_signer()  # before anything is quoted: exit 3
    # Again, now that the number of labels is known: is there room for them?
    check_outputs(given, inputs=inputs, force=options.force, orders=report.valid)
    return True


@asynccontextmanager
async def _runtime_while(
    checking: Coroutine[Any, Any, bool], settings: Settings, carriers: CarrierFactory,
    concurrency: int,
) -> AsyncIterator[Runtime | None]:
    """The carrier session and the database, opened while `checking` validates the file (in
    a thread); None when the check stops the run. The file comes first: an invalid one is
    reported as such whether or not a session or the database could be opened (their errors
    surface only for a file that is fine), and its check is never stuck behind them."""
    from shipctl.jobs.runtime import open_runtime

    async with contextlib.AsyncExitStack() as stack:
        opening = asyncio.ensure_future(stack.enter_async_context(
            open_runtime(settings, carriers, concurrency=concurrency, pool_size=7)))
        try:
            go = await checking
        except BaseException:
            await _abandon(opening)
            raise
        if not go:
            await _abandon(opening)
            yield None
            return
        yield await opening


async def _abandon(opening: asyncio.Future[Any]) -> None:
    """Stop opening something no longer needed (a session or database that was opened is
    closed with its exit stack); its errors no longer matter."""
    opening.cancel()
    await asyncio.gather(opening, return_exceptions=True)

async def _ship(
    settings: Settings, options: BulkOptions, spooled: _Input, report: BulkReport,
    progress: BulkProgress, confirm: Confirm | None, stop: asyncio.Event, runtime: Runtime,
    concurrency: int,
) -> BulkReport:
    """Open (or join) the file's run and work it. The run's own lifecycle: a worker leaving
    on a rejected API key leaves it interrupted; otherwise the last worker on it closes it,
    once the output files are written (see `_close`)."""
    label_format = _label_format(options, settings)
    # The run's lease, claims, writer and pace each hold a connection soon: open them (and
    # the carrier's threads) while the run is opened and its first orders stored.
    warming = asyncio.ensure_future(runtime.warm(WARM_CONNECTIONS))
    try:
        return await _work_the_run(settings, options, spooled, report, progress, confirm,
                                   stop, runtime, warming, concurrency, label_format)
    finally:
        await asyncio.wait([warming])


async def _work_the_run(
    settings: Settings, options: BulkOptions, spooled: _Input, report: BulkReport,
    progress: BulkProgress, confirm: Confirm | None, stop: asyncio.Event, runtime: Runtime,
    warming: asyncio.Future[None], concurrency: int, label_format: str,
) -> BulkReport:
    """The run of the file, opened (or joined) on the runtime, worked and closed."""
    from shipctl.carrier.options import LabelSetup
    from shipctl.jobs.pace_share import shared_pace
    from shipctl.store import shipments
    from shipctl.store.claims import Buyer, RunLease

    pool, carrier = runtime.pool, runtime.carrier
    if not await _account_has_carriers(carrier, options, report):
        return report
    scope = Scope(mode=carrier.mode, store=options.store or settings.store,
                  default_from=settings.from_address, label_format=label_format)
    report.mode, report.store = scope.mode, scope.store
    run_id, _resumed = await shipments.open_run(
        pool, "bulk", scope=scope, input_path=spooled.shown_as,
        input_sha256=spooled.sha256,
        options={"dry_run": options.dry_run, "rebuy": options.rebuy,
                 "mapping": report.mapping, "concurrency": concurrency,
                 "label_format": label_format, **options.print_room.run_options(),
                 "rule": (options.rule or settings.rate_rule()).data()},
        buys=not options.dry_run,
    )
    report.run_id = run_id
    async with RunLease(pool, run_id) as lease, shared_pace(pool, carrier.executor):
        report.joined = lease.joined
        stored = asyncio.Event()
        storing = asyncio.ensure_future(_persist(
            pool, OrderSource(spooled.path, _load(options)), run_id, options, scope, report,
            retry_failed=not lease.joined, stored=stored))
        # Quote while the file is still being stored, unless every order must be stored
        # first: a quote to confirm, a dry run, --verify (it verifies the whole file before
        # anything is quoted) or --ship-date (it dates every stored order).
        overlap = (confirm is None and not options.dry_run and options.verify == "off"
                   and options.ship_date is None)
        token = _STORING.set(_Storing(storing, stored) if overlap else None)
        if not overlap:
            await storing
            if options.verify != "off" and not await _verified(pool, carrier, run_id, scope,
                                                               options, report):
                _STORING.reset(token)
                await lease.finish(RunStatus.INTERRUPTED)
                return report
            if options.ship_date is not None and not options.dry_run:
                from shipctl.store.manifests import set_label_date

                await set_label_date(pool, run_id, options.ship_date)
        flow = OrderFlow(
            pool, carrier, from_address=settings.from_address,
            rule=options.rule or settings.rate_rule(), label_format=label_format,
            quiet_seconds=settings.timeout + 5, buyer=Buyer(worker_id=lease.worker_id),
            customs=settings.customs, label=LabelSetup.of(settings, options.print_room.dpi),
            label_date=options.ship_date,
        )
        done = _Work()
        try:
            await warming  # its threads started before its first call
            status = await _phases(pool, run_id, flow, concurrency, report, options,
                                   progress, confirm, stop, done)
        except CarrierAuthError:
            await asyncio.wait([storing])
            await lease.finish(RunStatus.INTERRUPTED, done.bought)
            raise
        finally:
            _STORING.reset(token)
            await asyncio.wait([storing])
        await storing  # a failure to store is raised here
        if not lease.joined:
            await shipments.note_skips(pool, run_id, len(report.skipped),
                                       len(report.already_purchased))
        report.bought_here = done.bought
        return await _close(pool, run_id, status, report, options, flow, lease)


async def _account_has_carriers(
    carrier: CarrierSession, options: BulkOptions, report: BulkReport
) -> bool:
    """Carriers the orders or --carriers name, checked against the account's."""
    from shipctl.jobs.carrier_check import check_account_carriers

    unknown = await check_account_carriers(carrier, report.carriers_named, options.rule)
    report.errors += unknown
    report.error_count += len(unknown)
    if unknown and not options.skip_invalid:
        report.status = "invalid"
        return False
    return True


async def _verified(
    pool: Pool, carrier: CarrierSession, run_id: int, scope: Scope, options: BulkOptions,
    report: BulkReport,
) -> bool:
    """Verify the destinations (jobs/verify.py); False when undeliverable ones stop the run."""
    from shipctl.jobs.verify import verify_destinations

    report.verification = found = await verify_destinations(
        pool, carrier, run_id, scope, strict=options.verify == "strict",
        accept=options.accept_corrections, skip_invalid=options.skip_invalid)
    report.error_count += found.undeliverable_count
    report.errors += found.undeliverable[: max(0, MAX_LISTED_ERRORS - len(report.errors))]
    if found.undeliverable_count and not options.skip_invalid:
        report.status = "invalid"
        return False
    return True


async def _phases(
    pool: Pool, run_id: int, flow: OrderFlow, concurrency: int, report: BulkReport,
    options: BulkOptions, progress: BulkProgress, confirm: Confirm | None,
    stop: asyncio.Event, done: _Work,
) -> RunStatus:
    """Quote and buy; returns the run status this worker leaves it in."""
    pending = report.valid - len(report.already_purchased) - len(report.refunded)
    stats = _stats_of(flow.carrier)
    if confirm is None and not options.dry_run:
        # Nobody to ask: each order is quoted and bought straight away.
        progress.phase("shipping", pending, stats)
        await _ship_phase(pool, run_id, flow, concurrency, progress, stop, done)
        return RunStatus.INTERRUPTED if stop.is_set() else RunStatus.COMPLETED
    created_here: dict[int, Quote] = {}
    progress.phase("quoting", pending, stats)
    alternatives: dict[int, str] | None = {} if options.results_out else None
    await _quote_phase(pool, run_id, flow, concurrency, progress, stop, created_here, done,
                       alternatives)
    report.quote = await _summarise_quote(pool, run_id)
    if stop.is_set():
        return RunStatus.INTERRUPTED
    if options.dry_run:
        report.status = "quoted"
        if options.results_out is not None and alternatives is not None:
            await _write_quotes(pool, run_id, options.results_out, report, alternatives,
                                force=options.force)
        return RunStatus.COMPLETED
    if report.quote.orders and confirm is not None and not confirm(report.quote):
        report.status = "declined"
        return RunStatus.INTERRUPTED
    progress.phase("buying", report.quote.orders, stats)
    await _buy_phase(pool, run_id, flow, concurrency, progress, stop, created_here, done)
    return RunStatus.INTERRUPTED if stop.is_set() else RunStatus.COMPLETED


async def _write_quotes(
    pool: Pool, run_id: int, path: Path, report: BulkReport, alternatives: dict[int, str],
    *, force: bool,
) -> None:
    """A dry run's results file: each order's chosen rate (status `quoted`), the rates not
    chosen with why, or why none fits; then the file's invalid and skipped orders."""
    from shipctl.files import write_atomically
    from shipctl.jobs.exports import result_status
    from shipctl.jobs.results import COLUMNS, result_row, results_csv
    from shipctl.store.shipments import iter_run_orders

    rows: list[list[str]] = []
    async for page in iter_run_orders(pool, run_id):
        for order in page:
            status = result_status(order, run_id)
            status = "quoted" if status == OrderState.CREATED.value else status
            rows.append([*result_row(order, status), alternatives.get(order.id, "")])
    rows += [[*row, ""] for row in report.unshipped]
    try:
        await asyncio.to_thread(write_atomically, path,
                                results_csv(rows, columns=(*COLUMNS, "alternatives")),
                                force=force)
    except OSError as error:
        raise OutputError(f"{path} could not be written ({error.strerror or error})") from None
    report.results_out = path


async def _write_unshipped(report: BulkReport, options: BulkOptions) -> None:
    """With no order to ship there is no run: the results file lists the file's orders."""
    from shipctl.files import write_atomically
    from shipctl.jobs.results import results_csv

    if options.results_out is None:
        return
    try:
        await asyncio.to_thread(write_atomically, options.results_out,
                                results_csv(report.unshipped), force=options.force)
    except OSError as error:
        raise OutputError(f"{options.results_out} could not be written "
                          f"({error.strerror or error})") from None
    report.results_out = options.results_out


def _label_format(options: BulkOptions, settings: Settings) -> str:
    """ZPL or EPL2 labels for a `.zpl` or `.epl` labels file; otherwise the asked-for or
    configured format."""
    from shipctl.jobs.exports import label_file_format

    thermal = label_file_format(options.labels_out) if options.labels_out is not None else None
    if thermal in ("ZPL", "EPL2"):
        return thermal
    if options.label_format:
        return options.label_format
    return settings.label_format


def _load(options: BulkOptions) -> LoadOptions:
    assert options.load is not None  # run_bulk fills it in
    return options.load


def _stats_of(carrier: CarrierSession) -> StatsReader:
    """The executor's counters as of each call, for a live progress display."""
    return lambda: carrier.executor.stats


async def _close(
    pool: Pool, run_id: int, status: RunStatus, report: BulkReport, options: BulkOptions,
    flow: OrderFlow, lease: RunLease,
) -> BulkReport:
    """Count, write the files, then leave the run: a run is completed only once its files
    are written, and only by the last worker on it."""
    from shipctl.store import shipments

    report.stats = flow.carrier.executor.stats
    report.counts = await shipments.run_counts(pool, run_id)
    report.spend = await _run_totals(pool, run_id, "purchased")
    report.failures = await shipments.run_failures(pool, run_id, MAX_LISTED_ORDERS)
    if options.rebuy and not options.dry_run:
        report.replaced = await shipments.run_replaced(pool, run_id, MAX_LISTED_ORDERS)
    seen = {order.id for order in report.changed_after_purchase}
    report.changed_after_purchase += [
        order for order in await shipments.changed_after_purchase(pool, run_id)
        if order.id not in seen
    ]
    if report.status not in ("quoted", "declined"):
        report.status = "completed" if status is RunStatus.COMPLETED else "interrupted"
        try:
            await _write_outputs(pool, run_id, report, options, flow)
        except OutputError:
            await lease.finish(RunStatus.INTERRUPTED, report.bought_here)
            raise
    await lease.finish(_lasting(status, options, report), report.bought_here)
    return report


# States of an order whose label the run has not bought (yet).
UNSETTLED = frozenset({"pending", "created", "unknown", "failed"})


def _lasting(status: RunStatus, options: BulkOptions, report: BulkReport) -> RunStatus:
    """The status the run is left in. A `--rebuy` run that ends with orders it has not
    rebought (an unknown outcome, a failure) stays open: the rerun the summary asks for
    continues it, and rebuys only those, never the labels it rebought already."""
    if (status is RunStatus.COMPLETED and options.rebuy and not options.dry_run
            and any(report.counts.get(state, 0) for state in UNSETTLED)):
        return RunStatus.INTERRUPTED
    return status


async def _write_outputs(
    pool: Pool, run_id: int, report: BulkReport, options: BulkOptions, flow: OrderFlow,
) -> None:
    """The results and labels files, with every order of the file, in input order."""
    from shipctl.jobs.exports import print_outputs, write_labels, write_results, write_slips

    path: Path | None = None
    room = options.print_room
    try:
        if options.results_out is not None:
            path = options.results_out
            await write_results(pool, run_id, path, force=options.force, sort=room.sort,
                                extra=report.unshipped)
            report.results_out = path
        if options.labels_out is not None:
            path = options.labels_out
            report.labels_written = await write_labels(
                pool, run_id, path, force=options.force, executor=flow.carrier.executor,
                room=room,
            )
            report.labels_out = path
        if room.slips_out is not None:
            path = room.slips_out
            report.slips_written = await write_slips(pool, run_id, path, force=options.force,
                                                     room=room)
            report.slips_out = path
        report.printed = await print_outputs(room, [report.labels_out, report.slips_out])
    except (OSError, CarrierError) as error:
        if isinstance(error, CarrierAuthError):
            raise
        reason = error.strerror if isinstance(error, OSError) and error.strerror else (
            error.message if isinstance(error, CarrierError) else str(error))
        bought = report.purchased
        raise OutputError(
            f"{bought} label{'' if bought == 1 else 's'} of run {run_id} "
            f"{'is' if bought == 1 else 'are'} bought and recorded, but {path} could not be "
            f"written ({reason}). Nothing is lost: fix that, then rerun the same command, or "
            f"write the files with `shipctl runs show {run_id} --results-out FILE "
            "--labels-out FILE`"
        ) from error
