"""The shipping domain: addresses, parcels, orders, rates, shipments and tracking.

Pure data and validation; no I/O. Money is `Decimal`, weights are ounces, times are UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shipctl.choices import LabelFormat, RateStrategy

_US_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
_STATE = re.compile(r"^[A-Za-z]{2}$")

Mode = Literal["live", "test", "simulated"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")


class Address(Model):
    """A postal address; US addresses are checked for a state and a 5 or 9 digit ZIP."""

    name: str | None = None
    company: str | None = None
    street1: Annotated[str, Field(min_length=1, max_length=200)]
    street2: str | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: str | None = None
    # Blank only where a country has no postal codes (Hong Kong…); orders/ checks which.
    zip: Annotated[str, Field(max_length=20)]
    country: Annotated[str, Field(min_length=2, max_length=2)] = "US"
    phone: str | None = None
    email: str | None = None
    # A home (True) or a business (False); None: not known. UPS and FedEx charge more to a
    # home; EasyPost takes it as `residential` and its verification reports it.
    residential: bool | None = None

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("a country is a two-letter ISO code such as US")
        return value.upper()

    @model_validator(mode="after")
    def _us_rules(self) -> Address:
        if not (self.name or self.company):
            raise ValueError("an address needs a name or a company")
        if self.country == "US":
            if not _US_ZIP.match(self.zip):
                raise ValueError(f'zip: "{self.zip}" is not a US ZIP (5 or 9 digits)')
            if not self.state or not _STATE.match(self.state):
                raise ValueError(f'state: "{self.state or ""}" is not a two-letter US state')
        return self

    @property
    def zip5(self) -> str:
        return self.zip[:5]

    def digest_data(self) -> dict[str, object]:
        """The address as an order's digest takes it: `residential` only when known, so the
        digests of orders from before it was read stay as they were."""
        return self.model_dump(mode="json", exclude={"residential"} if self.residential is None
                               else None)


class Parcel(Model):
    """A parcel: weight in ounces; dimensions in inches, or a carrier's predefined package."""

    weight_oz: Annotated[Decimal, Field(gt=0, le=Decimal(2400))]
    length: Annotated[Decimal, Field(gt=0)] | None = None
    width: Annotated[Decimal, Field(gt=0)] | None = None
    height: Annotated[Decimal, Field(gt=0)] | None = None
    predefined_package: str | None = None

    @model_validator(mode="after")
    def _all_or_no_dimensions(self) -> Parcel:
        given = [d is not None for d in (self.length, self.width, self.height)]
        if any(given) and not all(given):
            raise ValueError("give length, width and height together, or none of them")
        return self


class CarrierService(Model):
    """`USPS` or `UPS:Ground`: a carrier, optionally narrowed to one service."""

    carrier: str
    service: str | None = None

    @classmethod
    def parse(cls, text: str) -> CarrierService:
        carrier, _, service = text.strip().partition(":")
        if not carrier:
            raise ValueError(f"{text!r} is not CARRIER or CARRIER:SERVICE")
        return cls(carrier=carrier, service=service or None)

    def matches(self, carrier: str, service: str) -> bool:
        if self.carrier.lower() != carrier.lower():
            return False
        return self.service is None or self.service.lower() == service.lower()

    def __str__(self) -> str:
        return f"{self.carrier}:{self.service}" if self.service else self.carrier


