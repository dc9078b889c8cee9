"""The README's commands: each one parses as the CLI defines it, and the quick start runs."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest
from typer.main import get_command

from shipctl.cli.main import app
from tests.jobs.bulk_support import read_results

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL_BLOCK = re.compile(r"^```(?:sh|cron)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# `shipctl X Y…` in the text; not a bare command's name, a synopsis with [options] or the table
INLINE_COMMAND = re.compile(r"(?<!\| )`shipctl ([a-z]+ [^`\[…|]*)`")
PLACEHOLDERS = {"FILE": "orders.csv", "KEY": "ORDER-1001", "RUN": "1"}
TABLE_COMMAND = re.compile(r"^\| `shipctl ([a-z -]+(?:\\\|[a-z -]+)*)[^`]*` \|", re.MULTILINE)


def shipctl_lines() -> list[str]:
    """Every `shipctl …` command in the README: shell blocks (less comments and redirects), code."""
    found = []
    for block in SHELL_BLOCK.findall(README):
        for line in block.splitlines():
            for part in re.split(r"&&|\|", line):
                words = shlex.split(part, comments=True)
                if words and words[0] == "shipctl":
                    stop = next((i for i, w in enumerate(words) if w.startswith(">")), None)
                    found.append(shlex.join(words[1:stop]))
    found += [" ".join(PLACEHOLDERS.get(word, word) for word in span.split())
              for span in INLINE_COMMAND.findall(README)]
    return list(dict.fromkeys(found))


def parse(args: list[str]) -> str:
    """Parse `shipctl ARGS` as the CLI would, running nothing; the command's name."""
    command: Any = get_command(app)
    context = command.make_context("shipctl", args)
    rest = [*context._protected_args, *context.args]
    while rest and hasattr(command, "resolve_command"):
        name, command, rest = command.resolve_command(context, rest)
        context = command.make_context(name, rest, parent=context)
        rest = [*context._protected_args, *context.args] if hasattr(
            command, "resolve_command") else []
    return str(command.name)


def test_the_readme_shows_commands() -> None:
    # a guard for the tests below: they check every line they find
    assert len(shipctl_lines()) >= 10
    assert len(TABLE_COMMAND.findall(README)) >= 10


@pytest.mark.parametrize("line", shipctl_lines())
def test_every_readme_command_parses(line: str) -> None:
    args = shlex.split(line)
    assert parse(args) in args


@pytest.mark.parametrize("row", TABLE_COMMAND.findall(README))
def test_every_command_in_the_table_exists(row: str) -> None:
    *group, last = row.split()
    for name in last.split("\\|"):  # `db start|stop|status`: each subcommand
        command: Any = get_command(app)
        for word in [*group, name]:
            command = getattr(command, "commands", {}).get(word)
            assert command is not None, f"shipctl {' '.join(group)} {name}: no such command"


def test_the_quick_start_runs_as_written(
    shipctl: Callable[..., Any], isolated_env: Path
) -> None:
    shutil.copytree(ROOT / "examples", isolated_env / "examples")
    [quick_start] = [line for line in shipctl_lines() if "examples/orders.csv" in line]
    args = shlex.split(quick_start)

    first = shipctl(*args)
    assert first.exit_code == 0, first.stderr
    rows = read_results(isolated_env / "results.csv")
    assert [row["status"] for row in rows] == ["purchased"] * 62  # "the 62 example orders"
    assert len(pypdf.PdfReader(isolated_env / "labels.pdf").pages) == 62  # one page a label

    again = shipctl(*args)  # "Run the first command again: nothing is bought twice"
    assert again.exit_code == 0, again.stderr
    assert "62 already purchased" in again.stdout
