"""Index pagination parameters shared by the list endpoints."""

from __future__ import annotations

from collections.abc import Mapping

from shipctl.simulator.errors import invalid


def page_size(query: Mapping[str, str]) -> int:
    """`page_size` between 1 and 100 (the real API's maximum); 20 when absent."""
    text = query.get("page_size") or "20"
    try:
        size = int(text)
    except ValueError:
        raise invalid("page_size", "must be an integer") from None
    if not 1 <= size <= 100:
        raise invalid("page_size", "must be between 1 and 100")
    return size
