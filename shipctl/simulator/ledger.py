"""The ledger: what the simulator was asked and what it sold, for GET /_sim/stats."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from shipctl.simulator.state import Store


class Ledger:
    """Request, 429 and fault counters, buffered in memory and flushed to the store.

    Purchases are written by the buy itself, in its transaction, so they are never lost;
    counters are batched because a write per request would cost more than the request.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: Counter[tuple[str, str]] = Counter()

    def request(self, endpoint: str, status: int | str) -> None:
        self._pending[("request", f"{endpoint} {status}")] += 1

    def rate_limited(self, endpoint: str) -> None:
        self._pending[("rate_limited", endpoint)] += 1

    def fault(self, kind: str) -> None:
        self._pending[("fault", kind)] += 1

    def flush(self) -> None:
        pending, self._pending = self._pending, Counter()
        self.store.add_counters(dict(pending))

    def stats(self, balance: Decimal | None) -> dict[str, Any]:
        self.flush()
        requests: dict[str, dict[str, int]] = defaultdict(dict)
        limited: dict[str, int] = {}
        faults: dict[str, int] = {}
        for name, key, count in self.store.counters():
            if name == "request":
                endpoint, _, status = key.rpartition(" ")
                requests[endpoint][status] = count
            elif name == "rate_limited":
                limited[key] = count
            elif name == "fault":
                faults[key] = count
        by_shipment: Counter[str] = Counter()
        by_reference: Counter[str] = Counter()
        spent = Decimal(0)
        purchases = self.store.purchases()
        for shipment_id, reference, amount in purchases:
            by_shipment[shipment_id] += 1
            if reference is not None:
                by_reference[reference] += 1
            spent += amount
        refunds = self.store.refunds()
        return {
            "requests": dict(requests),
            "requests_total": sum(sum(v.values()) for v in requests.values()),
            "rate_limited": sum(limited.values()),
            "rate_limited_by_endpoint": limited,
            "faults": faults,
            "faults_total": sum(faults.values()),
            "purchases": {
                "total": len(purchases),
                "spent": str(spent),
                "by_shipment": dict(by_shipment),
                "by_reference": dict(by_reference),
                "max_per_shipment": max(by_shipment.values(), default=0),
                "max_per_reference": max(by_reference.values(), default=0),
            },
            "refunds": {
                "total": len(refunds),
                "amount": str(sum((a for _, a in refunds), Decimal(0))),
            },
            "scan_forms": self._scan_forms(),
            "pickups": self._pickups(),
            "insurance": self._insurance(),
            "balance": None if balance is None else str(balance),
        }

    def _scan_forms(self) -> dict[str, Any]:
        """Forms made and the labels on them: no label may be on two forms."""
        forms: set[str] = set()
        by_shipment: Counter[str] = Counter()
        for form_id, shipment_id, _ in self.store.scan_form_labels():
            forms.add(form_id)
            by_shipment[shipment_id] += 1
        return {"total": len(forms), "labels": sum(by_shipment.values()),
                "by_shipment": dict(by_shipment),
                "max_per_shipment": max(by_shipment.values(), default=0)}

    def _pickups(self) -> dict[str, Any]:
        """Pickups bought (scheduled) and cancelled: each pickup is bought at most once."""
        bought = self.store.pickup_purchases()
        by_pickup = Counter(pickup_id for pickup_id, _, _, _ in bought)
        return {"scheduled": len(bought), "canceled": len(self.store.pickup_cancellations()),
                "spent": str(sum((a for _, _, _, a in bought), Decimal(0))),
                "by_pickup": dict(by_pickup),
                "max_per_pickup": max(by_pickup.values(), default=0)}

    def _insurance(self) -> dict[str, Any]:
        insured = self.store.insurance_purchases()
        return {"total": len(insured),
                "amount": str(sum((a for _, a, _ in insured), Decimal(0))),
                "fees": str(sum((f for _, _, f in insured), Decimal(0)))}
