"""Reliability, across every stage: the bad-input matrix, injected write faults, many books at once.

What it proves: whatever is dropped in the inbox (unreadable or odd encodings, what is not a
regular file, awkward or very long names, the same book twice, 200 books at once, a book
deleted mid-job) and whatever write fails (a full disk or an I/O error at each write in turn),
the daemon goes on, every job.json stays readable, no partial output shows, and each book
ends done or failed with its reason; a full disk only makes the job wait.

These run the daemon's own ingest and job runner in-process with the tone provider, so
that every case is fast; the crash loop with the real daemon and tiny model is in
test_crash_loop.py (markers `slow` and `integration`).
"""

import codecs
import dataclasses
import errno
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import soundfile as sf

from kokoro_narrator.core import atomic
from kokoro_narrator.core.config import JobsConfig
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.runner import JobRunner
from kokoro_narrator.jobs.store import requeue
from kokoro_narrator.service.daemon import Daemon

from support.providers import ToneProvider
from support.jobs import add_book

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300}, watch={"settle_seconds": 0.3, "rescan_seconds": 2})

BOOK = ("CHAPTER I\n\n" + "A plain sentence for the first chapter, spoken as a tone.\n\n" * 6
        + "CHAPTER II\n\n" + "Another sentence, now in the second chapter of the book.\n\n" * 6)


