"""Postal codes and subdivisions (provinces, states) of the countries shipctl knows.

A country not listed here has its postal code passed through as given; a country without
postal codes (Hong Kong, the UAE, …) may leave it blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PostalRule:
    pattern: re.Pattern[str]
    example: str


def _rule(pattern: str, example: str) -> PostalRule:
    return PostalRule(re.compile(pattern), example)


_FOUR, _FIVE, _SIX = r"^\d{4}$", r"^\d{5}$", r"^\d{6}$"
POSTAL_RULES: dict[str, PostalRule] = {
    "CA": _rule(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d$", "K1A 0B1"),
    "GB": _rule(r"^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$", "SW1A 1AA"),
    "DE": _rule(_FIVE, "10115"),
    "FR": _rule(_FIVE, "75001"),
    "IT": _rule(_FIVE, "00184"),
    "ES": _rule(_FIVE, "28001"),
    "TR": _rule(_FIVE, "34000"),
    "MX": _rule(_FIVE, "06000"),
    "KR": _rule(_FIVE, "03187"),
    "NL": _rule(r"^\d{4} ?[A-Z]{2}$", "1012 AB"),
    "AU": _rule(_FOUR, "2000"),
    "NZ": _rule(_FOUR, "6011"),
    "AT": _rule(_FOUR, "1010"),
    "BE": _rule(_FOUR, "1000"),
    "CH": _rule(_FOUR, "8001"),
    "DK": _rule(_FOUR, "1050"),
    "NO": _rule(_FOUR, "0150"),
    "SE": _rule(r"^\d{3} ?\d{2}$", "111 22"),
    "PL": _rule(r"^\d{2}-\d{3}$", "00-001"),
    "PT": _rule(r"^\d{4}-\d{3}$", "1100-148"),
    "JP": _rule(r"^\d{3}-\d{4}$", "100-0001"),
    "BR": _rule(r"^\d{5}-?\d{3}$", "01310-100"),
    "IN": _rule(_SIX, "110001"),
    "CN": _rule(_SIX, "100000"),
    "SG": _rule(_SIX, "018956"),
}

# Countries and territories without postal codes (a blank one is accepted).
NO_POSTAL_CODES = frozenset({
    "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI",
    "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "IE", "JM",
    "KE", "KI", "KM", "KN", "KP", "LC", "ML", "MO", "MR", "MW", "NR", "NU", "PA", "QA", "RW",
    "SB", "SC", "SL", "SO", "SR", "ST", "SY", "TF", "TG", "TK", "TL", "TO", "TT", "TV", "UG",
    "VU", "YE", "ZW",
})

SUBDIVISIONS: dict[str, dict[str, str]] = {
    "CA": {"AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
           "NL": "Newfoundland and Labrador", "NS": "Nova Scotia",
           "NT": "Northwest Territories", "NU": "Nunavut", "ON": "Ontario",
           "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon"},
    "AU": {"ACT": "Australian Capital Territory", "NSW": "New South Wales",
           "NT": "Northern Territory", "QLD": "Queensland", "SA": "South Australia",
           "TAS": "Tasmania", "VIC": "Victoria", "WA": "Western Australia"},
}
SUBDIVISION_WORDS = {"CA": "province or territory", "AU": "state or territory"}


def normal_postal_code(country: str, text: str) -> str:
    """The code as the country writes it: upper case; Canada and the UK with their space,
    Japan with its hyphen."""
    code = " ".join(text.upper().split())
    if country in ("CA", "GB") and " " not in code and len(code) >= 5:
        code = f"{code[:-3]} {code[-3:]}"
    if country == "JP" and code.isdigit() and len(code) == 7:
        code = f"{code[:3]}-{code[3:]}"
    return code


def postal_code_problem(country: str, code: str) -> str | None:
    """Why `code` (normalised) is not a postal code of `country`; None when it is one."""
    if not code:
        if country in NO_POSTAL_CODES:
            return None
        return "a postal code is required"
    rule = POSTAL_RULES.get(country)
    if rule is None or rule.pattern.match(code):
        return None
    return f"not a postal code of {country} (such as {rule.example})"


def subdivision_code(country: str, text: str) -> str | None:
    """The code of a province or state of `country` (given as code or name); None when
    unknown. Countries without a list here keep what was given."""
    known = SUBDIVISIONS.get(country)
    if known is None:
        return text
    key = " ".join(text.split()).casefold()
    for code, name in known.items():
        if key in (code.casefold(), name.casefold()):
            return code
    return None

