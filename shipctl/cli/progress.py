"""Progress of a long job: a Rich display on a terminal, plain log lines for cron and pipes."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from shipctl.jobs.bulk import StatsReader
    from shipctl.jobs.orderflow import Outcome

LOG_EVERY = 5.0


class OrderProgress:
    """Implements the jobs' progress protocol: phase(), advance()."""

    def __init__(self, console: Console, *, live: bool) -> None:
        self.console = console
        self.live = live
        self.purchased = 0
        self.failed = 0
        self.spend = Decimal(0)
        self._phase = ""
        self._done = 0
        self._total = 0
        self._started = time.monotonic()
        self._last_log = 0.0
        self._stats: StatsReader | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> OrderProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_live()
        if not self.live and self._phase:
            self._log(final=True)

    def pause(self) -> None:
        """Stop drawing until the next phase, e.g. while a question is asked."""
        self._stop_live()

    def _stop_live(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def phase(self, name: str, total: int, stats: StatsReader | None) -> None:
        if self._phase and not self.live:
            self._log(final=True)
        self._stop_live()
        self._phase, self._total, self._done, self._stats = name, total, 0, stats
        self._started = time.monotonic()
        if self.live and total:
            self._progress = Progress(
                TextColumn("[bold]{task.description:<8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(name, total=total, detail="")

    def advance(self, outcome: Outcome | None) -> None:
        from shipctl.models import OrderState

        self._done += 1
        if outcome is not None and outcome.state is OrderState.PURCHASED:
            self.purchased += 1
            if outcome.label is not None:
                self.spend += outcome.label.rate
        elif outcome is not None and outcome.state is OrderState.FAILED:
            self.failed += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, detail=self._detail())
        elif not self.live and time.monotonic() - self._last_log >= LOG_EVERY:
            self._log()

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return self._done / elapsed if elapsed > 0 else 0.0

    def _detail(self) -> str:
        window = f" · window {self._stats().window}" if self._stats is not None else ""
        return (
            f"[green]{self.purchased} bought[/] [red]{self.failed} failed[/] "
            f"· ${self.spend:,.2f} · {self._rate():.1f}/s{window}"
        )

    def _log(self, *, final: bool = False) -> None:
        self._last_log = time.monotonic()
        window = f" window={self._stats().window}" if self._stats is not None else ""
        self.console.print(
            f"{self._phase}: {self._done}/{self._total} purchased={self.purchased} "
            f"failed={self.failed} spend=${self.spend:.2f} rate={self._rate():.1f}/s{window}"
            + (" done" if final else ""),
            markup=False, highlight=False, soft_wrap=True,
        )
