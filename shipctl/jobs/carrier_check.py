"""Carrier names checked against the account's carrier accounts before anything is quoted.

Loading refuses names no EasyPost account has (`Fedx`) offline; this asks the account which
carriers it really has (`GET /v2/carrier_accounts`, one call, made only when a carrier is
named) so that `UPS` on a USPS-only account is refused before quoting, not after. A key
the API will not list carrier accounts for (test keys) keeps the offline check only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shipctl.errors import CarrierError, InputError
from shipctl.models import Order, RateRule
from shipctl.orders import RowError
from shipctl.orders.carrier_names import unknown_carrier

if TYPE_CHECKING:
    from shipctl.carrier.session import CarrierSession


@dataclass
class NamedCarriers:
    """Each carrier the orders name, with the first order naming it (rows, column, value)."""

    first: dict[str, RowError] = field(default_factory=dict)

    def note(self, order: Order) -> None:
        named: list[tuple[str, str, str]] = []
        if order.carrier:
            named.append((order.carrier, "carrier", order.carrier))
        rule = order.rate_rule
        if rule is not None:
            cells = " ".join([*(str(a) for a in rule.allow), *(f"!{d}" for d in rule.deny)])
            named += [(c.carrier, "carriers", cells) for c in (*rule.allow, *rule.deny)]
            homes = (*rule.residential_allow, *rule.residential_deny)
            cells = " ".join([*(str(a) for a in rule.residential_allow),
                              *(f"!{d}" for d in rule.residential_deny)])
            named += [(c.carrier, "residential carriers", cells) for c in homes]
        for carrier, column, value in named:
            key = carrier.lower()
            if key not in self.first:
                self.first[key] = RowError(order.rows, column, value, carrier, order.reference)


def _rule_carriers(rule: RateRule | None) -> list[tuple[str, str]]:
    """(carrier, the option naming it) for each carrier the run's rule names."""
    if rule is None:
        return []
    return ([(c.carrier, "--carriers") for c in (*rule.allow, *rule.deny)]
            + [(c.carrier, "--residential-carriers")
               for c in (*rule.residential_allow, *rule.residential_deny)])


async def check_account_carriers(
    session: CarrierSession, named: NamedCarriers, rule: RateRule | None
) -> list[RowError]:
    """Rows naming a carrier the account lacks; InputError when `--carriers` names one."""
    from shipctl.carrier.addresses import account_carriers

    if not named.first and not _rule_carriers(rule):
        return []
    try:
        known = await account_carriers(session.executor)
    except CarrierError:
        # EasyPost lists carrier accounts to production keys only: a test key is refused
        # (a key refused everywhere is reported by the first quote). Offline names stand.
        return []
    if not known:
        return []  # an account that lists none: let EasyPost answer for each order
    for carrier, option in _rule_carriers(rule):
        if (message := unknown_carrier(carrier, known)) is not None:
            raise InputError(f"{option}: {message}")
    return [
        RowError(first.rows, first.column, first.value, message, first.reference)
        for first in named.first.values()
        if (message := unknown_carrier(first.message, known)) is not None
    ]
