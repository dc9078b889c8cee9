"""`shipctl --simulate refund KEY…` by reference, tracking code and shipment id."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .test_create import CONFIG, TO

Run = Callable[..., Any]


def buy(shipctl: Run, reference: str) -> dict[str, Any]:
    result = shipctl("--simulate", "create", *TO, "--weight", "12oz", "--reference", reference,
                     "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_refund_by_reference_tracking_code_and_shipment_id(
    shipctl: Run, isolated_env: Path, sql: Run
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    a, b, c = buy(shipctl, "A"), buy(shipctl, "B"), buy(shipctl, "C")
    result = shipctl("--simulate", "refund", "A", b["tracking_code"], c["shipment_id"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("submitted") == 3
    rows = sql("SELECT s.reference, s.state, r.status FROM refunds r "
               "JOIN shipments s ON s.id = r.shipment_id ORDER BY s.reference")
    assert [tuple(r) for r in rows] == [(ref, "refunded", "submitted") for ref in "ABC"]
    assert a["shipment_id"] in result.stdout


def test_unknown_and_unbought_keys_fail_alone(
    shipctl: Run, isolated_env: Path, sql: Run
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    buy(shipctl, "A")
    shipctl("--simulate", "create", *TO, "--weight", "12oz", "--reference", "Q", "--dry-run")
    declined = shipctl("--simulate", "create", "--to-name", "Z", "--to-street1", "1 A St",
                       "--to-city", "X", "--to-zip", "1", "--to-country", "ZZ",
                       "--weight", "1oz", "--reference", "F", "--yes")
    assert declined.exit_code == 2
    result = shipctl("--simulate", "refund", "nope", "F", "A")
    assert result.exit_code == 1
    assert "nope: no shipment with this reference" in result.stderr
    assert "F: no label was bought (the order is failed)" in result.stderr
    assert "submitted" in result.stdout
    assert [tuple(r) for r in sql("SELECT reference, state FROM shipments ORDER BY reference")
            ] == [("A", "refunded"), ("F", "failed")]
