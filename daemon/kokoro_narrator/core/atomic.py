"""The one way durable files are written: temp file, fsync, rename, fsync the directory.

A reader (the user, the watcher, `kokoro-narrator status`, a restarted daemon) never sees a
half-written `job.json`, chunk WAV or outbox file: either the old file or the new one.
Temp files are hidden (`.<name>.tmp-<random>`), so watchers ignore them and a restart can
recognise and remove leftovers with `remove_stale_temps`.

Fault injection: `fault_hook`, when set, is called with the target path at the start of
every `atomic_write`, before anything touches the disk. Whatever it raises is what the
write raises. The reliability tests set it (with monkeypatch) to a function that raises
`OSError(errno.ENOSPC, ...)` or `OSError(errno.EIO, ...)` on the Nth call.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

log = logging.getLogger(__name__)

TEMP_MARKER = ".tmp-"
"""Every temp file's name is `.<target name>.tmp-<16 hex digits>`."""

NAME_MAX = 255
"""Longest file name (in bytes) most Linux file systems allow."""

fault_hook: Callable[[Path], None] | None = None
"""Test seam: called with the target path before every write; raise to fail that write."""


def atomic_write(path: Path, write: Callable[[BinaryIO], None] | bytes) -> None:
    """Given a path and bytes (or a function writing to an open binary file), replace path atomically.

    On any error (including one raised by `write` or by `fault_hook`) the temp file is
    removed, the old file is left as it was, and the error is raised.
    """
    if fault_hook is not None:
        fault_hook(path)
    temp = path.with_name(temp_name(path.name))
    f = open(temp, "xb")  # outside the try: if creating it fails there is no temp of ours to remove
    try:
        with f:
            if isinstance(write, (bytes, bytearray, memoryview)):
                f.write(write)
            else:
                write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(temp, path)
    except BaseException:  # KeyboardInterrupt too: never leave a temp behind
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)  # the rename itself survives a power cut


def temp_name(name: str) -> str:
    """Return the hidden temp file name for a target named name, never longer than NAME_MAX bytes.

    A long target name is shortened in the temp name only (the target keeps its name), so
    a legal target never fails with ENAMETOOLONG because of its temp file.
    """
    suffix = f"{TEMP_MARKER}{secrets.token_hex(8)}"
    return f".{shorten_to_bytes(name, NAME_MAX - 1 - len(suffix))}{suffix}"  # 1 for the leading dot


def shorten_to_bytes(name: str, limit: int) -> str:
    """Given a file name part, return its longest prefix whose encoded form fits in limit bytes.

    It cuts between characters, never inside a multi-byte one.
    """
    size = 0
    for position, ch in enumerate(name):
        size += len(os.fsencode(ch))
        if size > limit:
            return name[:position]
    return name


def numbered_names(folder: Path, stem: str, suffix: str) -> Iterator[Path]:
    """`stem + suffix` in folder, then `stem (2) + suffix` up to `stem (9999) + suffix`: the names a
    file takes in turn when the plainer ones are taken (the caller says what taken means)."""
    for number in range(1, 10_000):
        yield folder / (f"{stem}{suffix}" if number == 1 else f"{stem} ({number}){suffix}")


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write obj as indented JSON plus a newline, atomically.

    ensure_ascii=True writes every non-ASCII character as a \\u escape, so a str holding
    lone surrogates (a file name whose bytes were not UTF-8, decoded with surrogateescape)
    still serialises, and `json.loads` gives the same str back.
    """
    text = json.dumps(obj, indent=2, ensure_ascii=True) + "\n"
    atomic_write(path, text.encode("ascii"))


def fsync_directory(directory: Path) -> None:
    """Flush directory's entries (a rename into it) to disk."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temp(path: Path) -> bool:
    """Return whether path is named like a temp file of `atomic_write`."""
    return path.name.startswith(".") and TEMP_MARKER in path.name


def remove_stale_temps(directory: Path) -> list[Path]:
    """Given a directory, remove the temp files that interrupted writes left there; return them.

    Only call this when no write into directory can be in progress (at start-up, or by
    the one thread that owns the directory). A missing directory has nothing to remove.
    """
    if not directory.is_dir():
        return []
    stale = sorted(p for p in directory.iterdir() if is_temp(p) and p.is_file() and not p.is_symlink())
    for path in stale:
        path.unlink(missing_ok=True)
        log.info("removed a temp file left by an interrupted write: %s", path)
    return stale


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
"""The errnos of a full disk (or quota): wait for space, never fail the book."""


def disk_free_bytes(path: Path) -> int:
    """Return the free bytes on the file system holding path, or its nearest existing parent."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def wait_for_space(where: Path, needed: int, margin: int, wait: Callable[[str], bool | None]) -> bool:
    """Block until `where` has needed + margin bytes free; return False when wait gave up.

    wait(reason) is called between checks: it sleeps (and may mark a job waiting) and returns
    True to give up (the daemon is stopping); it may also raise to the same end.
    """
    while disk_free_bytes(where) < needed + margin:
        if wait(f"not enough free space in {where}: need {(needed + margin) // 2**20} MiB"):
            return False
    return True
