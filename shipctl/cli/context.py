"""What every command needs from the invocation: settings, consoles, the terminal, the clock,
and the carrier sessions its jobs open (the simulator or EasyPost, wired in `cli.wiring`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from shipctl.cli.wiring import connect_carrier

if TYPE_CHECKING:  # pydantic is imported by the commands that need settings, not by --help
    from shipctl.carrier.session import CarrierFactory
    from shipctl.config import LoadedSettings, Settings


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    """The injected environment of one command (tests build their own)."""

    flags: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    debug: bool = False
    stdout: Console = field(default_factory=lambda: Console(highlight=False))
    stderr: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))
    stdin_isatty: bool = field(default_factory=lambda: sys.stdin is not None and sys.stdin.isatty())
    clock: Callable[[], datetime] = _now
    carriers: CarrierFactory = connect_carrier
    _loaded: LoadedSettings | None = None

    def loaded(self, **overrides: Any) -> LoadedSettings:
        from shipctl.config import load_settings

        if self._loaded is None or overrides:
            self._loaded = load_settings(
                {**self.flags, **overrides}, config_file=self.config_file
            )
        return self._loaded

    @property
    def settings(self) -> Settings:
        return self.loaded().settings

    @property
    def interactive(self) -> bool:
        """A person at a terminal: prompts and live progress are allowed."""
        return self.stdin_isatty and self.stdout.is_terminal

    def notice(self, text: str) -> None:
        self.stderr.print(f"[yellow]{text}[/]", soft_wrap=True)
