"""Analytics never mix modes: one mode by default (the configured key's), `--mode` to choose,
`demo` (the labels of `shipctl demo seed`) apart from other simulated labels, and dry-run
quotes are not purchase failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from tests.analytics.conftest import _shipment

pytestmark = pytest.mark.db

MARCH = ("--since", "2026-03-01", "--until", "2026-03-31")

# One label of each mode, each its own price, so a sum tells which modes were counted.
LABELS = [
    _shipment("L1", "purchased", "USPS", "Priority", "1.00", purchased="2026-03-02 10:00",
              code="TL1", mode="live"),
    _shipment("T1", "purchased", "USPS", "Priority", "2.00", purchased="2026-03-03 10:00",
              code="TT1", mode="test"),
    _shipment("S1", "purchased", "UPS", "Ground", "4.00", purchased="2026-03-04 10:00",
              code="TS1", mode="simulated"),
    _shipment("DEMO-000001", "purchased", "UPS", "Ground", "8.00",
              purchased="2026-03-05 10:00", code="TD1", mode="simulated"),
    # a refusal in a real run, and one in a dry run (a quote that failed, nothing bought)
    _shipment("T2", "failed", None, None, None, created="2026-03-06 08:00", requested="USPS",
              mode="test", error=("SHIPMENT.POSTAGE.FAILURE", "no postage")),
    _shipment("T3", "failed", None, None, None, created="2026-03-07 08:00", requested="USPS",
              mode="test", error=("SHIPMENT.RATE.FAILURE", "no rate")),
]  # fmt: skip


async def _insert(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        real = await conn.fetchval(
            "INSERT INTO runs (kind, mode, options) VALUES ('bulk', 'test', '{}') RETURNING id"
        )
        dry = await conn.fetchval(
            "INSERT INTO runs (kind, mode, options) "
            "VALUES ('bulk', 'test', '{\"dry_run\": true}') RETURNING id"
        )
        runs = {"T2": real, "T3": dry}
        columns = [*LABELS[0], "run_id"]
        await conn.executemany(
            f"INSERT INTO shipments ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})",
            [(*row.values(), runs.get(row["reference"])) for row in LABELS],
        )
    finally:
        await conn.close()


@pytest.fixture
def every_mode(db: str) -> str:
    asyncio.run(_insert(db))
    return db


def _report(
    shipctl: Callable[..., Any], *args: str, flags: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    result = shipctl(*flags, "analytics", *MARCH, *args, "--format", "json", "--by",
                     "overview,carrier,week,route,failures", env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("mode", "spend", "carriers"),
    [
        ("live", "1.00", ["USPS"]),
        ("test", "2.00", ["USPS"]),
        ("simulated", "4.00", ["UPS"]),
        ("demo", "8.00", ["UPS"]),
        ("all", "15.00", ["UPS", "USPS"]),
    ],
)
def test_mode_option(
    every_mode: str, shipctl: Callable[..., Any], mode: str, spend: str, carriers: list[str]
) -> None:
    for _ in range(2):  # the first report rebuilds the day rollups, the second reads them
        document = _report(shipctl, "--mode", mode)
        overview = document["sections"]["overview"][0]
        assert overview["spend"] == spend
        assert sorted(r["carrier"] for r in document["sections"]["carrier"]) == carriers
        assert sum(float(r["spend"]) for r in document["sections"]["week"]) == float(spend)
        assert sum(float(r["spend"]) for r in document["sections"]["route"]) == float(spend)
    expected_modes = ["live", "test", "simulated", "demo"] if mode == "all" else [mode]
    assert document["modes"] == expected_modes
    assert document["mode"] == (None if mode == "all" else mode)


def test_dry_run_quotes_are_not_purchase_failures(
    every_mode: str, shipctl: Callable[..., Any]
) -> None:
    document = _report(shipctl, "--mode", "test")
    assert document["sections"]["overview"][0]["purchase_failures"] == 1
    assert [r["error_code"] for r in document["sections"]["failures"]] == [
        "SHIPMENT.POSTAGE.FAILURE"
    ]


@pytest.mark.parametrize(
    ("flags", "env", "mode"),
    [
        ((), {"EASYPOST_API_KEY": "EZTKtestkey"}, "test"),
        ((), {"EASYPOST_API_KEY": "EZAKlivekey"}, "live"),
        (("--simulate",), {"EASYPOST_API_KEY": "EZAKlivekey"}, "simulated"),
    ],
)
def test_default_mode_is_the_configured_keys(
    every_mode: str,
    shipctl: Callable[..., Any],
    flags: tuple[str, ...],
    env: dict[str, str],
    mode: str,
) -> None:
    document = _report(shipctl, flags=flags, env=env)
    assert document["modes"] == [mode]
    spend = {"live": "1.00", "test": "2.00", "simulated": "4.00"}[mode]
    assert document["sections"]["overview"][0]["spend"] == spend


def test_no_key_reports_every_mode_and_says_so(
    every_mode: str, shipctl: Callable[..., Any]
) -> None:
    assert _report(shipctl)["modes"] == ["live", "test", "simulated", "demo"]
    table = shipctl("analytics", *MARCH, "--by", "overview")
    assert "modes: live, test, simulated, demo" in table.stdout
    csv = shipctl("analytics", *MARCH, "--format", "csv", "--mode", "demo")
    assert csv.exit_code == 0 and "modes: demo" in csv.stderr
    assert "8.00" in csv.stdout and "4.00" not in csv.stdout


def test_unknown_mode(db: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", "--mode", "production")
    assert result.exit_code != 0
    assert "--mode 'production' is not one of live, test, simulated, demo, all" in result.stderr
    assert "Traceback" not in result.stderr
