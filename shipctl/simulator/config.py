"""Simulator settings and the parsers the CLI uses for them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FAULT_KINDS: tuple[str, ...] = ("500", "503", "timeout", "drop", "lost_response")

# Prefixes of the keys EasyPost issues: test (EZTK…) and production (EZAK…) keys.
KEY_PREFIXES: tuple[str, ...] = ("EZTK", "EZAK")
# The carriers the simulator can rate, by their readable names; a new EasyPost test account
# has USPS only.
CARRIERS: tuple[str, ...] = ("USPS", "UPS", "FedEx")
DEFAULT_CARRIERS: tuple[str, ...] = ("USPS",)
MAX_ACCOUNTS = 12
# Rates' delivery_date and a new tracker's est_delivery_date: "none" as the real API records
# them (null), or "estimated" from the service's transit days.
DELIVERY_DATES: tuple[str, ...] = ("none", "estimated")

# One simulated day per real second: a 3-day delivery completes in 3 s of wall time.
DEFAULT_DAYS_PER_MINUTE = 60.0


@dataclass
class SimulatorConfig:
    """How the simulator behaves: speed, load limits, faults and where its state lives."""

    latency: float = 0.0
    jitter: float = 0.0
    rate_limit: float | None = None
    fault_rate: float = 0.0
    seed: int | None = None
    state_path: Path | None = None
    timeout_delay: float = 35.0
    # Fast-forward: simulated days per real minute. None: the simulated clock is the wall
    # clock (a second is a second), as against EasyPost.
    days_per_minute: float | None = None
    balance: float | None = None
    host: str = "127.0.0.1"
    port: int = 0
    fault_kinds: tuple[str, ...] = field(default=FAULT_KINDS)
    # The real API holds index endpoints (GET /trackers) to 5 requests/s.
    index_rate_limit: float | None = 5.0
    # Keys accepted besides any EZTK…/EZAK… one; every other key gets 401.
    api_keys: tuple[str, ...] = ()
    # Refunds: the share the carrier rejects, and how many simulated days it takes to answer.
    refund_reject_rate: float = 0.0
    refund_days: float = 1.0
    carriers: tuple[str, ...] = DEFAULT_CARRIERS
    delivery_dates: str = "none"

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        if self.days_per_minute is not None and self.days_per_minute <= 0:
            raise ValueError("days_per_minute must be positive")
        if any(not key or key != key.strip() for key in self.api_keys):
            raise ValueError("an API key must be non-empty, without surrounding spaces")
        if not 0.0 <= self.refund_reject_rate <= 1.0:
            raise ValueError("refund_reject_rate must be between 0 and 1")
        if self.refund_days < 0:
            raise ValueError("refund_days must not be negative")
        self.carriers = parse_carriers(self.carriers)
        if self.delivery_dates not in DELIVERY_DATES:
            raise ValueError("delivery_dates must be 'none' or 'estimated'")

    def accepts(self, key: str) -> bool:
        """Whether requests made with `key` are let in."""
        return key.startswith(KEY_PREFIXES) or key in self.api_keys


def parse_carriers(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Carrier names from `USPS,UPS,FedEx` (any case, in any order) or a sequence of them: one
    carrier account each, so `USPS,USPS` is two USPS accounts."""
    names = [name for name in (value.split(",") if isinstance(value, str) else value)
             if name.strip()]
    known = {carrier.lower(): carrier for carrier in CARRIERS}
    chosen: list[str] = []
    for name in names:
        carrier = known.get(name.strip().lower())
        if carrier is None:
            raise ValueError(f"unknown carrier {name.strip()!r} (use {', '.join(CARRIERS)})")
        chosen.append(carrier)
    if not chosen:
        raise ValueError("at least one carrier is needed")
    if len(chosen) > MAX_ACCOUNTS:
        raise ValueError(f"at most {MAX_ACCOUNTS} carrier accounts")
    return tuple(chosen)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)?\s*$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:/\s*(s|sec|m|min))?\s*$")


def parse_duration(text: str) -> float:
    """Seconds from `150ms`, `0.2s` or a bare number of seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 150ms, 0.2s or 2)")
    value = float(match.group(1))
    return value / 1000.0 if match.group(2) == "ms" else value


def parse_rate(text: str) -> float | None:
    """Requests per second from `50/s`, `600/min` or a bare number; `0`/`none` means unlimited."""
    if text.strip().lower() in {"none", "off", "unlimited", "0"}:
        return None
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"not a rate: {text!r} (use e.g. 50/s or 600/min)")
    value = float(match.group(1))
    if value <= 0:
        return None
    return value / 60.0 if match.group(2) in {"m", "min"} else value
