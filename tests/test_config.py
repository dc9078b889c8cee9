"""Settings: precedence, provenance, masking, and errors that name the file and the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shipctl.config import describe, load_settings, mask_url
from shipctl.errors import ConfigError
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


def test_mask_url() -> None:
    assert mask_url("postgresql://u:p@h:5/d") == "postgresql://u:***@h:5/d"
    assert mask_url("postgresql://u@h/d") == "postgresql://u@h/d"


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
