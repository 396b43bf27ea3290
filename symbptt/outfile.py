"""Writing a file the user named: checked before any work, never overwritten without force,
written atomically (temp file + rename) with the permissions a plain open() would give."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from symbptt.errors import InputError


def check_target(path: Path, *, force: bool, option: str) -> Path:
    """The folder `path` will be written in; InputError if it cannot be written (before work)."""
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory; give a file name")
    if path.exists() and not force:
        raise InputError(f"{option} {path}: the file exists; pass --force to overwrite it")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{option} {path}: cannot write, the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{option} {path}: cannot write, the folder {folder} is not writable")
    return folder


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_new(path: Path, text: str, *, force: bool, option: str) -> None:
    """Write `text` to `path` atomically (temp file + rename); refuse to overwrite unless force."""
    folder = check_target(path, force=force, option=option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would have
        if not force and path.exists():  # appeared while we wrote: still never overwrite
            raise InputError(f"{option} {path}: the file exists; pass --force to overwrite it")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write ({exc.strerror})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