def make_daemon(config, provider=None) -> Daemon:
    daemon = Daemon(config, provider or ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    daemon.runner.retry_wait_seconds = 0.01  # a failed publish is retried at once (the default waits 5 s)
    return daemon


def drop(config, name: str | bytes, data: bytes) -> Path:
    folder = os.fsencode(config.paths.inbox)
    raw = os.path.join(folder, name if isinstance(name, bytes) else name.encode())
    with open(raw, "wb") as f:
        f.write(data)
    return Path(os.fsdecode(raw))


def process(daemon: Daemon, path: Path):
    """What the daemon does with one reported file: ingest, then run its job."""
    job = daemon.ingest(path)
    if job is not None and job.status not in ("done", "failed"):
        job = daemon.runner.run(job)
    return job


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# ----------------------------------------------------------------------------- bad-input matrix

REFUSED_TEXT = {
    "empty": (b"", "empty"),
    "whitespace": (b"  \n\t\r\n  ", "empty"),
    "nul-bytes": (b"data\x00\x00\x01binary", "NUL bytes"),
    "front-matter-only.md": (b"---\ntitle: Only this\n---\n", "no readable text"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_TEXT))
def test_unreadable_text_fails_its_job_with_a_clear_error_and_the_daemon_goes_on(config, case, caplog):
    data, message = REFUSED_TEXT[case]
    name = case if case.endswith(".md") else f"{case}.txt"
    daemon = make_daemon(config)
    path = drop(config, name, data)
    with caplog.at_level(logging.ERROR):
        job = process(daemon, path)
    assert job.status == "failed" and message in job.error
    assert message in caplog.text
    assert json.loads((config.paths.jobs / job.id / "job.json").read_text())["error"] == job.error
    assert (config.paths.inbox / "failed" / name).read_bytes() == data  # the input is kept, in inbox/failed/
    assert process(daemon, drop(config, "next.txt", BOOK.encode())).status == "done"


ACCEPTED_TEXT = {
    "invalid-utf8": (BOOK.encode() + b"caf\xe9 \x81", "latin-1"),
    "utf16-bom": (BOOK.encode("utf-16"), "utf-16"),
    "cp1252": (BOOK.encode() + b"\x93quoted\x94", "cp1252"),
    "crlf": (BOOK.replace("\n", "\r\n").encode(), "utf-8"),
    "utf8-bom": (codecs.BOM_UTF8 + BOOK.encode(), "utf-8-sig"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED_TEXT))
def test_other_encodings_and_newlines_are_read(config, case):
    data, encoding = ACCEPTED_TEXT[case]
    daemon = make_daemon(config)
    path = drop(config, f"{case}.txt", data)
    before = snapshot(path)
    job = process(daemon, path)
    assert job.status == "done" and job.source["encoding"] == encoding
    assert sf.info(config.paths.outbox / f"{case}.wav").frames > 0
    assert snapshot(path) == before


# One 200 KB line of one letter is not speech: tests/inbox/test_ingest.py.


def test_a_20mb_book_is_taken_in_and_chunked_within_the_limit(config):
    config = dataclasses.replace(config, jobs=JobsConfig(max_chunk_chars=20000))
    daemon = make_daemon(config)
    paragraph = ("It was a long book, and every paragraph of it had to be read aloud. " * 8 + "\n\n").encode()
    data = paragraph * (20_000_000 // len(paragraph))
    started = time.monotonic()
    job = daemon.ingest(drop(config, "big.txt", data))
    assert job.status == "queued" and len(job.chunks) > 900
    assert all(chunk.chars <= 20000 for chunk in job.chunks)
    assert (config.paths.jobs / job.id / "source.txt").stat().st_size == len(data)
    assert time.monotonic() - started < 120  # sanity bound, not a benchmark


@pytest.mark.parametrize("kind", ["symlink-outside", "symlink-loop", "fifo", "directory"])
def test_what_is_not_a_regular_file_is_refused_and_the_daemon_goes_on(config, tmp_path, kind, caplog):
    daemon = make_daemon(config)
    target = config.paths.inbox / "book.txt"
    if kind == "symlink-outside":
        (tmp_path / "outside.txt").write_text(BOOK)
        target.symlink_to(tmp_path / "outside.txt")
    elif kind == "symlink-loop":
        target.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with caplog.at_level(logging.WARNING):
        assert daemon.ingest(target) is None
    assert "refused book.txt" in caplog.text
    assert list(config.paths.jobs.iterdir()) == []
    assert process(daemon, drop(config, "next.txt", BOOK.encode())).status == "done"


@pytest.mark.parametrize("name", ["my book.txt", "Ünïcødé 書.txt", "new\nline.txt", b"caf\xe9-latin1.txt"])
def test_awkward_file_names_work_and_job_json_serialises(config, name):
    daemon = make_daemon(config)
    path = drop(config, name, BOOK.encode())
    job = process(daemon, path)
    assert job.status == "done"
    stored = JobStore(config.paths.jobs).load(config.paths.jobs / job.id)
    assert stored.name == path.name
    output = Path(job.output["wav"])
    assert output.parent == config.paths.outbox and output.exists() and "\n" not in output.name
    assert json.loads(output.with_suffix(".json").read_text())["source"]["name"] == path.name


def test_the_same_book_twice_is_one_job_and_is_not_redone(config):
    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    first = process(daemon, drop(config, "book.txt", BOOK.encode()))
    calls = sum(provider.calls.values())
    again = process(daemon, drop(config, "book.txt", BOOK.encode()))
    assert again.id == first.id and sum(provider.calls.values()) == calls
    assert len(list(config.paths.jobs.iterdir())) == 1


def test_the_same_name_with_new_content_is_a_new_book_beside_the_old(config):
    daemon = make_daemon(config)
    first = process(daemon, drop(config, "book.txt", BOOK.encode()))
    second = process(daemon, drop(config, "book.txt", (BOOK + "An added last line.").encode()))
    assert first.id != second.id and second.status == "done"
    assert {p.name for p in config.paths.outbox.glob("*.wav")} == {"book.wav", "book (2).wav"}


def test_a_second_book_with_a_name_of_254_bytes_gets_a_numbered_output_that_fits(config):
    daemon = make_daemon(config)
    name = "é" * 125 + ".txt"  # the longest name a file system takes, nearly
    first = process(daemon, drop(config, name, BOOK.encode()))
    second = process(daemon, drop(config, name, (BOOK + "An added last line.").encode()))
    assert first.status == second.status == "done"
    outputs = sorted(config.paths.outbox.glob("*.wav"), key=lambda p: len(p.name))
    assert len(outputs) == 2 and outputs[1].name.endswith(" (2).wav")
    assert all(len(os.fsencode(p.with_suffix(".json").name)) <= 255 for p in outputs)


def test_a_book_deleted_from_the_inbox_mid_job_still_completes(config):
    daemon = make_daemon(config)
    path = drop(config, "book.txt", BOOK.encode())
    job = daemon.ingest(path)

    def delete_after_first_chunk(progress):
        if progress.done == 1 and path.exists():
            path.unlink()

    daemon.runner.on_progress = delete_after_first_chunk
    job = daemon.runner.run(job)
    assert not path.exists() and job.status == "done"
    assert (config.paths.outbox / "book.wav").exists()


# ----------------------------------------------------------------------------- fault injection


def reference_output(make_config, root) -> bytes:
    """The book made once, without faults, in root (with the config the test's own has)."""
    config = make_config(root)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK.encode(), config)
    JobRunner(store, config, ToneProvider(), space_margin=0).run(job)
    return (config.paths.outbox / "book.wav").read_bytes()


def clear(config) -> None:
    for folder in (config.paths.jobs, config.paths.outbox):
        shutil.rmtree(folder)
        folder.mkdir()


def fail_write(number: int, error: int, persistent: bool):
    calls = []

    def hook(path):
        calls.append(path)
        if len(calls) == number or (persistent and len(calls) > number):
            raise OSError(error, os.strerror(error), str(path))

    hook.calls = calls
    return hook


def assert_consistent(config) -> None:
    """Every job.json parses; no temp file or partial output is visible."""
    for job_file in config.paths.jobs.glob("*/job.json"):
        data = json.loads(job_file.read_text())
        assert data["schema_version"] == 1 and data["status"] in ("queued", "running", "waiting", "interrupted", "done", "failed")
    assert not list(config.paths.outbox.glob(".*"))
    for wav in config.paths.outbox.glob("*.wav"):
        assert sf.info(wav).frames > 0


def test_a_full_disk_at_any_write_makes_the_job_wait_then_complete(config, make_config, tmp_path, monkeypatch):
    expected = reference_output(make_config, tmp_path / "reference")
    number = 1
    while True:
        clear(config)
        hook = fail_write(number, errno.ENOSPC, persistent=False)
        monkeypatch.setattr(atomic, "fault_hook", hook)
        daemon = make_daemon(config)
        path = config.paths.inbox / "book.txt"
        if not path.exists():
            drop(config, "book.txt", BOOK.encode())
        job = daemon.ingest(path)  # a full disk while taking the book in waits too
        job = daemon.runner.run(job)
        assert_consistent(config)
        assert job.status == "done", f"write {number}: {job.status} {job.error}"
        assert (config.paths.outbox / "book.wav").read_bytes() == expected
        if len(hook.calls) < number:  # the fault was never reached: every write has been tried
            break
        number += 1
    assert number > 10


def test_an_io_error_from_any_write_on_fails_cleanly_then_completes_once_gone(config, make_config, tmp_path, monkeypatch):
    expected = reference_output(make_config, tmp_path / "reference")
    number = 1
    while True:
        clear(config)
        path = config.paths.inbox / "book.txt"
        if not path.exists():
            drop(config, "book.txt", BOOK.encode())
        hook = fail_write(number, errno.EIO, persistent=True)
        monkeypatch.setattr(atomic, "fault_hook", hook)
        daemon = make_daemon(config)
        try:
            job = daemon.ingest(path)
            job = daemon.runner.run(job)
        except OSError as exc:
            assert exc.errno == errno.EIO
        assert_consistent(config)
        reached = len(hook.calls) >= number
        monkeypatch.setattr(atomic, "fault_hook", None)  # the fault is gone
        daemon = make_daemon(config)
        job = daemon.ingest(path)  # the user drops it again, or the daemon restarts
        for unfinished in daemon.store.unfinished():
            job = daemon.runner.run(unfinished)
        job = daemon.store.load(daemon.store.folder(job))
        if job.status == "failed":
            assert "I/O error" in job.error or "Input/output error" in job.error
            job = daemon.runner.run(requeue(daemon.store, job))
        assert job.status == "done", f"write {number}: {job.status} {job.error}"
        assert (config.paths.outbox / "book.wav").read_bytes() == expected
        if not reached:
            break
        number += 1
    assert number > 10


# ----------------------------------------------------------------------------- load


def test_200_books_dropped_at_once_each_give_exactly_one_output(config):
    daemon = make_daemon(config, ToneProvider(seconds_per_char=0.0002))
    for number in range(200):
        drop(config, f"book-{number:03d}.txt", f"Book number {number}. It is short.\n".encode())
    runner = threading.Thread(target=daemon.run)
    runner.start()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = daemon.store.all()
            if len(jobs) == 200 and all(job.status == "done" for job in jobs):
                break
            time.sleep(0.5)
    finally:
        daemon.stop.set()
        daemon.wake.set()
        runner.join(timeout=60)
    outputs = sorted(p.name for p in config.paths.outbox.glob("*.wav"))
    assert outputs == [f"book-{number:03d}.wav" for number in range(200)]
    assert len(daemon.store.all()) == 200
