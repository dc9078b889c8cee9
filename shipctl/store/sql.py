"""Named SQL: the one loader of statement text, and store/ the only package that runs it.

A name is a `.sql` file: store's own statements are `shipctl/store/queries/<name>.sql`;
the report queries stay beside the analytics code that defines their sections
(`shipctl/analytics/<name>.sql`), which hands store/ their names, never their text.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

Home = Literal["store", "analytics"]
_HOMES: dict[Home, tuple[str, tuple[str, ...]]] = {
    "store": ("shipctl.store", ("queries",)),
    "analytics": ("shipctl.analytics", ()),
}


@cache
def query(name: str, home: Home = "store") -> str:
    """The text of the statement `name` (see the module docstring for where it lives)."""
    package, folders = _HOMES[home]
    return files(package).joinpath(*folders, f"{name}.sql").read_text("utf-8")
