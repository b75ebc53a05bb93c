"""systemd's notify protocol: one datagram of `KEY=value` lines to $NOTIFY_SOCKET.

It is small enough to implement here (see sd_notify(3)); without $NOTIFY_SOCKET, as when run
by hand, every call is a no-op.

Nothing here may block the daemon. The kernel queues only `net.unix.max_dgram_qlen` (10)
datagrams for a reader that is slow (a busy PID 1, a container's notify proxy): a blocking
`sendto` would then wait for good, in the worker, deaf to SIGTERM. So every send is
`MSG_DONTWAIT`:
- a STATUS= that cannot go now is kept (only the newest) and sent at the next chance
  (`flush`, from the daemon's main thread, or the next send);
- READY=1 and STOPPING=1 are retried for at most `RETRY_SECONDS` and `STOPPING_RETRY_SECONDS`
  (`send_within`);
- a WATCHDOG=1 that cannot go is dropped: the next ping follows within seconds.
A socket that is gone or refuses (ENOENT, ECONNREFUSED) is logged once for the daemon's life.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
"""Longest time READY=1 is retried against a full socket (without it systemd thinks the start failed)."""
STOPPING_RETRY_SECONDS = 1.0
"""Longest time STOPPING=1 is retried: systemd knows of the stop anyway, and the stop must be quick."""
FULL = (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS)


class Notifier:
    """Sends READY, STATUS, WATCHDOG and STOPPING to systemd. Never raises, never blocks."""

    def __init__(self, socket_path: str | None = None):
        path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET", "")
        if path.startswith("@"):
            path = "\0" + path[1:]  # abstract namespace
        self.address = path or None
        self.warned: set[str] = set()
        self.pending_status: str | None = None
        """The newest STATUS= text that could not be sent yet."""
        self.lock = threading.Lock()  # the worker sends STATUS=, the main thread the rest
        self.sock: socket.socket | None = None
        self.last_errno: int | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send fields (`KEY=value`) as one datagram, without waiting; return whether it went out."""
        if self.address is None:
            return False
        with self.lock:
            return self._send_now(fields)

    def _send_now(self, fields: tuple[str, ...]) -> bool:
        try:
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self.sock.sendto("\n".join(fields).encode("utf-8", "replace"), socket.MSG_DONTWAIT, self.address)
            self.last_errno = None
            return True
        except OSError as exc:
            self.last_errno = exc.errno
            self._warn_once(exc)
            return False

    def _warn_once(self, exc: OSError) -> None:
        kind = "full" if exc.errno in FULL else "broken"
        if kind in self.warned:
            return
        self.warned.add(kind)
        if kind == "full":
            log.warning("systemd's notify socket %r is not being read (%s); status lines are dropped until it is, "
                        "the newest is kept", self.address, exc.strerror or exc)
        else:
            log.warning("cannot notify systemd at %r: %s; not said again", self.address, exc)

    def send_within(self, seconds: float, *fields: str) -> bool:
        """Send fields, retrying a full socket for at most `seconds`; return whether they went out."""
        deadline = time.monotonic() + seconds
        while True:
            if self.send(*fields):
                return True
            if time.monotonic() >= deadline or self.last_errno not in FULL:
                return False  # a broken socket does not mend in seconds
            time.sleep(0.05)

    def flush(self) -> bool:
        """Send the status kept back by a full socket, if any; return whether nothing is left pending."""
        text = self.pending_status
        if text is None:
            return True
        if not self.send(f"STATUS={text}"):
            return False
        with self.lock:
            if self.pending_status == text:  # not replaced meanwhile by a newer one
                self.pending_status = None
        return True

    def ready(self) -> bool:
        return self.send_within(RETRY_SECONDS, "READY=1", "STATUS=Ready")

    def status(self, text: str) -> bool:
        """Send STATUS=text now, or keep it (replacing any older one) for `flush`."""
        text = text.replace(chr(10), " ")
        self.pending_status = None
        if self.send(f"STATUS={text}"):
            return True
        if self.enabled:
            self.pending_status = text
        return False

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        self.pending_status = None  # "Stopping" replaces it
        return self.send_within(STOPPING_RETRY_SECONDS, "STOPPING=1", "STATUS=Stopping")

    def close(self) -> None:
        with self.lock:
            if self.sock is not None:
                self.sock.close()
                self.sock = None


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings (half of WatchdogSec), or None when systemd wants none."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        seconds = int(usec) / 1e6
    except ValueError:
        return None
    return seconds / 2 if seconds > 0 else None