class RateRule(Model):
    """How to choose among the rates EasyPost offers.

    To a residential destination (known from the order or from verification) the
    `residential_allow` list, when it has any, takes the place of `allow`, and
    `residential_deny` excludes more: `--carriers UPS --residential-carriers USPS` ships
    businesses by UPS and homes by USPS, which charges no residential surcharge."""

    strategy: RateStrategy = RateStrategy.CHEAPEST
    allow: tuple[CarrierService, ...] = ()
    deny: tuple[CarrierService, ...] = ()
    max_days: Annotated[int, Field(ge=0)] | None = None
    max_rate: Annotated[Decimal, Field(gt=0)] | None = None
    residential_allow: tuple[CarrierService, ...] = ()
    residential_deny: tuple[CarrierService, ...] = ()

    @classmethod
    def parse(
        cls,
        strategy: str = RateStrategy.CHEAPEST,
        carriers: list[str] | tuple[str, ...] = (),
        max_days: int | None = None,
        max_rate: Decimal | str | None = None,
        residential_carriers: list[str] | tuple[str, ...] = (),
    ) -> RateRule:
        """Build a rule from CLI words: `carriers` (and `residential_carriers`, for homes)
        like `USPS`, `UPS:Ground`, `!FedEx`."""
        allow, deny = _carrier_words(carriers)
        home_allow, home_deny = _carrier_words(residential_carriers)
        rate = Decimal(str(max_rate)) if max_rate is not None else None
        return cls.model_validate(
            {"strategy": strategy, "allow": allow, "deny": deny, "max_days": max_days,
             "max_rate": rate, "residential_allow": home_allow, "residential_deny": home_deny}
        )

    @property
    def for_homes(self) -> bool:
        """Whether the rule says anything of residential destinations."""
        return bool(self.residential_allow or self.residential_deny)

    def allowed(self, residential: bool | None) -> tuple[CarrierService, ...]:
        """The carriers allowed to a destination (none listed: any)."""
        return self.residential_allow if residential and self.residential_allow else self.allow

    def named(self) -> tuple[CarrierService, ...]:
        """Every carrier or service the rule names."""
        return (*self.allow, *self.deny, *self.residential_allow, *self.residential_deny)

    def data(self) -> dict[str, object]:
        """The rule as JSON values, for digests and run options: the residential lists only
        when set, so the digest of an order with an older rule stays as it was."""
        empty = {name for name in ("residential_allow", "residential_deny")
                 if not getattr(self, name)}
        return self.model_dump(mode="json", exclude=empty or None)

    def describe(self) -> str:
        words: list[str] = [self.strategy]
        words += [str(a) for a in self.allow] + [f"!{d}" for d in self.deny]
        if self.max_days is not None:
            words.append(f"≤{self.max_days} days")
        if self.max_rate is not None:
            words.append(f"≤${self.max_rate}")
        if self.for_homes:
            words.append("homes:")
            words += [str(a) for a in self.residential_allow]
            words += [f"!{d}" for d in self.residential_deny]
        return " ".join(words)


def _carrier_words(
    words: list[str] | tuple[str, ...],
) -> tuple[tuple[CarrierService, ...], tuple[CarrierService, ...]]:
    """(allowed, excluded) from words like `USPS`, `UPS:Ground`, `!FedEx`."""
    allow = tuple(CarrierService.parse(w) for w in words if not w.startswith("!"))
    deny = tuple(CarrierService.parse(w[1:]) for w in words if w.startswith("!"))
    return allow, deny


MILITARY_STATES = frozenset({"AA", "AE", "AP"})
# USPS carries mail between the states, Puerto Rico and the US Virgin Islands as domestic mail.
DOMESTIC_US = frozenset({"US", "PR", "VI"})


def needs_customs(to_address: Address, from_address: Address | None) -> bool:
    """EasyPost's rule: a customs declaration for a shipment that crosses a border, or goes
    to or from a US military post office (states AA, AE, AP)."""
    origin = from_address.country if from_address else "US"
    states = {(to_address.state or "").upper(),
              ((from_address.state or "") if from_address else "").upper()}
    crosses = origin != to_address.country and not {origin, to_address.country} <= DOMESTIC_US
    return crosses or bool(states & MILITARY_STATES)


class LineItem(Model):
    """One line item of an order: what customs declares for it.

    `value` is the price of one unit in `currency`; `weight_oz` the weight of one unit.
    """

    name: Annotated[str, Field(min_length=1, max_length=500)]
    sku: str | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    value: Decimal
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"
    weight_oz: Annotated[Decimal, Field(gt=0)] | None = None
    hs_tariff_number: str | None = None
    origin_country: str | None = None
    description: str | None = None

    @property
    def total_value(self) -> Decimal:
        return self.value * self.quantity


