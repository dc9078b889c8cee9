"""Run a coroutine on uvloop where it is importable, else on the default asyncio loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def loop_name() -> str:
    """The class name of the running loop (`Loop` for uvloop), for status displays and tests."""
    return type(asyncio.get_running_loop()).__name__
