"""Workers on one EasyPost account share its pace through PostgreSQL.

Each worker's `RateController` measures and rides the limit from its own answers. With
several workers (`bulk --join`, or two `bulk` on one file, on one machine or several) they
also agree on the account's pace through a heartbeat row each (`store.pace.publish`, one
statement that writes this worker's row and reads the others'), every `SYNC_EVERY` seconds
and whenever this worker's part changes:

- a worker's view of the account's pace is its own pace times the workers it split it among;
  the account's pace is the average view of the paced workers;
- the workers that split it are those with calls under way (probing, open, paced) or about to
  take their share (joining); a worker with nothing to claim goes idle within `IDLE_AFTER`
  and its part goes to the others at their next heartbeat;
- when the number of workers splitting it changes, each paced worker takes its equal share;
  in between, each one's own 429s fine-tune its pace, as with one worker (unless it drifted
  more than `BAND` from its share);
- a worker arriving on a paced account holds its calls until the paced workers have made
  room for it (they count it), then starts at its share: no slow start, no burst of 429s;
- a worker arriving while an older one is still probing the limit (slow start, before its
  first 429) holds its calls until that one has measured it, rather than probing alongside it
  and measuring only its own part of it; at most `MAX_HOLD` seconds.

No round trip per call; a failed heartbeat leaves the pace as it was, lets any held call go,
and never stops the worker. See docs/concurrency.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from shipctl.carrier.pacing import PaceState

if TYPE_CHECKING:
    from shipctl.carrier.executor import CarrierExecutor
    from shipctl.store.database import Pool
    from shipctl.store.pace import PaceWorker, RememberedPace

SYNC_EVERY = 0.5  # seconds between two heartbeats of a worker, at most
POLL = 0.1  # how often a worker looks at its own part (and heartbeats while it holds calls)
ALIVE = 3.0  # a worker not heard from for this long no longer counts
IDLE_AFTER = 0.3  # no call under way for this long: idle, out of the split
JOIN_WAIT = 1.0  # a joining worker waits at most this long for the others to make room
MAX_HOLD = 2.0  # a worker holds its calls for an older one's measure at most this long
MEMORY = 900.0  # a worker arriving alone starts where one that left this long ago stopped
# A share within this much of the current pace (relative) leaves it alone: between arrivals
# and departures each worker's own 429s fine-tune its pace, as with one worker (resetting it
# to the average every heartbeat would undo its regain after each cut).
BAND = 0.25


class Role(StrEnum):
    """A worker's part in its account's shared pace, as its heartbeat row says."""

    PROBING = "probing"  # not paced yet: its slow start looks for the limit
    OPEN = "open"  # not paced: the limit is out of its reach
    PACED = "paced"
    JOINING = "joining"  # holding its calls until the paced workers count it
    WAITING = "waiting"  # holding its calls while an older worker probes the limit
    IDLE = "idle"  # no call under way: nothing to claim


SPLITTING = frozenset({Role.PROBING, Role.OPEN, Role.PACED, Role.JOINING})


@dataclass(frozen=True)
class AccountPace:
    """What the live workers' rows say, seen from one of them (`me`)."""

    pace: float | None  # the account's pace: the average view of its paced workers
    splitting: int  # workers splitting it, `me` counted as splitting
    older_probing: bool  # a worker older than `me` probes the limit (or is about to)
    room_made: bool  # every other paced worker splits among `splitting` or more


def account_pace(rows: Sequence[PaceWorker], me: str) -> AccountPace:
    """The account's pace and its split, from the live workers' rows (oldest first)."""
    # An idle worker's view is its own part of the last split as it went idle, then the
    # account's pace as it last read it: the others share out its part, then it follows.
    paced = [r.pace for r in rows if r.state in (Role.PACED, Role.IDLE) and r.pace is not None]
    others = [r for r in rows if r.worker != me]
    splitting = 1 + sum(1 for r in others if r.state in SPLITTING)
    mine = next((i for i, r in enumerate(rows) if r.worker == me), len(rows))
    return AccountPace(
        pace=sum(paced) / len(paced) if paced else None,
        splitting=splitting,
        older_probing=any(r.state in (Role.PROBING, Role.WAITING) for r in rows[:mine]),
        room_made=all(r.workers >= splitting for r in others if r.state == Role.PACED),
    )


