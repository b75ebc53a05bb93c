"""systemd's notify protocol: one datagram of `KEY=value` lines to $NOTIFY_SOCKET.

It is small enough to implement here (see sd_notify(3)); without $NOTIFY_SOCKET, as when run
by hand, every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Sends READY, STATUS, WATCHDOG and STOPPING to systemd. Never raises."""

    def __init__(self, socket_path: str | None = None):
        path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET", "")
        if path.startswith("@"):
            path = "\0" + path[1:]  # abstract namespace
        self.address = path or None
        self.warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send fields (`KEY=value`) as one datagram; return whether it went out. Never raises."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto("\n".join(fields).encode("utf-8", "replace"), self.address)
            return True
        except OSError as exc:
            if not self.warned:
                log.warning("cannot notify systemd at %r: %s", self.address, exc)
                self.warned = True
            return False

    def ready(self) -> bool:
        return self.send("READY=1", "STATUS=Ready")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text.replace(chr(10), ' ')}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=Stopping")


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
