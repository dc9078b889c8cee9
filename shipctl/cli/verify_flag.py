"""`--verify`, `--verify strict`, `--verify off`: a flag whose value may be left out.

Click reads an option either as a flag or as one that takes a value; `--verify` is both: bare
it means `on`, and it takes `on`, `strict` or `off` when one of those words follows it. Any
other word after it (`shipctl bulk --verify orders.csv`) is not its value. The commands that
have it parse their arguments through `VerifyCommand`, which spells the bare flag out
(`--verify=on`) before Click reads them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

MODES = ("on", "strict", "off")
FLAG = "--verify"


def spell_out(args: list[str]) -> list[str]:
    """The arguments with a bare `--verify` as `--verify=on` and `--verify WORD` as
    `--verify=WORD` when WORD is a mode; nothing after `--` is touched."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            out += args[index - 1:]
            break
        if arg != FLAG:
            out.append(arg)
            continue
        following = args[index].lower() if index < len(args) else None
        if following in MODES:
            out.append(f"{FLAG}={following}")
            index += 1
        else:
            out.append(f"{FLAG}=on")
    return out


class VerifyCommand(TyperCommand):
    """A command whose `--verify` may be given without a value."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spell_out(args))


Verify = Annotated[str | None, typer.Option(
    FLAG, metavar="[on|strict|off]", show_default=False, rich_help_panel="Addresses",
    help="Verify the destination with EasyPost first: --verify (on), --verify strict "
    "(EasyPost's verify_strict) or --verify off.")]
# The spelling before `--verify strict`; kept so scripts that use it go on working.
VerifyStrict = Annotated[bool, typer.Option(
    "--verify-strict", hidden=True, help="The same as --verify strict.")]


def verify_mode(value: str | None, strict: bool, default: str) -> str:
    """`off`, `on` or `strict` from `--verify [MODE]` and `--verify-strict`; `default` when
    neither was given. A mode that is not one is a usage error naming the option."""
    if strict:
        if value not in (None, "strict"):
            raise typer.BadParameter(f"--verify-strict is --verify strict; it cannot be "
                                     f"combined with --verify {value}", param_hint=FLAG)
        return "strict"
    if value is None:
        return default
    mode = value.strip().lower()
    if mode not in MODES:
        raise typer.BadParameter(f"{value!r} is not on, strict or off", param_hint=FLAG)
    return mode
