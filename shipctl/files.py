"""Writing output files safely: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from shipctl.errors import InputError


def check_writable(path: Path, *, force: bool) -> None:
    """Fail before any work is done if `path` exists (without `force`) or is a directory."""
    if path.is_dir():
        raise InputError(f"{path} is a directory")
    if path.exists() and not force:
        raise InputError(f"{path} already exists (use --force to overwrite it)")


def write_atomically(path: Path, data: bytes, *, force: bool) -> None:
    """Write to a temporary file beside `path`, then rename: no half-written file, ever."""
    check_writable(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, path)
        else:
            # link() fails if the name appeared meanwhile, so a file is never clobbered
            os.link(temporary, path)
            os.unlink(temporary)
    except FileExistsError:
        os.unlink(temporary)
        raise InputError(f"{path} already exists (use --force to overwrite it)") from None
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
