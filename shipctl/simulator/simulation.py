"""The simulated account: state, clock and balance shared by every endpoint."""

from __future__ import annotations

import time
from decimal import Decimal

from shipctl.simulator.clock import Anchor, SimClock, next_anchor, speed_of
from shipctl.simulator.config import SimulatorConfig
from shipctl.simulator.errors import ApiError
from shipctl.simulator.state import Store


class Simulation:
    """One account's worth of simulated EasyPost: what the endpoints read and change."""

    def __init__(self, config: SimulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.base_url = ""  # the served origin, for absolute label URLs
        self.clock = SimClock(Anchor(time.time(), time.time(), speed_of(config.days_per_minute)))
        self.initialise()

    def initialise(self) -> None:
        """Adopt the clock and balance kept with the state, or start them now."""
        self.clock = SimClock(self._anchor())
        if self.config.balance is not None:
            self.store.init_meta("balance", str(Decimal(str(self.config.balance))))

    def _anchor(self) -> Anchor:
        """The clock's anchor in the state, re-taken (and stored) if the speed changed."""
        speed = speed_of(self.config.days_per_minute)
        with self.store.transaction():
            real = time.time()
            text = self.store.meta("clock")
            stored = Anchor.parse(text) if text else None
            legacy = self.store.meta("epoch")
            if stored is None and legacy is not None:
                # Kept by an older simulator: its clock ran 60 days a minute from `epoch`.
                stored = Anchor(float(legacy), float(legacy), 86400.0)
            anchor = next_anchor(stored, speed, real)
            if anchor != stored or text is None:
                self.store.set_meta("clock", anchor.text())
        return anchor

    def reset(self) -> None:
        self.store.reset()
        self.initialise()

    def now(self) -> float:
        return self.clock.now()

    def debit(self, amount: Decimal) -> None:
        """Take `amount` from the balance, if the account has one; call inside a transaction."""
        stored = self.store.meta("balance")
        if stored is None:
            return
        balance = Decimal(stored)
        if balance < amount:
            raise ApiError(
                402, "PAYMENT_REQUIRED",
                f"Insufficient funds: balance {balance} USD, postage {amount} USD.",
            )
        self.store.set_meta("balance", str(balance - amount))

    def credit(self, amount: Decimal) -> None:
        stored = self.store.meta("balance")
        if stored is not None:
            self.store.set_meta("balance", str(Decimal(stored) + amount))

    def balance(self) -> Decimal | None:
        stored = self.store.meta("balance")
        return None if stored is None else Decimal(stored)
