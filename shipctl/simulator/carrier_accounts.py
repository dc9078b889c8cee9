"""Carrier accounts: which accounts the simulated EasyPost account can rate and buy with.

`SimulatorConfig.carriers` chooses them, one account per name (a new EasyPost test account
has USPS only); a name given twice is two accounts of that carrier, as an EasyPost account
may hold (EasyPost's own USPS account and the shipper's, say): each rates the shipment on its
own, and its rates carry its `carrier_account_id`. A shipment is rated by the accounts its
`carrier_accounts` names, else by all of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shipctl.simulator.errors import not_found
from shipctl.simulator.ids import stable_id
from shipctl.simulator.rates import CARRIER_ACCOUNTS
from shipctl.simulator.simulation import Simulation

# type, description, billing type: as the real API describes each carrier's account.
_KINDS = {
    "USPS": ("UspsAccount", "USPS Account", "easypost"),
    "UPS": ("UpsAccount", "UPS Account", "carrier"),
    "FedEx": ("FedexAccount", "FedEx Account", "carrier"),
}
_CREATED = "2017-03-01T03:01:34Z"


@dataclass(frozen=True)
class Account:
    """One carrier account: its id, its carrier, and which of that carrier's it is (1, 2…)."""

    id: str
    carrier: str
    number: int


def account_id(carrier: str, number: int) -> str:
    """The first account of a carrier has its fixed id (USPS: the SDK test suite's); later
    ones get ids of their own, stable across runs."""
    if number == 1:
        return CARRIER_ACCOUNTS[carrier]
    return stable_id("ca", f"simulator-{carrier}-{number}")


@lru_cache(maxsize=64)
def accounts_of(carriers: tuple[str, ...]) -> tuple[Account, ...]:
    """The accounts `carriers` configures, in its order."""
    seen: Counter[str] = Counter()
    found = []
    for carrier in carriers:
        seen[carrier] += 1
        found.append(Account(account_id(carrier, seen[carrier]), carrier, seen[carrier]))
    return tuple(found)


def account(acct: Account) -> dict[str, Any]:
    """The CarrierAccount object of `acct`."""
    kind, description, billing = _KINDS[acct.carrier]
    return {
        "id": acct.id, "object": "CarrierAccount", "type": kind,
        "clone": False, "created_at": _CREATED, "updated_at": _CREATED,
        "description": description if acct.number == 1 else f"{description} {acct.number}",
        "reference": None, "billing_type": billing,
        "readable": acct.carrier, "logo": None, "fields": [], "credentials": {},
        "test_credentials": {},
    }


def chosen(sim: Simulation, accounts: Any) -> tuple[Account, ...]:
    """The account's accounts a shipment's `carrier_accounts` names (ids, or objects with an
    id), by carrier and then number; all of the account's when it names none. Ids the account
    does not have rate nothing."""
    enabled = accounts_of(sim.config.carriers)
    if accounts:
        if not isinstance(accounts, list):
            accounts = [accounts]
        wanted = {str(a.get("id") if isinstance(a, dict) else a) for a in accounts}
        enabled = tuple(a for a in enabled if a.id in wanted)
    return tuple(sorted(enabled, key=lambda a: (a.carrier, a.number)))


def all_accounts(sim: Simulation) -> list[dict[str, Any]]:
    """GET /carrier_accounts: a JSON list, as the real API answers."""
    return [account(acct) for acct in accounts_of(sim.config.carriers)]


def retrieve(sim: Simulation, wanted: str) -> dict[str, Any]:
    for acct in accounts_of(sim.config.carriers):
        if acct.id == wanted:
            return account(acct)
    raise not_found()
