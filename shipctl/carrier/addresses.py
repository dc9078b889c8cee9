"""Address verification: EasyPost checks the address, or says which fields are wrong."""

from __future__ import annotations

from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.errors import AddressVerificationError, field_messages
from shipctl.carrier.executor import CarrierExecutor
from shipctl.carrier.shipments import address_params
from shipctl.models import Address


async def verify_address(executor: CarrierExecutor, address: Address) -> Address:
    """The address as EasyPost standardised it; AddressVerificationError lists what is wrong."""
    params = {"address": address_params(address)}
    reply = await executor.call(
        lambda client: request_json(client, "POST", "/addresses/create_and_verify", params),
        name="verify address",
    )
    data: dict[str, Any] = reply["address"]
    failures = _failed_checks(data)
    if failures:
        raise AddressVerificationError(
            f"address verification failed: {'; '.join(failures)}", code="ADDRESS.VERIFY.FAILURE"
        )
    return _verified(address, data)


def _failed_checks(data: dict[str, Any]) -> list[str]:
    # create_and_verify answers 422 when verification fails; a 200 whose delivery check
    # failed is treated the same, since buying a label for it would be a waste.
    delivery = (data.get("verifications") or {}).get("delivery") or {}
    if delivery.get("success", True):
        return []
    return field_messages(delivery.get("errors")) or ["the address could not be verified"]


def _verified(original: Address, data: dict[str, Any]) -> Address:
    """The address as EasyPost returned it. Its street2 is empty when EasyPost folded the
    secondary line into street1 (`388 TOWNSEND ST APT 20`): taking the original's would
    print the apartment twice. A field EasyPost returns as null keeps the original's."""
    fields = {name: getattr(original, name) if data.get(name) is None else data[name]
              for name in Address.model_fields}
    fields["street2"] = data.get("street2") or None
    return Address.model_validate(fields)
