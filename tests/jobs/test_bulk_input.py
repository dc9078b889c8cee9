"""Bad input through `shipctl bulk`: one clear message, exit 2, nothing bought, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Shipctl
from tests.jobs.bulk_support import TEMPLATE_HEADER, ledger, use_example_settings, write_orders

HEADER = ",".join(TEMPLATE_HEADER) + "\n"
GOOD = "A-1,Ann Lee,1 Main St,Austin,TX,78701,12oz,small\n"


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", HEADER.encode(), "no orders"),
        ("garbage.csv", bytes(range(256)) * 8, "binary"),
        ("latin1.csv", (HEADER + "A-1,Zoë Ñuñez,1 Main St,Austin,TX,78701,12oz,small\n")
         .encode("latin-1"), "UTF-8"),
        ("orders.xml", b"<orders><order/></orders>", ""),
        ("missing.csv", (HEADER + "A-1,Ann Lee,1 Main St,Austin,TX\n").encode(),
         "invalid order, "),
        ("extra.csv", (HEADER + "A-1,Ann Lee,1 Main St,Austin,TX,78701,12oz,small,x,y\n")
         .encode(), "invalid order, "),
        ("weight.csv", (HEADER + GOOD.replace("12oz", "abc")).encode(), "abc"),
        ("negative.csv", (HEADER + GOOD.replace("12oz", "-1")).encode(), "-1"),
    ],
)
def test_bad_files(shipctl: Shipctl, home: Path, name: str, content: bytes, expected: str) -> None:
    path = home / name
    path.write_bytes(content)
    result = shipctl("--simulate", "bulk", str(path), "--yes")
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert expected in output
    assert "Traceback" not in output
    assert ledger(home / "data")["purchases"]["total"] == 0


def test_a_two_gigabyte_file_is_refused_at_once(shipctl: Shipctl, home: Path) -> None:
    path = home / "huge.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(2 << 30)  # sparse: no disk is used
    result = shipctl("--simulate", "bulk", str(path), "--yes")
    assert result.exit_code == 2
    assert "2.0 GiB" in result.stderr and "split" in result.stderr


def test_missing_file(shipctl: Shipctl, home: Path) -> None:
    result = shipctl("--simulate", "bulk", "nope.csv", "--yes")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_stdin_with_a_format_and_a_wrong_one(home: Path, db: str) -> None:
    import subprocess
    import sys

    orders = write_orders(home / "orders.csv", 3).read_bytes()
    env = {**os.environ, "DATABASE_URL": db}
    command = [sys.executable, "-m", "shipctl", "--simulate", "bulk", "-", "--yes"]
    wrong = subprocess.run([*command, "--format", "json"], input=orders, capture_output=True,
                           cwd=home, env=env)
    assert wrong.returncode == 2 and b"Traceback" not in wrong.stderr
    assert ledger(home / "data")["purchases"]["total"] == 0
    done = subprocess.run([*command, "--format", "csv"], input=orders, capture_output=True,
                          cwd=home, env=env)
    assert done.returncode == 0, done.stderr
    assert ledger(home / "data")["purchases"]["total"] == 3