class CustomsSettings(Model):
    """The `[customs]` settings: what every customs declaration says besides its items."""

    signer: str | None = None
    contents_type: Literal["merchandise", "documents", "gift", "returned_goods", "sample",
                           "dangerous_goods", "humanitarian_donation", "other"] = "merchandise"
    contents_explanation: str | None = None
    non_delivery_option: Literal["return", "abandon"] = "return"
    restriction_type: Literal["none", "other", "quarantine",
                              "sanitary_phytosanitary_inspection"] = "none"
    restriction_comments: str | None = None
    eel_pfc: str = "NOEEI 30.37(a)"
    incoterm: Literal["DDU", "DDP"] | None = None
# The `hazmat` values EasyPost accepts in a shipment's options.
HAZMAT_CLASSES = ("PRIMARY_CONTAINED", "PRIMARY_PACKED", "PRIMARY", "SECONDARY_CONTAINED",
                  "SECONDARY_PACKED", "SECONDARY", "ORMD", "LIMITED_QUANTITY", "LITHIUM")
Hazmat = Literal["PRIMARY_CONTAINED", "PRIMARY_PACKED", "PRIMARY", "SECONDARY_CONTAINED",
                 "SECONDARY_PACKED", "SECONDARY", "ORMD", "LIMITED_QUANTITY", "LITHIUM"]
Signature = Literal["none", "signature", "adult"]


class ShipmentOptions(Model):
    """What an order asks of its shipment beyond the label: insurance (the declared value,
    bought with the label), a signature, Saturday delivery, hazmat, a carrier account, or a
    return label (`is_return`)."""

    insurance: Annotated[Decimal, Field(gt=0, le=Decimal(100_000))] | None = None
    signature: Signature | None = None
    saturday_delivery: bool = False
    hazmat: Hazmat | None = None
    carrier_account: Annotated[str, Field(pattern=r"^ca_[A-Za-z0-9]{1,64}$")] | None = None
    is_return: bool = False

    def chosen(self) -> dict[str, object]:
        """The options set, as JSON values (none set: empty)."""
        return {k: _canonical(v) for k, v in self.model_dump(exclude_defaults=True).items()}


