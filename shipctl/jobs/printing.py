"""Send a file to a CUPS printer with `lp`: PDF as it is, ZPL and EPL2 raw."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from shipctl.errors import OutputError

RAW_SUFFIXES = (".zpl", ".epl")
LP_SECONDS = 120


def lp_command(path: Path, printer: str | None) -> list[str]:
    """The `lp` command line for `path`: `-d PRINTER` unless the default printer; `-o raw`
    for printer languages (ZPL, EPL2), which CUPS must pass through untouched."""
    command = ["lp"]
    if printer:
        command += ["-d", printer]
    if path.suffix.lower() in RAW_SUFFIXES:
        command += ["-o", "raw"]
    return [*command, "--", str(path)]


def check_printer(printer: str | None) -> None:
    """Before anything is bought: `lp` is there, and (when CUPS's `lpstat` is there too) the
    printer is one CUPS knows. One clear OutputError otherwise."""
    if shutil.which("lp") is None:
        raise OutputError("cannot --print: `lp` (CUPS) is not installed or not on PATH")
    if not printer or shutil.which("lpstat") is None:
        return
    try:
        done = subprocess.run(["lpstat", "-p", printer], capture_output=True, text=True,
                              timeout=LP_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OutputError(f"cannot --print: lpstat failed ({error})") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise OutputError(f"cannot --print: printer {printer!r} is unknown to CUPS"
                          + (f" ({said[-1]})" if said else ""))


def print_file(path: Path, printer: str | None) -> str:
    """Print `path`; returns what lp said (its job id line). One clear OutputError when lp
    is not installed, the printer is unknown, or lp refuses the job."""
    if shutil.which("lp") is None:
        raise OutputError(f"cannot print {path}: `lp` (CUPS) is not installed or not on PATH")
    try:
        done = subprocess.run(lp_command(path, printer), capture_output=True, text=True,
                              timeout=LP_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OutputError(f"cannot print {path}: lp failed ({error})") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        reason = said[-1] if said else f"exit status {done.returncode}"
        target = f"printer {printer!r}" if printer else "the default printer"
        raise OutputError(f"cannot print {path} on {target}: {reason}")
    return done.stdout.strip()
