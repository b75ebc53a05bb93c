"""sd_notify against real AF_UNIX datagram sockets (a path in tmp_path, and an abstract one)."""

import os
import socket

from kokoro_narrator.notify import Notifier, watchdog_interval


def receiver(address):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(2)
    return sock


def test_messages_arrive_on_a_real_datagram_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    with receiver(path) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        notifier = Notifier()
        assert notifier.ready() and notifier.status("Synthesizing a.txt: chunk 1/2 (0%)") and notifier.watchdog()
        assert notifier.stopping()
        received = [sock.recv(4096).decode() for _ in range(4)]
    assert received == ["READY=1\nSTATUS=Ready", "STATUS=Synthesizing a.txt: chunk 1/2 (0%)", "WATCHDOG=1",
                        "STOPPING=1\nSTATUS=Stopping"]


def test_an_abstract_socket_works(monkeypatch):
    name = f"kokoro-narrator-test-{os.getpid()}"
    with receiver("\0" + name) as sock:
        assert Notifier("@" + name).status("Idle; 3 books done")
        assert sock.recv(4096) == b"STATUS=Idle; 3 books done"


def test_without_notify_socket_nothing_is_sent_and_nothing_fails(monkeypatch, tmp_path):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not Notifier().enabled and not Notifier().ready()
    assert not Notifier(str(tmp_path / "absent.sock")).ready()  # a dead socket is logged, not raised


def test_the_watchdog_interval_is_half_of_what_systemd_asks(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_PID")
    for nonsense in ("0", "soon"):
        monkeypatch.setenv("WATCHDOG_USEC", nonsense)
        assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval() is None