class Order(Model):
    """One order to ship, as read from an input file or the command line."""

    reference: Annotated[str, Field(min_length=1, max_length=100)]
    to_address: Address
    parcel: Parcel
    from_address: Address | None = None
    carrier: str | None = None
    service: str | None = None
    rate_rule: RateRule | None = None
    label_format: LabelFormat | None = None
    rows: tuple[int, ...] = ()
    # Line items (customs declares them on international orders) and the AES ITN of an
    # export that needs one.
    items: tuple[LineItem, ...] = ()
    itn: str | None = None

    def needs_customs(self, default_from: Address | None = None) -> bool:
        return needs_customs(self.to_address, self.from_address or default_from)
    options: ShipmentOptions | None = None

    def digest(self, default_from: Address | None = None) -> str:
        """What the label depends on: addresses (a destination's residential flag too, when
        the order gives it), parcel, carrier, service, rule and options.

        Two reads of the same order give the same digest; any change a label would show (an
        address, a weight, a requested service) gives another. The reference, the rows it came
        from and the label format are not part of it.
        """
        import hashlib
        import json

        from_address = self.from_address or default_from
        data: dict[str, object] = {
            "to": self.to_address.digest_data(),
            "from": from_address.digest_data() if from_address else None,
            "parcel": {k: _canonical(v) for k, v in self.parcel.model_dump().items()},
            "carrier": self.carrier,
            "service": self.service,
            "rule": self.rate_rule.data() if self.rate_rule else None,
        }
        if self.items and self.needs_customs(default_from):  # customs prints them
            data["items"] = [{k: _canonical(v) for k, v in item.model_dump().items()}
                             for item in self.items]
            data["itn"] = self.itn
        if self.options is not None and self.options.chosen():
            data["options"] = self.options.chosen()  # absent when none: old digests stand
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _canonical(value: object) -> object:
    """`12`, `12.0` and `12.00` ounces are one weight."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


class RunStatus(StrEnum):
    """Where a run (one bulk file, create, refund or tracking sweep) stands in `runs.status`.

    `running` while workers are on it (or since a crash, until a rerun resumes it),
    `interrupted` when stopped before its end (resumable too), else `completed` or `failed`.
    """

    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class OrderState(StrEnum):
    """The order state machine (see README: Order states).

    pending → created → purchased, with `failed` (a definite refusal), `unknown` (a buy was
    sent and its outcome could not be learned yet) and later `refunded`.
    """

    PENDING = "pending"
    CREATED = "created"
    UNKNOWN = "unknown"
    PURCHASED = "purchased"
    FAILED = "failed"
    REFUNDED = "refunded"


class Quote(Model):
    """One rate offered by a carrier for a shipment."""

    rate_id: str
    carrier: str
    service: str
    rate: Decimal
    currency: str = "USD"
    delivery_days: int | None = None
    delivery_date: datetime | None = None
    carrier_account_id: str | None = None


class CarrierMessage(Model):
    """A message EasyPost attached to a shipment, such as a carrier's rate_error."""

    carrier: str | None = None
    message: str
    type: str | None = None


class QuotedShipment(Model):
    """A created (unbought) EasyPost shipment with its rates."""

    shipment_id: str
    reference: str | None = None
    rates: tuple[Quote, ...] = ()
    messages: tuple[CarrierMessage, ...] = ()
    mode: Mode = "test"
    # The label format asked for when the shipment was made (options.label_format), if any.
    label_format: str | None = None
    # Its label's date, resolution and printed text, as its options give them
    # (carrier.shipments.label_marks).
    label_marks: tuple[tuple[str, str], ...] = ()


class PurchasedLabel(Model):
    """A bought shipment: its label and tracking code."""

    shipment_id: str
    reference: str | None = None
    tracking_code: str
    carrier: str
    service: str
    rate: Decimal
    currency: str = "USD"
    delivery_days: int | None = None
    est_delivery_date: datetime | None = None
    label_url: str
    label_format: str | None = None
    tracker_id: str | None = None
    mode: Mode = "test"
    # The EasyPost carrier account of the bought rate: scan forms group labels by it.
    carrier_account_id: str | None = None


class RefundResult(Model):
    shipment_id: str
    refund_status: str
    tracking_code: str | None = None


class TrackingEvent(Model):
    """One event in a tracker's history."""

    occurred_at: datetime
    status: str
    status_detail: str | None = None
    message: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


FINAL_TRACKING_STATUSES = frozenset({"delivered", "return_to_sender", "failure", "cancelled"})


class TrackingUpdate(Model):
    """The current state of a tracker, as EasyPost reports it."""

    tracking_code: str
    carrier: str | None = None
    tracker_id: str | None = None
    status: str
    status_detail: str | None = None
    est_delivery_date: datetime | None = None
    delivered_at: datetime | None = None
    signed_by: str | None = None
    public_url: str | None = None
    events: tuple[TrackingEvent, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_TRACKING_STATUSES


__all__ = [
    "FINAL_TRACKING_STATUSES",
    "Address",
    "CarrierMessage",
    "CarrierService",
    "CustomsSettings",
    "LabelFormat",
    "LineItem",
    "Mode",
    "Order",
    "OrderState",
    "Parcel",
    "PurchasedLabel",
    "Quote",
    "QuotedShipment",
    "RateRule",
    "RateStrategy",
    "RefundResult",
    "ShipmentOptions",
    "TrackingEvent",
    "TrackingUpdate",
]
