"""An event loop on a virtual clock: when every task waits on a timer, time jumps to it.

`run(coroutine)` runs a pacing scenario of minutes in milliseconds, deterministically:
`loop.time()` is the virtual clock, so `asyncio.sleep` and anything given `clock=loop.time`
share it. Real I/O still works (the selector is polled without waiting), but a thread would
not stop the clock, so scenarios here stay on the loop.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        events: list[tuple[Any, int]] = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:  # nothing scheduled: only I/O can wake the loop
            return list(super().select(None))
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coroutine)
