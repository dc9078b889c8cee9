"""Run a coroutine on uvloop where it is importable, else on the default asyncio loop."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL before another gets it


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    favour_the_loop()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def favour_the_loop() -> None:
    """Shorten the GIL switch interval for the process (never lengthen it).

    Dozens of SDK threads parse JSON while the event loop waits for the GIL to record each
    step in PostgreSQL; a shorter switch interval lets the loop in sooner. Set once at
    start-up, by `run`, rather than as a side effect of building an executor.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))


def loop_name() -> str:
    """The class name of the running loop (`Loop` for uvloop), for status displays and tests."""
    return type(asyncio.get_running_loop()).__name__
