"""Refunds on EasyPost: ask for a label's refund, and read how the carrier has answered.

EasyPost refuses a second refund of a label (422) while the first is submitted or done. An
answer lost on the way back is retried by the executor like a read, and the retry is then
refused: so a refusal is followed by a look at the shipment, and its `refund_status`, when
the label has one, is the answer. EasyPost's docs allow asking again after `rejected`.
"""

from __future__ import annotations

from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.errors import CarrierTransientError
from shipctl.carrier.executor import CarrierExecutor
from shipctl.errors import CarrierAuthError, CarrierError
from shipctl.models import RefundResult

# Statuses that mean a refund of the label was already asked for: a refusal to ask again
# is then no failure.
ASKED = frozenset({"submitted", "refunded", "not_applicable"})


async def request_refund(executor: CarrierExecutor, shipment_id: str) -> RefundResult:
    """Ask EasyPost to refund the label of `shipment_id`: usually `submitted` at first."""
    try:
        data = await executor.call(
            lambda client: request_json(client, "POST", f"/shipments/{shipment_id}/refund"),
            name="refund",
        )
    except (CarrierAuthError, CarrierTransientError):
        raise
    except CarrierError:
        current = await refund_status(executor, shipment_id)
        if current is not None and current.refund_status in ASKED:
            return current
        raise
    return _result(data, str(data.get("refund_status") or "submitted"))


async def refund_status(executor: CarrierExecutor, shipment_id: str) -> RefundResult | None:
    """The label's refund as EasyPost has it now; None when no refund was asked for."""
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/shipments/{shipment_id}"),
        name="retrieve shipment",
    )
    status = data.get("refund_status")
    return _result(data, str(status)) if status else None


def _result(data: dict[str, Any], status: str) -> RefundResult:
    return RefundResult(shipment_id=data["id"], refund_status=status,
                        tracking_code=data.get("tracking_code"))
