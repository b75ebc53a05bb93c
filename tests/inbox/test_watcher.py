"""The inbox watcher on the real file system with a real watchdog observer."""

import logging
import os
import queue
import threading
import time
from pathlib import Path

import pytest

from kokoro_narrator.core.logs import shown
from kokoro_narrator.inbox.watcher import InboxWatcher, RefusedFile, is_candidate_name, read_regular_file

SETTLE = 0.4


@pytest.fixture
def inbox(tmp_path):
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def watch(inbox):
    reported: queue.Queue[Path] = queue.Queue()
    before = set(threading.enumerate())
    watcher = InboxWatcher(inbox, reported.put, settle_seconds=SETTLE, rescan_seconds=3600, poll_seconds=0.05)
    yield watcher, reported
    watcher.stop()
    assert set(threading.enumerate()) <= before, "the watcher leaked a thread"


def drain(reported: queue.Queue, wait: float) -> list[str]:
    names, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            names.append(reported.get(timeout=0.05).name)
        except queue.Empty:
            pass
    return names


@pytest.mark.parametrize("name, ok", [
    ("book.txt", True), ("Book.MD", True), ("#1 Bestseller.txt", True), ("~tilde.txt", True),
    (".hidden.txt", False), ("book.txt~", False), ("book.txt.swp", False), ("book.txt.swx", False),
    ("book.txt.part", False), ("book.txt.partial", False), ("book.txt.crdownload", False), ("book.txt.tmp", False),
    ("book.txt.download", False), ("#book.txt#", False), (".#book.txt", False), (".~lock.book.txt#", False),
    ("~$book.txt", False), ("book.pdf", True), ("Book.DOCX", True), ("book.fb2.zip", True), ("book.htm", True),
    ("book.azw3", True), ("book.zip", False), ("book.doc", False), ("book", False), (".txt", False),
])
def test_only_finished_book_names_are_candidates(name, ok):
    assert is_candidate_name(name) is ok


def test_a_file_already_there_at_start_is_reported_once(inbox, watch):
    watcher, reported = watch
    (inbox / "old.txt").write_text("Already here.")
    watcher.start()
    assert drain(reported, SETTLE * 4) == ["old.txt"]


def test_a_slow_copy_is_not_reported_until_it_stops_changing(inbox, watch):
    watcher, reported = watch
    watcher.start()
    with open(inbox / "slow.txt", "w") as f:
        for _ in range(8):  # 0.8 s of copying, twice the settle time, in steps of a quarter of it
            f.write("more text " * 100)
            f.flush()
            time.sleep(SETTLE / 4)  # a quarter, not a half: a loaded CI machine may oversleep by 0.1 s or more
            assert reported.empty(), "reported before the copy finished"
    assert drain(reported, SETTLE * 4) == ["slow.txt"]


def test_temp_then_rename_is_reported_once_under_its_final_name(inbox, watch):
    watcher, reported = watch
    watcher.start()
    temp = inbox / ".book.txt.part"
    temp.write_text("A whole book.")
    time.sleep(SETTLE * 2)
    temp.rename(inbox / "book.txt")
    assert drain(reported, SETTLE * 4) == ["book.txt"]


def test_ignored_and_refused_files_never_reach_the_queue(inbox, watch, tmp_path, caplog):
    watcher, reported = watch
    outside = tmp_path / "outside.txt"
    outside.write_text("Not in the inbox.")
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.inbox.watcher"):
        watcher.start()
        for name in (".hidden.txt", "notes.txt~", "x.txt.swp", "y.txt.part", "z.txt.crdownload", "book.doc"):
            (inbox / name).write_text("ignored")
        (inbox / "link.txt").symlink_to(outside)
        (inbox / "loop.txt").symlink_to(inbox / "loop.txt")
        os.mkfifo(inbox / "book.txt")
        (inbox / "x.txt").mkdir()
        assert drain(reported, SETTLE * 4) == []
        (inbox / "real.txt").write_text("A real book, after all that.")
        assert drain(reported, SETTLE * 4) == ["real.txt"]
    refused = caplog.text
    for name in ("link.txt", "loop.txt", "book.txt", "x.txt"):
        assert f"refused {name}" in refused


def test_a_rescan_finds_what_the_events_missed(inbox, watch):
    watcher, reported = watch
    watcher.start()
    watcher.observer.unschedule_all()  # as if inotify overflowed: no more events
    (inbox / "missed.txt").write_text("No event for me.")
    assert drain(reported, SETTLE * 3) == []
    watcher.rescan()
    assert drain(reported, SETTLE * 4) == ["missed.txt"]


