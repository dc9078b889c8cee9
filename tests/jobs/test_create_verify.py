"""`shipctl --simulate create --verify`: the destination as EasyPost verified it, once."""

from __future__ import annotations

from pathlib import Path

from .test_create import CONFIG, TO, Run


def test_verified_apartment_is_printed_once(shipctl: Run, sql: Run, isolated_env: Path) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    result = shipctl("--simulate", "create", *TO, "--to-street2", "Apt 4", "--weight", "12oz",
                     "--reference", "V1", "--yes", "--verify")
    assert result.exit_code == 0, result.stderr
    [row] = sql("SELECT to_street1, to_street2, to_city, to_zip FROM shipments"
                " WHERE reference = 'V1'")
    # EasyPost folds the secondary line into street1 and answers street2 "".
    assert row["to_street1"] == "22 OAK AVE APT 4"
    assert row["to_street2"] is None
    assert row["to_city"] == "BOSTON" and row["to_zip"].startswith("02108-")


def test_a_zip_of_another_state_buys_nothing(shipctl: Run, sql: Run, isolated_env: Path) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    args = list(TO)
    args[args.index("02108")] = "98103"  # Seattle's ZIP, state MA
    result = shipctl("--simulate", "create", *args, "--weight", "12oz", "--reference", "V2",
                     "--yes", "--verify")
    assert result.exit_code == 2
    # Caught before any call: the ZIP-prefix table knows 98103 is in Washington.
    assert "--to-state MA: ZIP 98103 is in WA, not MA" in result.stderr
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0


def test_verify_strict_names_the_place_the_zip_belongs_to(
    shipctl: Run, sql: Run, isolated_env: Path
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    args = list(TO)
    args[args.index("Boston")] = "Cambridge"  # Boston's ZIP, another city of the state
    result = shipctl("--simulate", "create", *args, "--weight", "12oz", "--reference", "V3",
                     "--yes", "--verify")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.count("(did you mean BOSTON, MA 02108?)") == 1
    result = shipctl("--simulate", "create", *args, "--weight", "12oz", "--reference", "V3",
                     "--yes", "--verify", "strict")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Address not found (did you mean BOSTON, MA 02108?)" in result.stderr
    assert result.stderr.count("did you mean") == 1
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0
    off = shipctl("--simulate", "create", *args, "--weight", "12oz", "--reference", "V3",
                  "--yes", "--verify", "off")
    assert off.exit_code == 0, off.stdout + off.stderr
