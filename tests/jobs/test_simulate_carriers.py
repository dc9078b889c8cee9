"""`simulate_carriers`: the carriers `--simulate`'s simulator account has."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shipctl.config import Settings

from .test_create import CONFIG, TO, Run


def test_setting_parses_names_from_a_list_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().simulate_carriers == ("USPS", "UPS", "FedEx")
    listed = Settings.model_validate({"simulate_carriers": ["fedex", "usps"]})
    assert listed.simulate_carriers == ("FedEx", "USPS")
    monkeypatch.setenv("SHIPCTL_SIMULATE_CARRIERS", "UPS, usps")
    assert Settings().simulate_carriers == ("UPS", "USPS")
    with pytest.raises(ValidationError, match="unknown carrier 'DHL'"):
        Settings.model_validate({"simulate_carriers": "USPS,DHL"})


@pytest.mark.parametrize(("carriers", "shown", "absent"), [
    (None, ("USPS", "UPS", "FedEx"), ()),
    ('"USPS"', ("USPS",), ("UPS", "FedEx")),
])
def test_simulated_rates_come_from_the_configured_carriers(
    shipctl: Run, isolated_env: Path, carriers: str | None, shown: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    extra = f"simulate_carriers = {carriers}\n" if carriers else ""
    (isolated_env / "shipctl.toml").write_text(extra + CONFIG)
    result = shipctl("--simulate", "create", *TO, "--weight", "12oz", "--reference", "C1",
                     "--dry-run")
    assert result.exit_code == 0, result.stderr
    for carrier in shown:
        assert carrier in result.stdout
    for carrier in absent:
        assert carrier not in result.stdout
