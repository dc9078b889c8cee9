"""Choosing a rate: the rate rule, the order's own carrier/service, and why others lost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shipctl.errors import NoMatchingRateError
from shipctl.models import Quote, QuotedShipment, RateRule
from shipctl.units import plural

_NO_DAYS = 10**6  # a rate without delivery days sorts after every rate that has them


@dataclass(frozen=True)
class RateVerdict:
    """One offered rate, whether it was chosen, and if not why it was excluded."""

    quote: Quote
    chosen: bool
    excluded_because: str | None


def exclusion(
    quote: Quote, rule: RateRule, *, carrier: str | None = None, service: str | None = None,
    residential: bool | None = None,
) -> str | None:
    """Why `quote` is not eligible under the rule and the order's carrier/service, or None;
    `residential` (the destination is a home) brings in the rule's residential lists."""
    if carrier and quote.carrier.lower() != carrier.lower():
        return f"the order asks for carrier {carrier}"
    if service and quote.service.lower() != service.lower():
        return f"the order asks for service {service}"
    for denied in rule.deny:
        if denied.matches(quote.carrier, quote.service):
            return f"excluded by !{denied}"
    for denied in rule.residential_deny if residential else ():
        if denied.matches(quote.carrier, quote.service):
            return f"excluded for residential addresses by !{denied}"
    allow = rule.allowed(residential)
    if allow and not any(a.matches(quote.carrier, quote.service) for a in allow):
        which = ("residential carriers" if residential and rule.residential_allow
                 else "allowed carriers")
        return f"not in the {which} ({', '.join(str(a) for a in allow)})"
    if rule.max_days is not None:
        if quote.delivery_days is None:
            return f"no delivery estimate (max {plural(rule.max_days, 'day')})"
        if quote.delivery_days > rule.max_days:
            return (f"{plural(quote.delivery_days, 'day')} is over the max of "
                    f"{plural(rule.max_days, 'day')}")
    if rule.max_rate is not None and quote.rate > rule.max_rate:
        return f"${quote.rate} is over the max of ${rule.max_rate}"
    return None


def _days(quote: Quote) -> int:
    return quote.delivery_days if quote.delivery_days is not None else _NO_DAYS


def cheapest_key(quote: Quote) -> tuple[Decimal, int, str, str]:
    # Ties go to the faster rate, then to a fixed order so a rerun chooses the same rate.
    return (quote.rate, _days(quote), quote.carrier, quote.service)


def fastest_key(quote: Quote) -> tuple[int, Decimal, str, str]:
    return (_days(quote), quote.rate, quote.carrier, quote.service)


def explain_rates(
    quoted: QuotedShipment, rule: RateRule, *, carrier: str | None = None,
    service: str | None = None, residential: bool | None = None,
) -> list[RateVerdict]:
    """Every offered rate, cheapest first, with the chosen one marked (for the rates table)."""
    reasons = {
        quote.rate_id: exclusion(quote, rule, carrier=carrier, service=service,
                                 residential=residential)
        for quote in quoted.rates
    }
    eligible = [quote for quote in quoted.rates if reasons[quote.rate_id] is None]
    key = fastest_key if rule.strategy == "fastest" else cheapest_key
    chosen = min(eligible, key=key) if eligible else None
    ordered = sorted(quoted.rates, key=cheapest_key)
    return [
        RateVerdict(quote, chosen is not None and quote.rate_id == chosen.rate_id,
                    reasons[quote.rate_id])
        for quote in ordered
    ]


def choose_rate(
    quoted: QuotedShipment, rule: RateRule, *, carrier: str | None = None,
    service: str | None = None, residential: bool | None = None,
) -> Quote:
    """The rate the rule picks; NoMatchingRateError lists every rate and why it lost."""
    verdicts = explain_rates(quoted, rule, carrier=carrier, service=service,
                             residential=residential)
    for verdict in verdicts:
        if verdict.chosen:
            return verdict.quote
    raise NoMatchingRateError(no_match_message(quoted, rule, verdicts), code="NO_MATCHING_RATE")


def no_match_message(
    quoted: QuotedShipment, rule: RateRule, verdicts: list[RateVerdict]
) -> str:
    lines = [f"no rate matches the rule ({rule.describe()})"]
    if verdicts:
        lines[0] += "; rates offered:"
        for verdict in verdicts:
            quote = verdict.quote
            days = (plural(quote.delivery_days, "day") if quote.delivery_days is not None
                    else "? days")
            lines.append(
                f"  {quote.carrier} {quote.service} ${quote.rate} {days}: "
                f"{verdict.excluded_because}"
            )
    else:
        lines[0] += "; EasyPost offered no rates"
    errors = [m for m in quoted.messages if (m.type or "rate_error") == "rate_error"]
    for message in errors:
        who = f"{message.carrier}: " if message.carrier and not message.message.startswith(
            message.carrier) else ""
        lines.append(f"  carrier message: {who}{message.message}")
    return "\n".join(lines)
