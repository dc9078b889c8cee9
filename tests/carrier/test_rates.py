"""Rate rules: every kind, the order's own carrier/service, and the no-match message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shipctl.carrier.rates import choose_rate, explain_rates
from shipctl.errors import NoMatchingRateError
from shipctl.models import CarrierMessage, Quote, QuotedShipment, RateRule


def rate(carrier: str, service: str, amount: str, days: int | None) -> Quote:
    return Quote(rate_id=f"rate_{carrier}_{service}", carrier=carrier, service=service,
                 rate=Decimal(amount), delivery_days=days)


QUOTED = QuotedShipment(
    shipment_id="shp_1",
    rates=(
        rate("USPS", "GroundAdvantage", "6.89", 4),
        rate("USPS", "Priority", "10.77", 2),
        rate("UPS", "Ground", "12.95", 4),
        rate("UPS", "NextDayAir", "50.24", 1),
        rate("FedEx", "STANDARD_OVERNIGHT", "54.00", 1),
        rate("FedEx", "FEDEX_GROUND", "12.67", None),
    ),
    messages=(CarrierMessage(carrier="DHL", message="DHL: account not active.",
                             type="rate_error"),),
)


def chosen(rule: RateRule, carrier: str | None = None, service: str | None = None,
           residential: bool | None = None) -> str:
    picked = choose_rate(QUOTED, rule, carrier=carrier, service=service,
                         residential=residential)
    return f"{picked.carrier}:{picked.service}"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (RateRule.parse(), "USPS:GroundAdvantage"),
        (RateRule.parse("fastest"), "UPS:NextDayAir"),  # 1 day, cheaper than FedEx's
        (RateRule.parse(carriers=["UPS"]), "UPS:Ground"),
        (RateRule.parse(carriers=["UPS:NextDayAir"]), "UPS:NextDayAir"),
        (RateRule.parse(carriers=["FedEx", "UPS:Ground"]), "FedEx:FEDEX_GROUND"),
        (RateRule.parse(carriers=["!USPS"]), "FedEx:FEDEX_GROUND"),
        (RateRule.parse(carriers=["!USPS:GroundAdvantage"]), "USPS:Priority"),
        (RateRule.parse(max_days=2), "USPS:Priority"),
        (RateRule.parse("fastest", max_rate="20"), "USPS:Priority"),
        (RateRule.parse(carriers=["ups"], max_rate="12.95"), "UPS:Ground"),
    ],
)
def test_rules_choose(rule: RateRule, expected: str) -> None:
    assert chosen(rule) == expected


def test_the_orders_own_carrier_and_service_narrow_the_choice() -> None:
    assert chosen(RateRule(), carrier="UPS") == "UPS:Ground"
    assert chosen(RateRule(), carrier="fedex", service="standard_overnight") == (
        "FedEx:STANDARD_OVERNIGHT")


def test_explain_marks_the_chosen_rate_and_gives_each_exclusion() -> None:
    verdicts = explain_rates(QUOTED, RateRule.parse(carriers=["!FedEx"], max_days=2))
    by_service = {v.quote.service: v for v in verdicts}
    assert [v.quote.rate for v in verdicts] == sorted(q.rate for q in QUOTED.rates)
    assert [v.quote.service for v in verdicts if v.chosen] == ["Priority"]
    assert by_service["GroundAdvantage"].excluded_because == "4 days is over the max of 2 days"
    assert by_service["FEDEX_GROUND"].excluded_because == "excluded by !FedEx"
    assert by_service["NextDayAir"].excluded_because is None


def test_no_match_lists_every_rate_why_and_the_carrier_messages() -> None:
    rule = RateRule.parse(carriers=["USPS"], max_rate="8", max_days=3)
    with pytest.raises(NoMatchingRateError) as raised:
        choose_rate(QUOTED, rule)
    message = raised.value.message
    assert message.startswith("no rate matches the rule (cheapest USPS ≤3 days ≤$8)")
    assert "USPS GroundAdvantage $6.89 4 days: 4 days is over the max of 3 days" in message
    assert "USPS Priority $10.77 2 days: $10.77 is over the max of $8" in message
    assert "UPS Ground $12.95 4 days: not in the allowed carriers (USPS)" in message
    assert "carrier message: DHL: account not active." in message
    assert len(message.splitlines()) == 1 + len(QUOTED.rates) + 1
    assert raised.value.code == "NO_MATCHING_RATE"


def test_no_rates_at_all_shows_the_carriers_errors() -> None:
    empty = QuotedShipment(shipment_id="shp_2", messages=(
        CarrierMessage(carrier="USPS", message="USPS: parcel weight exceeds 70 lb maximum.",
                       type="rate_error"),))
    with pytest.raises(NoMatchingRateError, match="EasyPost offered no rates") as raised:
        choose_rate(empty, RateRule())
    assert "carrier message: USPS: parcel weight exceeds 70 lb maximum." in raised.value.message


def test_the_order_carrier_exclusion_is_named() -> None:
    with pytest.raises(NoMatchingRateError, match="the order asks for carrier DHL"):
        choose_rate(QUOTED, RateRule(), carrier="DHL")


def test_residential_carriers_apply_to_homes_only() -> None:
    rule = RateRule.parse(carriers=["UPS"], residential_carriers=["USPS"])
    assert chosen(rule) == "UPS:Ground" == chosen(rule, residential=False)
    assert chosen(rule, residential=None) == "UPS:Ground"  # not known: the usual rule
    assert chosen(rule, residential=True) == "USPS:GroundAdvantage"
    both = RateRule.parse("fastest", carriers=["!FedEx"], residential_carriers=["!UPS"])
    assert chosen(both) == "UPS:NextDayAir"
    assert chosen(both, residential=True) == "USPS:Priority"  # !FedEx still holds
    assert rule.describe() == "cheapest UPS homes: USPS"
    assert both.describe() == "fastest !FedEx homes: !UPS"
    verdicts = {v.quote.service: v.excluded_because
                for v in explain_rates(QUOTED, both, residential=True)}
    assert verdicts["NextDayAir"] == "excluded for residential addresses by !UPS"
    assert verdicts["STANDARD_OVERNIGHT"] == "excluded by !FedEx"
    with pytest.raises(NoMatchingRateError) as raised:
        choose_rate(QUOTED, rule.model_copy(update={"max_rate": Decimal(5)}), residential=True)
    assert "UPS Ground $12.95 4 days: not in the residential carriers (USPS)" in (
        raised.value.message)


def test_a_rule_without_residential_carriers_keeps_its_old_data() -> None:
    """The rule is part of an order's digest and of a run's options: the new lists appear in
    its data only when set, so nothing stored before them looks changed."""
    rule = RateRule.parse("fastest", ["UPS", "!FedEx"], 3, "12.50")
    assert set(rule.data()) == {"strategy", "allow", "deny", "max_days", "max_rate"}
    homes = RateRule.parse(residential_carriers=["USPS", "!UPS"])
    assert homes.data()["residential_allow"] == [{"carrier": "USPS", "service": None}]
    assert RateRule.model_validate(homes.data()) == homes
    assert RateRule.model_validate(rule.data()) == rule
