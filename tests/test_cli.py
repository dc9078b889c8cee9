"""The command line as a whole: start-up, help, errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Shipctl

HEAVY = ("easypost", "asyncpg", "aiohttp", "reportlab", "pypdf", "PIL", "pydantic")


def test_help_imports_no_heavy_library() -> None:
    probe = (
        "import sys, json\n"
        "from shipctl.cli.main import run\n"
        "try:\n    run(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert "bulk" in done.stdout and "track" in done.stdout


def test_every_command_has_help() -> None:
    from typer.main import get_command

    from shipctl.cli.main import app

    group = get_command(app)
    missing = []

    def walk(command: object, path: str) -> None:
        help_text = getattr(command, "help", None) or getattr(command, "short_help", None)
        if not help_text:
            missing.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(group, "shipctl")
    assert missing == []


def test_python_dash_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shipctl", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("shipctl ")


def test_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shipctl", "ship-it-all"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_embedded_data_dir_unusable_names_the_path(shipctl: Shipctl, isolated_env: Path) -> None:
    blocker = isolated_env / "a-file"
    blocker.write_text("")
    result = shipctl(
        "db", "start", env={"SHIPCTL_DATA_DIR": str(blocker / "data"), "DATABASE_URL": ""}
    )
    assert result.exit_code == 3
    assert str(blocker) in result.stderr and "Traceback" not in result.stderr


def test_corrupt_embedded_data_dir_names_the_path(shipctl: Shipctl, isolated_env: Path) -> None:
    pgdata = isolated_env / "broken" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("99\n")
    result = shipctl(
        "db", "start", env={"SHIPCTL_DATA_DIR": str(pgdata.parent), "DATABASE_URL": ""}
    )
    assert result.exit_code == 3
    assert str(pgdata) in result.stderr and "Traceback" not in result.stderr


def test_debug_shows_the_traceback(shipctl: Shipctl, isolated_env: Path) -> None:
    (isolated_env / "shipctl.toml").write_text("concurrency = 0")
    try:
        shipctl("--debug", "config", "show")
    except Exception as error:  # --debug lets the error through with its traceback
        assert "concurrency" in str(error)
    else:
        raise AssertionError("--debug should re-raise")


def test_async_commands_run_on_uvloop() -> None:
    from shipctl import eventloop

    async def which() -> str:
        return eventloop.loop_name()

    assert eventloop.run(which()) == "Loop"  # uvloop's loop class


def test_verify_takes_a_mode_only_when_one_follows() -> None:
    from shipctl.cli.verify_flag import spell_out

    assert spell_out(["--verify", "orders.csv"]) == ["--verify=on", "orders.csv"]
    assert spell_out(["a.csv", "--verify"]) == ["a.csv", "--verify=on"]
    assert spell_out(["--verify", "Strict", "a.csv"]) == ["--verify=strict", "a.csv"]
    assert spell_out(["--verify", "off", "--yes"]) == ["--verify=off", "--yes"]
    assert spell_out(["--verify", "--yes"]) == ["--verify=on", "--yes"]
    assert spell_out(["--verify=strict"]) == ["--verify=strict"]
    assert spell_out(["--", "--verify", "on"]) == ["--", "--verify", "on"]
