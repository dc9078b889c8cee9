"""Help in the user's words: `--map FIELD=COLUMN`, `FILE`, never `<list[str]>` or `{file}`.

Typer labels each value with its Python type; `tidy` walks the built command tree once and
gives every option and argument a metavar a user reads as a placeholder instead.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

# Option metavars that say more than the type does, by option name.
NAMED = {
    "map": "FIELD=COLUMN", "maps": "FIELD=COLUMN", "carriers": "CARRIER[:SERVICE]",
    "residential_carriers": "CARRIER[:SERVICE]",
    "since": "WHEN", "until": "WHEN",
    "weight": "WEIGHT", "default_weight": "WEIGHT", "max_rate": "PRICE", "parcel": "PARCEL",
}


def _metavar(param: TyperOption) -> str:
    desc = param.type_descriptor
    if desc.is_choice and desc.choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in desc.choices)
    if param.name in NAMED:
        return NAMED[param.name]
    if desc.is_path:
        return "FILE"
    annotation = str(desc.annotation)
    if desc.is_ranged or "int" in annotation or "float" in annotation:
        return "N"
    return "TEXT"


def _tidy_argument(argument: TyperArgument) -> None:
    name = (argument.name or "arg").upper()
    many = argument.nargs != 1
    usage = name + ("..." if many else "")
    if not argument.required:
        usage = f"[{usage}]"
    argument.metavar = name
    # Typer appends the type to an argument's help row and braces it in the usage line.
    setattr(argument, "display_type_rich", lambda ctx: None)  # noqa: B010
    setattr(argument, "_usage_display_name", lambda: usage)  # noqa: B010


def tidy(command: Any) -> Any:
    """Give every parameter of `command` and its sub-commands a plain metavar."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            _tidy_argument(param)
        elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
            param.metavar = _metavar(param)
    if isinstance(command, TyperGroup):
        if command.invoke_without_command:
            command.subcommand_metavar = "[COMMAND]"
        for sub in command.commands.values():
            tidy(sub)
    return command
