"""Everyday command-line behaviour: plain help, quiet pipes, an unreachable EasyPost."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Shipctl

COMMANDS = [["bulk"], ["create"], ["track"], ["refund"], ["runs"], ["runs", "show"],
            ["analytics"], ["db", "url"], ["config", "show"]]
TYPE_NAME = re.compile(r"<(str|int|float|bool|path|list\[[^>]*\]|[a-z]+ range)>|\{[a-z_]+\}")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_no_internal_type_names(shipctl: Shipctl, command: list[str]) -> None:
    result = shipctl(*command, "--help")
    assert result.exit_code == 0
    assert not TYPE_NAME.search(result.stdout), result.stdout
    assert "list[" not in result.stdout


def test_analytics_help_has_no_command_args_placeholder(shipctl: Shipctl) -> None:
    result = shipctl("analytics", "--help")
    assert "COMMAND [ARGS]" not in result.stdout
    assert result.stdout.startswith("Usage: shipctl analytics [OPTIONS] [COMMAND]")


def test_bulk_help_names_what_a_value_is(shipctl: Shipctl) -> None:
    text = shipctl("bulk", "--help").stdout
    assert "Usage: shipctl bulk [OPTIONS] [FILE]" in text  # optional: --join RUN needs none
    assert "--map FIELD=COLUMN" in text and "--results-out FILE" in text


@pytest.mark.parametrize("command", [["bulk", "--help"], ["config", "show"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(isolated_env: Path, command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader (`head`) is gone before shipctl writes
    try:
        done = subprocess.run([sys.executable, "-m", "shipctl", *command],
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write)
    assert done.stderr == ""
    assert done.returncode != 0


def test_unreachable_easypost_has_its_own_message_and_exit_code(
    shipctl: Shipctl, isolated_env: Path,
) -> None:
    result = shipctl(
        "create", "--to-name", "Ann Lee", "--to-street1", "1 Main St", "--to-city", "Austin",
        "--to-state", "TX", "--to-zip", "78701", "--weight", "1lb", "--parcel", "4x4x4",
        "--from-name", "W", "--from-street1", "2 Main St", "--from-city", "Austin",
        "--from-state", "TX", "--from-zip", "78701", "--yes",
        # A second of retries, not the default two minutes' budget: still unreachable.
        env={"EASYPOST_API_KEY": "EZTKnotarealkey", "EASYPOST_API_BASE": "http://127.0.0.1:9/v2",
             "SHIPCTL_RETRY_SECONDS": "1"},
    )
    assert result.exit_code == 8, result.stdout + result.stderr
    assert "EasyPost unreachable" in result.stderr
    assert "refused" not in result.stderr


@pytest.mark.slow
def test_a_crashed_embedded_server_is_reported_then_started_again(
    shipctl: Shipctl, isolated_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signal

    monkeypatch.delenv("DATABASE_URL")
    assert shipctl("db", "start").exit_code == 0
    pidfile = isolated_env / "data" / "pgdata" / "postmaster.pid"
    try:
        os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        status = shipctl("db", "status")
        assert status.exit_code == 0, status.stderr
        assert "unexpected" not in status.stderr
        assert ("restarting after a crash" in status.stdout
                or "running:    no (the next command starts it)" in status.stdout)
        runs = shipctl("--simulate", "runs")
        assert runs.exit_code == 0, runs.stderr
        assert "unexpected" not in runs.stderr
    finally:
        shipctl("db", "stop")
