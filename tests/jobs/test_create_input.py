"""`shipctl create` input: every invalid flag at once, and the JSON shapes `bulk` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliResult, Shipctl
from tests.jobs.test_create import CONFIG, Run


@pytest.fixture
def run(shipctl: Shipctl, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)

    def invoke(*args: str) -> CliResult:
        return shipctl("--simulate", "create", *args)

    return invoke


def test_every_invalid_flag_is_reported_at_once(run: Run) -> None:
    result = run("--to-name", "Ann", "--to-street1", "1 Main St", "--to-city", "Boston",
                 "--to-state", "MA", "--to-zip", "021", "--weight", "heavy",
                 "--parcel", "huge", "--dry-run")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, result.stderr
    assert any("--weight" in line for line in errors)
    assert any("--parcel 'huge'" in line for line in errors)
    assert any("--to-zip" in line for line in errors)


@pytest.mark.parametrize("order", [
    {"reference": "J2", "name": "Bo", "street1": "5 Elm St", "city": "Austin", "state": "TX",
     "zip": "78701", "weight": "10oz", "parcel": "small"},
    [{"reference": "J2", "name": "Bo", "street1": "5 Elm St", "city": "Austin",
      "state": "TX", "zip": "78701", "weight": "10oz"}],
    {"reference": "J2", "to_address": {"name": "Bo", "street1": "5 Elm St", "city": "Austin",
                                       "state": "TX", "zip": "78701"},
     "parcel": {"weight": 10, "length": 8, "width": 6, "height": 4}},
], ids=["template", "template array", "easypost"])
def test_from_json_takes_the_shapes_bulk_reads(run: Run, isolated_env: Path,
                                               order: object) -> None:
    (isolated_env / "order.json").write_text(json.dumps(order))
    result = run("--from-json", "order.json", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reference"] == "J2"


def test_from_json_reports_every_error_of_the_order(run: Run, isolated_env: Path) -> None:
    order = {"reference": "J3", "name": "Bo", "street1": "5 Elm St", "city": "Austin",
             "state": "TX", "zip": "787", "weight": "abc"}
    (isolated_env / "order.json").write_text(json.dumps(order))
    result = run("--from-json", "order.json", "--dry-run")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stderr
    assert 'zip "787"' in result.stderr and 'weight "abc"' in result.stderr
