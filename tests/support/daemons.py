"""For tests that run the real daemon as a process: a stand-in for systemd's notify socket, and a wait."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from kokoro_narrator.service import Notifier


class NotifySocket:
    """A real AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path: Path, read: bool = True):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self.times: list[float] = []
        """When each message arrived (time.monotonic)."""
        self.closed = False
        self.thread = threading.Thread(target=self._receive, daemon=True)
        if read:  # unread, it is a service manager that has stopped reading: the queue fills up
            self.thread.start()

    def _receive(self):
        while not self.closed:
            try:
                message = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.times.append(time.monotonic())
            self.messages.append(message)

    def close(self):
        self.closed = True
        if self.thread.is_alive():
            self.thread.join()
        self.sock.close()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Return once predicate() is true; fail the test, naming what, after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RecordingNotifier(Notifier):
    """A notifier that keeps what it would send to systemd (STATUS= lines and the rest), in order."""

    def __init__(self):
        super().__init__(socket_path="")
        self.sent: list[str] = []

    def send(self, *fields: str) -> bool:
        self.sent.extend(fields)
        return True
