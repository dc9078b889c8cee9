"""Output files: checked before anything is bought, written atomically, never clobbered."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from shipctl.errors import InputError

# Room to ask for before buying: a generous label and a results row per order.
BYTES_PER_ORDER = 64 * 1024


def check_writable(path: Path, *, force: bool) -> None:
    """Fail before any work is done if `path` exists (without `force`) or is a directory."""
    if path.is_dir():
        raise InputError(f"{path} is a directory")
    if path.exists() and not force:
        raise InputError(f"{path} already exists (use --force to overwrite it)")


def check_outputs(
    outputs: Mapping[str, Path], *, inputs: Sequence[Path], force: bool, orders: int = 0
) -> None:
    """Fail before anything is bought unless every output can be written.

    Each output (keyed by its flag) must be its own file, not an input (not even with
    --force), not an existing file without --force, in a directory that exists or can be
    made and that takes a file.
    """
    seen: dict[Path, str] = {}
    for flag, path in outputs.items():
        target = path.expanduser().resolve()
        if target in seen:
            raise InputError(f"{flag} and {seen[target]} are the same file ({path}): "
                             "give each output its own path")
        for source in inputs:
            if _same_file(target, source):
                raise InputError(f"{flag} {path} is the input file: writing it would destroy "
                                 "the orders (not even --force allows that)")
        seen[target] = flag
        check_writable(path, force=force)
        _check_directory(flag, path, target.parent, orders)


def _same_file(target: Path, source: Path) -> bool:
    try:
        return target == source.expanduser().resolve() or (
            target.exists() and os.path.samefile(target, source))
    except OSError:
        return False


def _check_directory(flag: str, path: Path, directory: Path, orders: int) -> None:
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{flag} {path}: {existing} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(prefix=f".{path.name}.", dir=directory) as probe:
            probe.write(b"shipctl")
            probe.flush()
    except OSError as error:
        raise InputError(
            f"{flag} {path}: cannot write in {directory} ({error.strerror or error})"
        ) from None
    free = shutil.disk_usage(directory).free
    if orders and free < orders * BYTES_PER_ORDER:
        raise InputError(
            f"{flag} {path}: only {free // 1024} KiB free in {directory}, and {orders} labels "
            f"may need up to {orders * BYTES_PER_ORDER // 1024} KiB: free some space first"
        )


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
