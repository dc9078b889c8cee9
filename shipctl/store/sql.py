"""Named SQL, loaded from the `.sql` files beside this module."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def query(name: str) -> str:
    """The text of `shipctl/store/queries/<name>.sql`."""
    return files("shipctl.store").joinpath("queries", f"{name}.sql").read_text("utf-8")
