"""One daemon per job store: an exclusive `flock` on `<jobs dir>/daemon.lock`.

The daemon takes the lock before it loads the model and holds it for its whole life; the
kernel drops it when the process ends, however it ends (kill -9 included), so a stale lock
file never blocks a restart. The file holds the holder's PID, for messages only: who holds
the lock is what `flock` says, never what the file says.

Readers use the same lock: `holder()` tells "a daemon is running (PID n)" from "none is",
which is how `kokoro-narrator status` tells a running job from one that was interrupted, and how
the queue commands (steering.py) know whether to change `job.json` themselves or to leave a
request for the daemon. Whoever holds the lock is the only writer of `job.json`.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "daemon.lock"


class LockedError(RuntimeError):
    """Another process holds the job store's lock."""

    def __init__(self, jobs_dir: Path, pid: int | None):
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"another kokoro-narrator daemon ({who}) already serves the job store {jobs_dir}; "
                         f"stop it first (systemctl --user stop kokoro-tts, or kill {pid or 'it'}), "
                         f"or give this one another [paths] jobs folder")


class StoreLock:
    """An exclusive lock on a job store, held until `release()` or the end of the process."""

    def __init__(self, jobs_dir: Path, fd: int):
        self.jobs_dir = jobs_dir
        self.fd: int | None = fd

    @classmethod
    def acquire(cls, jobs_dir: Path, patience: float = 2.0, write_pid: bool = True) -> "StoreLock":
        """Given a jobs folder, take its lock (and write our PID); raise LockedError when another holds it.

        A reader (`status`, `cancel`) holds the lock for a few milliseconds at a time, so a
        busy lock is tried again for `patience` seconds before giving up.
        """
        jobs_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(jobs_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    pid = _read_pid(fd)
                    os.close(fd)
                    raise LockedError(jobs_dir, pid) from None
                time.sleep(0.05)
        if write_pid:  # a queue command holds it for a moment and leaves the daemon's PID alone
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(jobs_dir, fd)

    def release(self) -> None:
        """Let go of the lock (the PID is left in the file; it means nothing without the lock)."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "StoreLock":
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def holder(jobs_dir: Path) -> int | None:
    """Given a jobs folder, return the PID of the daemon holding its lock, or None when no daemon does.

    A holder whose PID cannot be read is reported as 0 (still "running").
    """
    try:
        fd = os.open(jobs_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            return _read_pid(fd) or 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "x")
    except (OSError, ValueError):
        return None
