"""The time window of a report: `--since`/`--until` as dates or as `30d`, `6w`, `3m` ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shipctl.errors import InputError
from shipctl.moments import parse_moment, parse_since

# The modes a report files labels under (report_mode(), migration 0006): `demo` is the
# simulated history of `shipctl demo seed` (references DEMO-…), `simulated` every other
# simulated label. `all` is every mode together.
MODES = ("live", "test", "simulated", "demo")
ALL_MODES = "all"


@dataclass(frozen=True)
class Window:
    """Labels bought in [since, until), optionally one carrier and one mode (None: all)."""

    since: datetime
    until: datetime
    carrier: str | None = None
    mode: str | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes the report covers, as every output names them."""
        return (self.mode,) if self.mode else MODES


def key_mode(api_key: str | None, *, simulate: bool) -> str:
    """The mode a report shows by default: the mode of the labels this configuration buys.

    Simulated under `--simulate`, test for an EasyPost test key (EZTK…), live for any other
    key, and every mode when no key is configured (there is no one mode to choose).
    """
    if simulate:
        return "simulated"
    if not api_key:
        return ALL_MODES
    return "test" if api_key.startswith("EZTK") else "live"


def make_window(
    since: str,
    until: str | None,
    now: datetime,
    *,
    carrier: str | None = None,
    mode: str | None = None,
) -> Window:
    """The window for these options, or InputError naming the option that is wrong."""
    start = parse_since(since, now)
    end = parse_moment(until, now, option="--until", end_of_day=True) if until else now
    if start >= end:
        raise InputError(f"--since {since} is not before --until {until or 'now'}")
    chosen = mode.strip().lower() if mode else ALL_MODES
    if chosen not in (*MODES, ALL_MODES):
        raise InputError(f"--mode {mode!r} is not one of {', '.join((*MODES, ALL_MODES))}")
    return Window(
        since=start,
        until=end,
        carrier=carrier.strip() or None if carrier else None,
        mode=None if chosen == ALL_MODES else chosen,
    )
