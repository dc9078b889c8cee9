"""Seeded latency and fault injection.

Kinds: `500` and `503` answer with that error; `timeout` sleeps `timeout_delay` before
answering (the client gives up first); `drop` closes the connection without a response;
`lost_response` (buys only) lets the purchase happen and then drops the response.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from shipctl.simulator.config import FAULT_KINDS


class FaultPlan:
    """Decides, per request and reproducibly for a given seed, the latency and any fault."""

    def __init__(
        self, *, latency: float, jitter: float, fault_rate: float,
        kinds: Sequence[str] = FAULT_KINDS, seed: int | None = None,
    ) -> None:
        self.latency = latency
        self.jitter = jitter
        self.fault_rate = fault_rate
        self.kinds = tuple(kinds)
        self._latency_rng = random.Random(seed)
        self._fault_rng = random.Random(None if seed is None else seed + 1)

    def set_faults(self, fault_rate: float | None = None,
                   kinds: Sequence[str] | None = None) -> None:
        if fault_rate is not None:
            if not 0.0 <= fault_rate <= 1.0:
                raise ValueError("fault_rate must be between 0 and 1")
            self.fault_rate = fault_rate
        if kinds is not None:
            unknown = set(kinds) - set(FAULT_KINDS)
            if unknown:
                raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
            self.kinds = tuple(kinds)

    def delay(self) -> float:
        if self.latency <= 0:
            return 0.0
        return max(0.0, self._latency_rng.gauss(self.latency, self.latency * self.jitter))

    def fault(self, is_buy: bool) -> str | None:
        if self.fault_rate <= 0 or self._fault_rng.random() >= self.fault_rate:
            return None
        kinds = [k for k in self.kinds if is_buy or k != "lost_response"]
        return self._fault_rng.choice(kinds) if kinds else None
