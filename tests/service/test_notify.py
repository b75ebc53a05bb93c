"""sd_notify against real AF_UNIX datagram sockets (a path in tmp_path, and an abstract one)."""

import os
import socket

from kokoro_narrator.service.notify import Notifier, watchdog_interval


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


def test_a_socket_nobody_reads_never_blocks_and_the_newest_status_is_sent_once_it_drains(tmp_path, caplog):
    """The kernel queues ~10 datagrams (net.unix.max_dgram_qlen) for a reader that does not read;
    a blocking sendto then waited for ever, in the worker, deaf to SIGTERM."""
    import time

    path = str(tmp_path / "notify.sock")
    with receiver(path) as sock:
        notifier = Notifier(path)
        started = time.monotonic()
        sent = [notifier.status(f"Synthesizing a.txt: chunk {n}/500") for n in range(500)]
        assert time.monotonic() - started < 5
        assert sent[0] and not sent[-1]  # the queue filled up, and nothing waited for it
        assert notifier.pending_status == "Synthesizing a.txt: chunk 499/500"
        assert not notifier.flush()  # still full: kept
        assert caplog.text.count("is not being read") == 1  # said once, not per line
        queued = []
        sock.setblocking(False)
        while True:
            try:
                queued.append(sock.recv(4096).decode())
            except BlockingIOError:
                break
        sock.settimeout(2)
        assert queued == [f"STATUS=Synthesizing a.txt: chunk {n}/500" for n in range(len(queued))]
        assert notifier.flush() and notifier.pending_status is None
        assert sock.recv(4096) == b"STATUS=Synthesizing a.txt: chunk 499/500"  # the newest, not the rest


def test_ready_and_stopping_wait_a_bounded_time_for_a_full_socket(tmp_path, monkeypatch):
    import time

    from kokoro_narrator.service import notify

    monkeypatch.setattr(notify, "RETRY_SECONDS", 0.5)
    monkeypatch.setattr(notify, "STOPPING_RETRY_SECONDS", 0.5)
    path = str(tmp_path / "notify.sock")
    with receiver(path) as sock:
        notifier = Notifier(path)
        while notifier.watchdog():
            pass
        started = time.monotonic()
        assert not notifier.stopping()
        assert 0.4 < time.monotonic() - started < 3
        sock.recv(4096)  # room for one
        assert notifier.ready()


def test_a_socket_that_went_away_is_logged_once(tmp_path, caplog):
    notifier = Notifier(str(tmp_path / "gone.sock"))
    for _ in range(20):
        assert not notifier.status("Idle")
        assert not notifier.watchdog()
    assert caplog.text.count("cannot notify systemd") == 1
    assert not notifier.stopping()  # a broken socket is not retried for seconds
