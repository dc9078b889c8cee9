"""Settings: precedence, provenance, masking, and errors that name the file and the key."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shipctl.config import Settings, default_concurrency, describe, load_settings
from shipctl.errors import ConfigError
from shipctl.store.dsn import mask_dsn
from tests.conftest import Shipctl


def _user_config(home: Path, text: str) -> None:
    path = home / "config" / "shipctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_precedence_flags_env_project_user(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _user_config(isolated_env, 'label_format = "PNG"\nconcurrency = 3\ntimeout = 7\n'
                               'default_rate_rule = "fastest"\n')
    (isolated_env / "shipctl.toml").write_text('concurrency = 5\ntimeout = 9\n')
    monkeypatch.setenv("SHIPCTL_TIMEOUT", "11")
    loaded = load_settings({"label_format": "zpl"})
    settings = loaded.settings
    assert (settings.label_format, settings.concurrency, settings.timeout) == ("ZPL", 5, 11.0)
    assert settings.default_rate_rule == "fastest"
    assert loaded.sources["label_format"] == "flag"
    assert loaded.sources["timeout"] == "env SHIPCTL_TIMEOUT"
    assert loaded.sources["concurrency"] == "shipctl.toml"
    assert loaded.sources["default_rate_rule"].endswith("config.toml")


def test_parcel_presets_and_from_address(isolated_env: Path) -> None:
    (isolated_env / "shipctl.toml").write_text(
        '[parcels]\nsmall = "8x6x4 in"\nmetric = "30x20x10cm"\n'
        '[from_address]\nname = "Dock"\nstreet1 = "1 Main St"\ncity = "Ogden"\n'
        'state = "UT"\nzip = "84403"\n'
    )
    settings = load_settings().settings
    assert str(settings.parcels["small"]) == "8x6x4 in"
    assert settings.parcels["metric"].length == Decimal("11.81")
    assert settings.from_address is not None and settings.from_address.zip == "84403"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("concurrency = 'many'", "concurrency"),
        ("colour = 'red'", "unknown key 'colour'"),
        ('[parcels]\nsmall = "8 by 6"', "parcels"),
        ("label_format = 'GIF'", "label_format"),
        ("concurrency = [", "not valid TOML"),
    ],
)
def test_bad_config_file_names_file_key_and_problem(
    isolated_env: Path, text: str, expected: str
) -> None:
    (isolated_env / "shipctl.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("shipctl.toml")
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def test_secrets_are_masked_in_config_show(
    shipctl: Shipctl, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EASYPOST_API_KEY", "EZTK0123456789secretsecret")
    result = shipctl("config", "show",
                     env={"DATABASE_URL": "postgresql://app:pw-hunter2@db.internal:5432/ship"})
    assert result.exit_code == 0
    assert "0123456789secret" not in result.stdout
    assert "pw-hunter2" not in result.stdout
    assert "EZTK" in result.stdout and "db.internal" in result.stdout


def test_mask_dsn() -> None:
    assert mask_dsn("postgresql://u:p@h:5/d") == "postgresql://u:***@h:5/d"
    assert mask_dsn("postgresql://u@h/d") == "postgresql://u@h/d"


def test_describe_lists_every_setting(isolated_env: Path) -> None:
    names = [row[0] for row in describe(load_settings())]
    assert "easypost_api_key" in names and "data_dir" in names


def test_bad_config_through_the_cli_is_one_line_exit_3(
    shipctl: Shipctl, isolated_env: Path,
) -> None:
    (isolated_env / "shipctl.toml").write_text("concurrency = 0")
    result = shipctl("config", "show")
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "concurrency" in result.stderr
    assert "Traceback" not in result.stderr


VALID_PROJECT = "concurrency = 5\ntimeout = 9\n"


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [("SHIPCTL_CONCURRENCY", "abc", "concurrency"), ("SHIPCTL_TIMEOUT", "x", "timeout"),
     ("SHIPCTL_LABEL_FORMAT", "GIF", "label_format")],
)
def test_an_invalid_environment_variable_is_blamed_on_the_environment(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, setting: str
) -> None:
    (isolated_env / "shipctl.toml").write_text(VALID_PROJECT)  # valid, and read
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = caught.value.message
    assert message.startswith(f"environment variable {variable}: ")
    assert repr(value) in message  # the value the user set, to spot the typo
    assert "shipctl.toml" not in message and "\n" not in message


def test_every_problem_is_one_line_naming_its_source(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user_config(isolated_env, "retry_seconds = -1\n")
    (isolated_env / "shipctl.toml").write_text('colour = "red"\n[from_address]\nname = "Dock"\n')
    monkeypatch.setenv("SHIPCTL_TIMEOUT", "soon")
    with pytest.raises(ConfigError) as caught:
        load_settings({"concurrency": 0})
    lines = caught.value.message.splitlines()
    user_file = str(isolated_env / "config" / "shipctl" / "config.toml")
    assert f"{user_file}: retry_seconds: Input should be greater than 0" in lines
    assert "shipctl.toml: unknown key 'colour'" in "\n".join(lines)
    assert "shipctl.toml: from_address.street1: Field required" in lines
    assert any(line.startswith("environment variable SHIPCTL_TIMEOUT: ") for line in lines)
    assert any(line.startswith("--concurrency: ") for line in lines)
    assert len(lines) == 7  # street1, city, zip: three lines of their own


def test_a_later_source_hides_an_earlier_invalid_value(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_env / "shipctl.toml").write_text("timeout = 9\n")
    monkeypatch.setenv("SHIPCTL_TIMEOUT", "x")
    loaded = load_settings({"timeout": 4.0})
    assert loaded.settings.timeout == 4.0 and loaded.sources["timeout"] == "flag"


def test_table_settings_come_from_the_environment_as_json(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPCTL_PARCELS", '{"small": "8x6x4 in"}')
    monkeypatch.setenv("SHIPCTL_FROM_ADDRESS", '{"name": "Dock", "street1": "1 Main St", '
                       '"city": "Ogden", "state": "UT", "zip": "84403"}')
    loaded = load_settings()
    assert str(loaded.settings.parcels["small"]) == "8x6x4 in"
    assert loaded.settings.require_from_address().city == "Ogden"
    assert loaded.sources["from_address"] == "env SHIPCTL_FROM_ADDRESS"
    monkeypatch.setenv("SHIPCTL_PARCELS", "{small")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message == "environment variable SHIPCTL_PARCELS: not valid JSON"


def test_settings_built_in_code_still_read_the_environment(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPCTL_TIMEOUT", "12")
    assert Settings().timeout == 12.0
    assert load_settings({"timeout": 3.0}).settings.timeout == 3.0
    assert Settings().timeout == 12.0  # load_settings switched the environment back on


def test_a_named_settings_file_must_exist(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(config_file=Path("nope.toml"))
    assert caught.value.message == "nope.toml: no such settings file (named by --config)"
    monkeypatch.setenv("SHIPCTL_CONFIG", "gone.toml")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message == "gone.toml: no such settings file (named by SHIPCTL_CONFIG)"


def test_database_dsn_is_the_plain_url_or_none(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().settings.database_dsn is None
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@h/d")
    assert load_settings().settings.database_dsn == "postgresql://u:pw@h/d"


def test_an_unparsable_database_url_is_an_environment_error_without_the_value(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2@h/d")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("environment variable DATABASE_URL: ")
    assert "hunter2" not in caught.value.message


def test_require_from_address_names_the_setting(isolated_env: Path) -> None:
    with pytest.raises(ConfigError, match=r"from_address is not set.*\[from_address\]"):
        load_settings().settings.require_from_address()


def test_config_show_marks_absent_files_and_the_effective_concurrency(
    shipctl: Shipctl, isolated_env: Path
) -> None:
    result = shipctl("config", "show")
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "concurrency" in line)
    assert f"{default_concurrency()} (8 per core)" in row and "default" in row
    user_file = isolated_env / "config" / "shipctl" / "config.toml"
    assert f"user file: {user_file} (absent)" in result.stdout
    assert "project file: shipctl.toml (absent)" in result.stdout

    (isolated_env / "shipctl.toml").write_text("concurrency = 3\n")
    result = shipctl("config", "show")
    row = next(line for line in result.stdout.splitlines() if "concurrency" in line)
    assert "│ 3 " in row and "shipctl.toml" in row
    assert "project file: shipctl.toml (read)" in result.stdout


def test_environment_errors_through_the_cli_are_one_line_each_exit_3(
    shipctl: Shipctl, isolated_env: Path
) -> None:
    (isolated_env / "shipctl.toml").write_text(VALID_PROJECT)
    result = shipctl("config", "show", env={"SHIPCTL_CONCURRENCY": "abc", "SHIPCTL_TIMEOUT": "x"})
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith("error: environment variable SHIPCTL_") for line in lines)
    assert "shipctl.toml" not in result.stderr


def test_bulk_without_from_address_stops_before_quoting(
    shipctl: Shipctl, sql: Callable[..., list[Any]], isolated_env: Path
) -> None:
    orders = isolated_env / "orders.csv"
    orders.write_text("reference,name,street1,city,state,zip,weight\n"
                      "A-1,Ada Lovelace,100 Main St,Portland,OR,97214,12oz\n")
    result = shipctl("--simulate", "bulk", str(orders), "--dry-run")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "error: from_address is not set" in result.stderr.splitlines()[-1]
    assert sql("SELECT count(*) AS n FROM runs")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM shipments")[0]["n"] == 0


def test_create_with_a_sender_on_the_command_line_needs_no_from_address(
    shipctl: Shipctl,
) -> None:
    to = ("--to-name", "Ann Lee", "--to-street1", "22 Oak Ave", "--to-city", "Boston",
          "--to-state", "MA", "--to-zip", "02108")
    sender = ("--from-name", "Dock", "--from-street1", "1 Main St", "--from-city", "Ogden",
              "--from-state", "UT", "--from-zip", "84403")
    missing = shipctl("--simulate", "create", *to, "--weight", "12oz", "--dry-run")
    assert missing.exit_code == 3 and "from_address is not set" in missing.stderr
    given = shipctl("--simulate", "create", *to, *sender, "--weight", "12oz", "--dry-run")
    assert given.exit_code == 0, given.stderr
