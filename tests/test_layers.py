"""The package layering the design relies on, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import shipctl
from shipctl.orders import geography
from shipctl.simulator import addresses

PACKAGE = Path(shipctl.__file__).parent


def _imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_simulator_imports_nothing_else_from_shipctl() -> None:
    outside = {
        f"{path.name}: {module}"
        for path in (PACKAGE / "simulator").glob("*.py")
        for module in _imports(path)
        if module.split(".")[0] == "shipctl" and not module.startswith("shipctl.simulator")
    }
    assert outside == set()


@pytest.mark.parametrize("package", ["iso3166", "uszip"])
def test_the_shared_data_packages_hold_no_code(package: str) -> None:
    [module] = (PACKAGE / package).glob("*.py")
    assert _imports(module) == set()


def test_orders_and_the_simulator_accept_the_same_countries() -> None:
    assert geography.COUNTRY_CODES == addresses.COUNTRIES
    assert len(geography.COUNTRY_CODES) == 250
    assert {"US", "GB", "XK"} <= geography.COUNTRY_CODES
    assert geography.country_code("Kosovo") == "XK"