def test_a_changed_file_is_reported_again(inbox, watch):
    watcher, reported = watch
    (inbox / "book.txt").write_text("First version.")
    watcher.start()
    assert drain(reported, SETTLE * 4) == ["book.txt"]
    (inbox / "book.txt").write_text("Second, longer version.")
    assert drain(reported, SETTLE * 4) == ["book.txt"]


def test_a_failing_consumer_does_not_stop_the_watching(inbox, watch, caplog):
    watcher, reported = watch
    failed = threading.Event()

    def flaky(path: Path) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("consumer failed")
        reported.put(path)

    watcher.on_ready = flaky
    watcher.start()
    with caplog.at_level(logging.ERROR, logger="kokoro_narrator.inbox.watcher"):
        (inbox / "first.txt").write_text("Its first hand-over fails.")
        assert failed.wait(SETTLE * 4)
        time.sleep(0.1)  # the checker logs after the callback raised
    assert "consumer failed" in caplog.text
    (inbox / "second.txt").write_text("Still watched.")
    assert drain(reported, SETTLE * 4) == ["second.txt"]
    watcher.rescan()  # the failed book is handed over again, though unchanged
    assert drain(reported, SETTLE * 4) == ["first.txt"]


def test_a_missing_inbox_fails_the_start_without_leaking_a_thread(tmp_path):
    before = set(threading.enumerate())
    watcher = InboxWatcher(tmp_path / "absent", lambda path: None)
    with pytest.raises(OSError):
        watcher.start()
    watcher.stop()
    assert set(threading.enumerate()) <= before


def test_reading_refuses_what_is_not_a_regular_file(tmp_path):
    (tmp_path / "real.txt").write_text("text")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "dir.txt").mkdir()
    assert read_regular_file(tmp_path / "real.txt", 100)[0] == b"text"
    for name, reason in [("link.txt", "symbolic link"), ("fifo.txt", "not a regular file"), ("dir.txt", "directory")]:
        with pytest.raises(RefusedFile, match=reason):
            read_regular_file(tmp_path / name, 100)  # the FIFO must not hang
    with pytest.raises(RefusedFile, match="over the 2-byte limit"):
        read_regular_file(tmp_path / "real.txt", 2)


def test_reading_refuses_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("no")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the kernel's EACCES the only stand-in
        real_open = os.open

        def denying_open(target, *args, **kwargs):
            if Path(target) == path:
                raise PermissionError(13, "Permission denied", str(target))
            return real_open(target, *args, **kwargs)

        monkeypatch.setattr(os, "open", denying_open)
    with pytest.raises(RefusedFile, match="permission denied"):
        read_regular_file(path, 100)


def test_a_book_in_a_voice_folder_is_reported_and_done_and_failed_are_never_watched(inbox, watch):
    watcher, reported = watch
    for folder in ("bf_emma", "done", "failed", ".hidden"):
        (inbox / folder).mkdir()
        (inbox / folder / f"in-{folder.strip('.')}.txt").write_text("A book.")
    watcher.start()
    assert drain(reported, SETTLE * 4) == ["in-bf_emma.txt"]
    (inbox / "done" / "finished.txt").write_text("Moved here after its job ended.")
    (inbox / "jf_alpha").mkdir()
    (inbox / "jf_alpha" / "new.txt").write_text("A book in a folder made while watching.")
    assert drain(reported, SETTLE * 4) == ["new.txt"]


def test_a_sidecar_written_after_its_book_delays_it_and_a_changed_sidecar_reports_it_again(inbox, watch):
    watcher, reported = watch
    with_sidecar: list[bool] = []
    watcher.on_ready = lambda path: (with_sidecar.append(path.with_suffix(".toml").exists()), reported.put(path))
    watcher.start()
    (inbox / "emma.txt").write_text("The book.")
    time.sleep(SETTLE / 4)
    (inbox / "emma.toml").write_text('voice = "bf_emma"\n')  # copied just after the book
    assert drain(reported, SETTLE * 4) == ["emma.txt"]
    assert with_sidecar == [True], "the book was reported before its sidecar came"
    (inbox / "emma.toml").write_text('voice = "bf_emma"\nspeed = 1.2\n')
    assert drain(reported, SETTLE * 4) == ["emma.txt"]
    (inbox / "emma.lexicon.toml").write_text('Emma = "EM-uh"\n')
    assert drain(reported, SETTLE * 4) == ["emma.txt"]


@pytest.mark.parametrize("name, printed", [
    ("plain name.txt", "plain name.txt"), ("two\nlines.txt", "two\\nlines.txt"), ("tab\there.txt", "tab\\there.txt"),
    (os.fsdecode(b"caf\xe9.txt"), "caf\\udce9.txt"), ("über.txt", "über.txt"),
])
def test_names_are_escaped_for_one_log_line(name, printed):
    assert shown(name) == printed
