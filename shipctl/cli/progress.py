"""Progress of a long job: a Rich bar at a terminal, plain log lines for cron and pipes.

`ProgressDisplay` is the one display. `OrderProgress` (the bulk job's phases of orders) and
`TrackingProgress` (the tracking sweep's batches of codes) only count what their job reports
through its progress protocol and say what a bar or a line shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from shipctl.jobs.bulk import StatsReader
    from shipctl.jobs.orderflow import Outcome

LOG_EVERY = 5.0


class ProgressDisplay:
    """One phase at a time: a bar when `live`, else a line every `log_every` s and at its end."""

    def __init__(self, console: Console, *, live: bool, quiet: bool = False,
                 log_every: float = LOG_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.quiet = quiet
        self.live = live and not quiet
        self.log_every = log_every
        self.clock = clock
        self.name = ""
        self.total = self.done = 0
        self._open = False
        self._started = self._last_log = clock()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, name: str, total: int) -> None:
        """End the phase under way, if any, and show a new one."""
        self.close()
        self.name, self.total, self.done, self._open = name, total, 0, True
        self._started = self.clock()
        self._last_log = self._started - self.log_every  # the first step is logged at once
        if self.live and total:
            # imported here: rich.progress costs `shipctl --help` ~20 ms
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description:<8}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=self.console, transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(name, total=total, detail="")

    def step(self, count: int = 1) -> None:
        """`count` more items done."""
        self.done += count
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=count, detail=self.detail())
        elif not self.live and not self.quiet and self.clock() - self._last_log >= self.log_every:
            self._log()

    def pause(self) -> None:
        """Stop drawing until the next phase, e.g. while a question is asked."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def close(self) -> None:
        """End the phase: stop the bar, or log its last line."""
        self.pause()
        if self._open and not self.live and not self.quiet:
            self._log(final=True)
        self._open = False

    def rate(self) -> float:
        elapsed = self.clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def detail(self) -> str:
        """Rich markup beside the bar."""
        return f"{self.rate():.1f}/s"

    def fields(self) -> str:
        """`key=value` words of a log line."""
        return f"rate={self.rate():.1f}/s"

    def _log(self, *, final: bool = False) -> None:
        self._last_log = self.clock()
        self.console.print(
            f"{self.name}: {self.done}/{self.total} {self.fields()}" + (" done" if final else ""),
            markup=False, highlight=False, soft_wrap=True,
        )


class OrderProgress(ProgressDisplay):
    """Implements the bulk job's progress protocol: phase(), advance()."""

    def __init__(self, console: Console, *, live: bool, log_every: float = LOG_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(console, live=live, log_every=log_every, clock=clock)
        self.purchased = 0
        self.failed = 0
        self.spend = Decimal(0)
        self._stats: StatsReader | None = None

    def phase(self, name: str, total: int, stats: StatsReader | None) -> None:
        self.close()  # the last line of the phase before shows its own window
        self._stats = stats
        self.start(name, total)

    def advance(self, outcome: Outcome | None) -> None:
        from shipctl.models import OrderState

        if outcome is not None and outcome.state is OrderState.PURCHASED:
            self.purchased += 1
            if outcome.label is not None:
                self.spend += outcome.label.rate
        elif outcome is not None and outcome.state is OrderState.FAILED:
            self.failed += 1
        self.step()

    def detail(self) -> str:
        window = f" · window {self._stats().window}" if self._stats is not None else ""
        return (f"[green]{self.purchased} bought[/] [red]{self.failed} failed[/] "
                f"· ${self.spend:,.2f} · {self.rate():.1f}/s{window}")

    def fields(self) -> str:
        window = f" window={self._stats().window}" if self._stats is not None else ""
        return (f"purchased={self.purchased} failed={self.failed} spend=${self.spend:.2f} "
                f"rate={self.rate():.1f}/s{window}")


class TrackingProgress(ProgressDisplay):
    """Implements the tracking sweep's progress protocol: begin(), advance()."""

    def __init__(self, console: Console, *, live: bool, quiet: bool = False,
                 log_every: float = LOG_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(console, live=live, quiet=quiet, log_every=log_every, clock=clock)
        self.checked = self.failed = 0

    def begin(self, total: int) -> None:
        self.start("track", total)

    def advance(self, checked: int, failed: int) -> None:
        self.checked += checked
        self.failed += failed
        self.step(checked + failed)

    def detail(self) -> str:
        return f"[red]{self.failed} failed[/] · {self.rate():.0f}/s"

    def fields(self) -> str:
        return f"checked={self.checked} failed={self.failed} rate={self.rate():.1f}/s"