class PaceShare:
    """One worker's part in its account's shared pace."""

    def __init__(
        self, pool: Pool, executor: CarrierExecutor, *, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._executor = executor
        self._controller = executor.pace
        self._account = executor.account
        self._mode = executor.mode
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self.role = Role.WAITING  # as published; a new worker has not started yet
        self.workers = 1  # among how many workers this one last split the account's pace
        self._arriving = True  # not started yet, or back from idle: it joins before calling
        self._held_since: float | None = None
        self._idle_view: float | None = None  # the account's pace, as read while idle
        self._nudged = asyncio.Event()  # another worker's part changed: heartbeat now
        self._recalled = False  # looked up what the last worker on the account knew
        self._known: RememberedPace | None = None

    @property
    def holding(self) -> bool:
        return self._held_since is not None

    def _role_now(self) -> Role:
        if self._arriving and self.role in (Role.WAITING, Role.JOINING):
            return self.role
        if self._controller.quiet_for() >= IDLE_AFTER:
            return Role.IDLE
        return Role(self._controller.state.value)

    async def sync(self) -> None:
        """Write this worker's heartbeat, read the others', and take up its part."""
        role = self._role_now()
        if self.role is Role.IDLE and role is Role.PACED:
            self._arriving = True  # back from idle: join again before pacing at a stale share
            role = Role.JOINING
        before = (self.role, self.workers)
        rows = await self._publish(role)
        account = account_pace(rows, self._worker)
        if self._arriving and not self._recalled and account.splitting == 1:
            from shipctl.store import pace

            self._recalled = True
            self._known = await pace.remembered(self._pool, self._account, self._mode, MEMORY)
        self._decide(role, account)
        if (self.role, self.workers) != (role, before[1]):
            await self._publish(self.role)
        if (self.role, self.workers) != before:
            await self._nudge()  # let the others know at once: one may be waiting on it

    @property
    def _name(self) -> str:
        return f"{self._account}/{self._mode}/{self._worker}"

    async def _nudge(self) -> None:
        from shipctl.store import pace

        await pace.nudge(self._pool, self._name)

    def on_nudge(self, payload: str) -> None:
        """Another worker on this account changed its part (joined, went idle, made room)."""
        if payload.startswith(f"{self._account}/{self._mode}/") and payload != self._name:
            self._nudged.set()

    async def _publish(self, role: Role) -> list[PaceWorker]:
        from shipctl.store import pace

        rate = self._controller.rate
        view = None if rate is None else rate * self.workers
        if role is Role.IDLE and self._idle_view is not None:
            view = self._idle_view
        rows = await pace.publish(self._pool, self._account, self._mode, self._worker, role,
                                  view, self.workers, ALIVE)
        self.role = role
        return rows

    def _decide(self, role: Role, account: AccountPace) -> None:
        if self._arriving:
            self._arrive(account)
            return
        if role is Role.IDLE:
            self._idle_view = account.pace
            return
        self._idle_view = None
        workers, self.workers = self.workers, account.splitting
        self._controller.workers = account.splitting
        if account.pace is None:
            return
        share = account.pace / account.splitting
        rate = self._controller.rate
        if rate is None or account.splitting != workers or abs(share - rate) > BAND * rate:
            self._executor.share_pace(share)
            self.role = Role.PACED

    def _arrive(self, account: AccountPace) -> None:
        """Before its first call (or back from idle): take a share of a paced account once
        the others make room, or wait for an older worker's measure, or probe the limit."""
        now = self._clock()
        held_for = 0.0 if self._held_since is None else now - self._held_since
        if account.pace is not None:
            if account.room_made or held_for >= JOIN_WAIT:
                self.workers = self._controller.workers = account.splitting
                self._executor.share_pace(account.pace / account.splitting)
                self._start(Role.PACED)
            else:
                self._hold(Role.JOINING, now)
        elif account.older_probing and held_for < MAX_HOLD:
            self._hold(Role.WAITING, now)
        else:
            self.workers = self._controller.workers = account.splitting
            self._recall(account.splitting)
            self._start(Role(self._controller.state.value))

    def _recall(self, splitting: int) -> None:
        """Alone on an account another worker left a few minutes ago: start where it stopped
        (at its pace, or with its window open) rather than probe the limit from slow start."""
        known, self._known = self._known, None
        if known is None or splitting != 1:
            return
        if known.state == Role.PACED and known.pace:
            self._executor.share_pace(known.pace)
        elif known.state == Role.OPEN:
            self._controller.open_window(known.window)

    def _hold(self, role: Role, now: float) -> None:
        if self._held_since is None or self.role is not role:
            self._held_since = now  # each wait has its own bound
        self._controller.hold()
        self.role = role

    def _start(self, role: Role) -> None:
        self._arriving = False
        self._held_since = None
        self._idle_view = None
        self._controller.resume()
        self.role = role

    def _give_up_holding(self) -> None:
        """The database did not answer: never keep calls held on its account."""
        if self._arriving:
            self._start(self.role if self.role in SPLITTING else Role.PROBING)

    async def serve(self) -> None:
        """The first heartbeat (it lets this worker's calls go, or holds them), then `run`,
        while listening for the others' nudges."""
        from shipctl.store.pace import listening

        try:
            async with listening(self._pool, self.on_nudge):
                await self.safe_sync()
                await self.run()
        finally:
            self._give_up_holding()

    async def run(self) -> None:
        """Heartbeat every SYNC_EVERY seconds, and at once when this worker's part changes
        (it went idle, got paced, holds calls). Best effort: a heartbeat that fails leaves
        the pace as it is and lets held calls go; it never stops the worker."""
        synced = self._clock()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudged.wait(), POLL)
            if (self._nudged.is_set() or self.holding or self._role_now() is not self.role
                    or self._clock() - synced >= SYNC_EVERY):
                self._nudged.clear()
                synced = self._clock()
                await self.safe_sync()

    async def safe_sync(self) -> None:
        try:
            await self.sync()
        except Exception:  # any database trouble: carry on unshared
            self._give_up_holding()

    async def leave(self) -> None:
        """Leave the account's split (the others take up this worker's part at once), and
        say what it knew of the limit for the next worker to arrive alone."""
        from shipctl.store import pace

        self._start(self.role)
        controller = self._controller
        known: RememberedPace | None = None
        if controller.state is PaceState.PACED and controller.rate is not None:
            known = pace.RememberedPace(PaceState.PACED, controller.rate * self.workers,
                                        controller.size)
        elif controller.state is PaceState.OPEN:
            known = pace.RememberedPace(PaceState.OPEN, None, controller.size)
        with contextlib.suppress(Exception):
            await pace.leave(self._pool, self._account, self._mode, self._worker)
            await self._nudge()
            if known is not None:
                await pace.remember(self._pool, self._account, self._mode, known)


@asynccontextmanager
async def shared_pace(pool: Pool, executor: CarrierExecutor) -> AsyncIterator[PaceShare]:
    """`async with shared_pace(pool, executor):` this worker shares its account's pace. It
    makes no call before its first heartbeat is written (it may have to hold them), but the
    job goes on meanwhile: that heartbeat overlaps storing and claiming the first orders."""
    share = PaceShare(pool, executor)
    executor.pace.hold()
    task = asyncio.create_task(share.serve())
    try:
        yield share
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # best effort, as ever
            await task
        await share.leave()
