"""The shipment options a quote shows: how many orders ask for each, and insurance's cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from shipctl.models import ShipmentOptions

# EasyPost's shipping insurance costs 1% of the declared value, bought with the label.
INSURANCE_RATE = Decimal("0.01")


def insurance_fee(declared: Decimal) -> Decimal:
    return (declared * INSURANCE_RATE).quantize(Decimal("0.01"))


@dataclass
class OptionsSummary:
    """Orders by option chosen, the value they declare, and what insuring it costs."""

    counts: Counter[str] = field(default_factory=Counter)
    insured_orders: int = 0
    declared: Decimal = Decimal(0)
    insurance_fee: Decimal = Decimal(0)

    def lines(self) -> list[str]:
        """One line per option chosen, e.g. `signature: 3 orders`."""
        said = [f"{name}: {count} order{'' if count == 1 else 's'}"
                for name, count in sorted(self.counts.items())]
        if self.insured_orders:
            said.append(f"insurance: {self.insured_orders} order"
                        f"{'' if self.insured_orders == 1 else 's'}, ${self.declared:,.2f} "
                        f"declared, ${self.insurance_fee:,.2f} to insure")
        return said


def summarise(options: Iterable[ShipmentOptions]) -> OptionsSummary:
    summary = OptionsSummary()
    for chosen in options:
        if chosen.signature and chosen.signature != "none":
            summary.counts[f"{chosen.signature} signature" if chosen.signature == "adult"
                           else "signature"] += 1
        if chosen.saturday_delivery:
            summary.counts["saturday delivery"] += 1
        if chosen.hazmat:
            summary.counts[f"hazmat {chosen.hazmat}"] += 1
        if chosen.carrier_account:
            summary.counts[f"carrier account {chosen.carrier_account}"] += 1
        if chosen.is_return:
            summary.counts["return label"] += 1
        if chosen.insurance is not None:
            summary.insured_orders += 1
            summary.declared += chosen.insurance
            summary.insurance_fee += insurance_fee(chosen.insurance)
    return summary
