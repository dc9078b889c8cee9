"""store/ is the one package that holds SQL text and runs it; the others name queries."""

from __future__ import annotations

import re
from pathlib import Path

import shipctl
from shipctl.store.sql import query

PACKAGE = Path(shipctl.__file__).parent
# Statement text in a Python string literal: a keyword opening a statement, quoted.
STATEMENT = re.compile(r"""["'](SELECT|UPDATE|INSERT|DELETE|WITH|VACUUM)\s""")


def test_no_sql_text_or_sql_loader_outside_store() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        part = path.relative_to(PACKAGE).parts[0]
        if part in ("store", "simulator"):
            continue
        text = path.read_text("utf-8")
        if STATEMENT.search(text) or (".sql" in text and "read_text" in text):
            found.append(str(path.relative_to(PACKAGE)))
    assert found == []


def test_analytics_queries_are_named_and_read_by_store() -> None:
    from shipctl.analytics.sections import SECTIONS

    for section in SECTIONS.values():
        assert query(section.query, "analytics").lstrip().startswith("--")
    assert not (PACKAGE / "analytics" / "carrier.sql").exists()
