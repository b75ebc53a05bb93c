"""The one way durable files are written: temp file, fsync, rename, fsync the directory.

A reader (the user, the watcher, `kokoro-tts status`, a restarted daemon) never sees a
half-written `job.json`, chunk WAV or outbox file: either the old file or the new one.
Temp files are hidden (`.<name>.tmp-<random>`), so watchers ignore them and a restart can
recognise and remove leftovers.

`fault_hook`, when set, is called with the target path before every write. The reliability
tests use it to make the Nth write fail with ENOSPC or EIO.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Callable

TEMP_MARKER = ".tmp-"

fault_hook: Callable[[Path], None] | None = None


def atomic_write(path: Path, write: Callable[[BinaryIO], None] | bytes) -> None:
    """Given a path and bytes (or a function writing to a binary file), replace path atomically.

    On any error the temp file is removed, the old file is left as it was, and the error
    is raised.
    """
    if fault_hook is not None:
        fault_hook(path)
    temp = path.with_name(f".{path.name}{TEMP_MARKER}{secrets.token_hex(4)}")
    try:
        with open(temp, "xb") as f:
            if isinstance(write, (bytes, bytearray)):
                f.write(write)
            else:
                write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write obj as indented JSON. ensure_ascii keeps names with undecodable bytes serialisable."""
    atomic_write(path, (json.dumps(obj, indent=2, ensure_ascii=True) + "\n").encode("ascii"))


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(directory: Path) -> list[Path]:
    """Remove temp files an interrupted write left in directory; return what was removed."""
    if not directory.is_dir():
        return []
    stale = [p for p in directory.iterdir() if p.name.startswith(".") and TEMP_MARKER in p.name and p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def disk_free_bytes(path: Path) -> int:
    """Free bytes on the file system holding path (or its nearest existing parent)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free
