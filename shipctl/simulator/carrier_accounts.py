"""Carrier accounts: which carriers the simulated EasyPost account can rate and buy with.

`SimulatorConfig.carriers` chooses them (a new EasyPost test account has USPS only). A
shipment is rated by the accounts its `carrier_accounts` names, else by all of them.
"""

from __future__ import annotations

from typing import Any

from shipctl.simulator.errors import not_found
from shipctl.simulator.rates import CARRIER_ACCOUNTS
from shipctl.simulator.simulation import Simulation

# type, description, billing type: as the real API describes each carrier's account.
_KINDS = {
    "USPS": ("UspsAccount", "USPS Account", "easypost"),
    "UPS": ("UpsAccount", "UPS Account", "carrier"),
    "FedEx": ("FedexAccount", "FedEx Account", "carrier"),
}
_CREATED = "2017-03-01T03:01:34Z"


def account(carrier: str) -> dict[str, Any]:
    """The CarrierAccount object of `carrier` (a name of `SimulatorConfig.carriers`)."""
    kind, description, billing = _KINDS[carrier]
    return {
        "id": CARRIER_ACCOUNTS[carrier], "object": "CarrierAccount", "type": kind,
        "clone": False, "created_at": _CREATED, "updated_at": _CREATED,
        "description": description, "reference": None, "billing_type": billing,
        "readable": carrier, "logo": None, "fields": [], "credentials": {},
        "test_credentials": {},
    }


def carriers_of(sim: Simulation, accounts: Any) -> frozenset[str]:
    """The carriers of the account's accounts a shipment's `carrier_accounts` names (ids, or
    objects with an id); all of the account's when it names none. Ids the account does not
    have rate nothing."""
    enabled = sim.config.carriers
    if not accounts:
        return frozenset(enabled)
    if not isinstance(accounts, list):
        accounts = [accounts]
    wanted = {str(a.get("id") if isinstance(a, dict) else a) for a in accounts}
    return frozenset(c for c in enabled if CARRIER_ACCOUNTS[c] in wanted)


def all_accounts(sim: Simulation) -> list[dict[str, Any]]:
    """GET /carrier_accounts: a JSON list, as the real API answers."""
    return [account(carrier) for carrier in sim.config.carriers]


def retrieve(sim: Simulation, account_id: str) -> dict[str, Any]:
    for carrier in sim.config.carriers:
        if CARRIER_ACCOUNTS[carrier] == account_id:
            return account(carrier)
    raise not_found()
