"""The simulated account: state, clock and balance shared by every endpoint."""

from __future__ import annotations

import time
from decimal import Decimal

from shipctl.simulator.clock import SimClock
from shipctl.simulator.config import SimulatorConfig
from shipctl.simulator.errors import ApiError
from shipctl.simulator.state import Store


class Simulation:
    """One account's worth of simulated EasyPost: what the endpoints read and change."""

    def __init__(self, config: SimulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.base_url = ""  # the served origin, for absolute label URLs
        self.clock = SimClock(time.time(), config.days_per_minute)
        self.initialise()

    def initialise(self) -> None:
        """Adopt the epoch and balance kept with the state, or start them now."""
        self.clock = SimClock(
            float(self.store.init_meta("epoch", repr(time.time()))), self.config.days_per_minute
        )
        if self.config.balance is not None:
            self.store.init_meta("balance", str(Decimal(str(self.config.balance))))

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
