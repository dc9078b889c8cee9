"""Address verification: EasyPost checks the address, or says which fields are wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.errors import AddressVerificationError, field_messages
from shipctl.carrier.executor import CarrierExecutor
from shipctl.carrier.shipments import address_params
from shipctl.models import Address


async def verify_address(
    executor: CarrierExecutor, address: Address, *, strict: bool = False
) -> Address:
    """The address as EasyPost standardised it; AddressVerificationError lists what is wrong.

    The same call as `bulk --verify` makes (`check_address`), for `create --verify`."""
    check = await check_address(executor, address, strict=strict)
    if check.address is None:
        raise AddressVerificationError(
            f"address verification failed: {check.describe()}", code="ADDRESS.VERIFY.FAILURE"
        )
    return check.address


def _verified(original: Address, data: dict[str, Any]) -> Address:
    """The address as EasyPost returned it. Its street2 is empty when EasyPost folded the
    secondary line into street1 (`388 TOWNSEND ST APT 20`): taking the original's would
    print the apartment twice. A field EasyPost returns as null keeps the original's; so does
    a residential flag the original gives (the sender knows its customers)."""
    fields = {name: getattr(original, name) if data.get(name) is None else data[name]
              for name in Address.model_fields}
    fields["street2"] = data.get("street2") or None
    if original.residential is not None or not isinstance(data.get("residential"), bool):
        fields["residential"] = original.residential
    return Address.model_validate(fields)


@dataclass(frozen=True)
class AddressCheck:
    """What EasyPost said of one address: standardised (None when undeliverable), or why not."""

    address: Address | None
    residential: bool | None = None
    message: str | None = None
    suggestion: str | None = None

    def describe(self) -> str:
        """EasyPost's message, and its suggestion when it made one."""
        text = self.message or "the address could not be verified"
        return f"{text} (did you mean {self.suggestion}?)" if self.suggestion else text


async def check_address(
    executor: CarrierExecutor, address: Address, *, strict: bool = False
) -> AddressCheck:
    """POST /addresses with `verify` (or `verify_strict`): the verdict, never an exception
    for an undeliverable address (other carrier errors are raised)."""
    flag = "verify_strict" if strict else "verify"
    # Not the order's residential flag: the answer says what EasyPost finds, and is kept for
    # every order to this address.
    asked = address.model_copy(update={"residential": None})
    params = {"address": address_params(asked), flag: True}
    try:
        data: dict[str, Any] = await executor.call(
            lambda client: request_json(client, "POST", "/addresses", params),
            name="verify address",
        )
    except AddressVerificationError as error:
        # verify_strict: a 422 whose field errors are in the message already.
        return AddressCheck(None, message=error.message.removeprefix(
            "address verification failed: "))
    delivery = (data.get("verifications") or {}).get("delivery") or {}
    if not delivery.get("success", True):
        errors = delivery.get("errors") or []
        suggestions = [str(e["suggestion"]) for e in errors
                       if isinstance(e, dict) and e.get("suggestion")]
        message = ("; ".join(field_messages(errors, suggestions=False))
                   or "the address could not be verified")
        return AddressCheck(None, message=message,
                            suggestion="; ".join(suggestions) or None)
    residential = data.get("residential")
    return AddressCheck(_verified(address, data),
                        residential if isinstance(residential, bool) else None)


async def account_carriers(executor: CarrierExecutor) -> list[str]:
    """The carriers of the account's carrier accounts (`USPS`, `UPS`…), in the API's order."""
    reply: Any = await executor.call(
        lambda client: request_json(client, "GET", "/carrier_accounts"),
        name="list carrier accounts",
    )
    accounts = reply if isinstance(reply, list) else reply.get("carrier_accounts", [])
    names: list[str] = []
    for account in accounts:
        name = str(account.get("readable") or account.get("type", "").removesuffix("Account"))
        if name and name not in names:
            names.append(name)
    return names
