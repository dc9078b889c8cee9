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
