"""Object ids and tracking codes shaped like the real API's."""

from __future__ import annotations

import hashlib
import os
import random

# Seeded from the OS once per process (and again in a forked child): a system call per id
# or tracking code cost more than the rest of rating a shipment.
_ids = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))


def new_id(prefix: str) -> str:
    """A fresh id: the type prefix, an underscore and 32 hex characters."""
    return f"{prefix}_{_ids.getrandbits(128):032x}"


def stable_id(prefix: str, name: str) -> str:
    """An id that is the same in every process, for fixed objects such as carrier accounts."""
    return f"{prefix}_{hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()}"


def new_tracking_code(carrier: str) -> str:
    """A tracking code in the carrier's own format, random enough to be unique."""
    if carrier == "UPS":
        return f"1Z{_ids.getrandbits(64):016X}"
    digits = f"{_ids.randrange(10**18):018d}"
    if carrier == "FedEx":
        return digits[:12]
    return "9400" + digits


def seed_for(text: str) -> int:
    """A deterministic integer seed from a string (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def rate_id_for(shipment_id: str) -> str:
    """A fresh rate id that begins with its shipment's first hex digits, so that a rate can be
    found again (GET /rates/:id) without a row of its own: rating stays one write."""
    return f"rate_{shipment_id.partition('_')[2][:RATE_PREFIX]}{_ids.getrandbits(64):016x}"


def rate_shipment_prefix(rate: str) -> str | None:
    """The id prefix of the shipment a rate made by `rate_id_for` belongs to."""
    prefix, _, digits = rate.partition("_")
    if prefix != "rate" or len(digits) != 32:
        return None
    return f"shp_{digits[:RATE_PREFIX]}"


RATE_PREFIX = 16  # hex digits of the shipment id kept in its rates' ids


def new_digits(count: int) -> str:
    """`count` random decimal digits, for confirmation numbers and the like."""
    return f"{_ids.randrange(10**count):0{count}d}"
