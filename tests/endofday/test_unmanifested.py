"""`shipctl track --unmanifested-days N`: labels bought days ago, on no form, never scanned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support import CONFIG, Run, buy, write_orders


@pytest.fixture
def simulate(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", *args)


def test_old_labels_on_no_form_and_never_scanned_are_reported(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, write_orders(isolated_env / "orders.csv", 4))
    assert simulate("manifest", "--carrier", "USPS").exit_code == 0
    # Every label is on a form; take all but M-00000 off by hand, then age every label.
    sql("DELETE FROM scan_form_labels WHERE shipment_id IN "
        "(SELECT id FROM shipments WHERE reference <> 'M-00000')")
    sql("UPDATE shipments SET purchased_at = purchased_at - interval '3 days'")
    # M-00001 was scanned by the carrier (its tracker copied onto the shipment).
    sql("UPDATE shipments SET tracking_status = 'in_transit' WHERE reference = 'M-00001'")
    # --since 1d: the aged labels are not swept again, so the scan set above stays.
    result = simulate("track", "--since", "1d", "--unmanifested-days", "2")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "not handed over: on no scan form, no carrier scan (2)" in result.stdout
    assert "M-00002" in result.stdout and "M-00003" in result.stdout
    assert "M-00000" not in result.stdout and "M-00001" not in result.stdout

    data = json.loads(simulate("track", "--since", "1d", "--unmanifested-days", "2",
                               "--json").stdout)
    assert sorted(x["reference"] for x in data["unmanifested"]) == ["M-00002", "M-00003"]
    assert "unmanifested" not in json.loads(simulate("track", "--since", "1d",
                                                     "--json").stdout)
    recent = simulate("track", "--since", "1d", "--unmanifested-days", "5")
    assert "Every label bought before then is on a scan form or scanned." in recent.stdout
