"""The closed sets of words a user picks from: label formats and rate strategies.

StrEnums, so Typer validates an option against them and lists them in `--help`, pydantic
validates files and settings against the same members, and a member still compares equal to
its text (`LabelFormat.PDF == "PDF"`). Any case is accepted: `pdf` is PDF, `Fastest` fastest.
Kept free of pydantic: `shipctl --help` imports this module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Choice(StrEnum):
    """A member is found by its text in any case and with spaces around it."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            wanted = value.strip().casefold()
            return next((m for m in cls if m.value.casefold() == wanted), None)
        return None

    @classmethod
    def parse(cls, text: str) -> Self | None:
        """The member `text` names; None when it names none."""
        try:
            return cls(text)
        except ValueError:
            return None

    @classmethod
    def metavar(cls) -> str:
        """The members as `--help` shows an option's values: `PNG|PDF|ZPL`."""
        return "|".join(m.value for m in cls)

    @classmethod
    def spoken(cls) -> str:
        """The members as a sentence lists them: `PNG, PDF or ZPL`."""
        *first, last = [m.value for m in cls]
        return f"{', '.join(first)} or {last}" if first else last


class LabelFormat(Choice):
    """The label files EasyPost makes."""

    PNG = "PNG"
    PDF = "PDF"
    ZPL = "ZPL"


class RateStrategy(Choice):
    """How a rate rule picks among the rates it allows."""

    CHEAPEST = "cheapest"
    FASTEST = "fastest"
