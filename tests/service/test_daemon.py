"""The daemon's service loop, in-process: progress lines inside a chunk, superseded jobs, publishing failures end cleanly.

`Daemon` (service/daemon.py) runs here in the test's own process, with the tone provider and a
recording notifier, so that a test can look inside it: which status lines it sends, how often it
reads the store, what it does when a publish or its worker fails.

The same code runs as a real process, `kokoro_narrator.cli run` on the tiny Kokoro model, in
tests/e2e/test_daemon.py: signals, exit codes, the systemd socket and resuming after SIGKILL are
only seen there. This file is the fast one (no process, no model); that one proves the process.
"""

import dataclasses
import errno
import logging
import os
import threading
import time

from kokoro_narrator.core import atomic
from kokoro_narrator.service import daemon as service
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.runner import Progress
from kokoro_narrator.service.daemon import Daemon, describe_progress

from support.providers import ToneProvider
from support.daemons import RecordingNotifier
from support.jobs import add_book

ONE_CHUNK = "\n\n".join(f"Paragraph {n} of a book that is one chunk long." for n in range(40)).encode()




class SlowTone(ToneProvider):
    def synthesize_chunk(self, text, voice=None, speed=None, **options):
        for segment in super().synthesize_chunk(text, voice, speed, **options):
            time.sleep(0.02)
            yield segment


def make_daemon(config, provider=None, notifier=None) -> Daemon:
    daemon = Daemon(config, provider or ToneProvider(), notifier, space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    daemon.runner.retry_wait_seconds = 0.01
    return daemon


def test_describe_progress_says_percent_characters_chunk_and_estimating_until_the_speed_is_known():
    store_job = type("J", (), {"name": "a\nb.txt", "chunks": [object()] * 5})()
    text = describe_progress(Progress(store_job, 4400, 20000, 2, None), 3)
    assert text == "Synthesizing a\\nb.txt: 22% (4,400 of 20,000 chars, chunk 2/5), ETA estimating; 3 queued"
    assert describe_progress(Progress(store_job, 4400, 20000, 2, 2460), 0).endswith("ETA 41 min; 0 queued")


def test_the_queued_count_reads_the_store_once_per_job_not_at_every_status_line(config, monkeypatch):
    """Counting reads every job.json: at every 2 s status line it cost a long-lived store real CPU."""
    monkeypatch.setattr(service, "STATUS_SECONDS", 0.0)
    notifier = RecordingNotifier()
    daemon = make_daemon(config, SlowTone(), notifier)
    first, _ = add_book(daemon.store, "first.txt", ONE_CHUNK, config)
    add_book(daemon.store, "second.txt", ONE_CHUNK + b"\n\nMore.", config)
    reads = []
    unfinished = daemon.store.unfinished
    monkeypatch.setattr(daemon.store, "unfinished", lambda: reads.append(1) or unfinished())
    assert daemon.runner.run(first).status == "done"
    lines = [line for line in notifier.sent if line.startswith("STATUS=Synthesizing first.txt")]
    assert len(lines) >= 10 and all(line.endswith("; 1 queued") for line in lines)
    assert len(reads) == 1
    (config.paths.inbox / "third.txt").write_text("A third book.\n")
    daemon.ingest(config.paths.inbox / "third.txt")  # a book taken in is counted at the next line
    daemon._on_progress(Progress(first, 0, 1, 1, None))
    assert notifier.sent[-1].endswith("; 2 queued") and len(reads) == 2


def test_status_lines_and_the_log_move_inside_one_chunk(config, monkeypatch, caplog):
    monkeypatch.setattr(service, "STATUS_SECONDS", 0.0)
    monkeypatch.setattr(service, "LOG_SECONDS", 0.0)
    notifier = RecordingNotifier()
    daemon = make_daemon(config, SlowTone(), notifier)
    job, _ = add_book(daemon.store, "book.txt", ONE_CHUNK, config)
    assert len(job.chunks) == 1
    with caplog.at_level(logging.INFO, logger="kokoro_narrator.service.daemon"):
        assert daemon.runner.run(job).status == "done"
    percents = [int(s.split(": ")[1].split("%")[0]) for s in notifier.sent if s.startswith("STATUS=Synthesizing")]
    inside = sorted(set(p for p in percents if 0 < p < 100))
    assert len(inside) >= 10 and percents == sorted(percents)
    assert sum("Synthesizing book.txt:" in record.getMessage() for record in caplog.records) >= 10


def test_a_job_made_with_other_settings_is_superseded_not_failed(config):
    old_config = dataclasses.replace(config, jobs=dataclasses.replace(config.jobs, paragraph_pause=0.3))
    store = JobStore(config.paths.jobs)
    old, _ = add_book(store, "book.txt", ONE_CHUNK, old_config)
    daemon = make_daemon(config)
    daemon._supersede_changed_jobs()
    jobs = {job.id: job for job in store.all()}
    assert jobs[old.id].status == "superseded" and "superseded by job" in jobs[old.id].error
    (new,) = [job for job in jobs.values() if job.id != old.id]
    assert new.status == "queued" and new.settings["paragraph_pause"] == config.jobs.paragraph_pause

    # Back to the old settings: the superseded job is the book's job again, queued, not left superseded.
    back = make_daemon(old_config)
    back._supersede_changed_jobs()
    jobs = {job.id: str(job.status) for job in store.all()}
    assert jobs == {old.id: "queued", new.id: "superseded"}


def test_a_publish_that_keeps_failing_fails_the_job_and_dropping_the_book_again_publishes_it(config, monkeypatch):
    def outbox_refuses(path):
        if path.parent == config.paths.outbox:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    path = config.paths.inbox / "book.txt"
    path.write_bytes(ONE_CHUNK)
    monkeypatch.setattr(atomic, "fault_hook", outbox_refuses)
    job = daemon.runner.run(daemon.ingest(path))
    assert job.status == "failed" and "could not publish" in job.error and "Permission denied" in job.error
    assert daemon.store.load(daemon.store.folder(job)).status == "failed"  # never left `running`

    monkeypatch.setattr(atomic, "fault_hook", None)
    calls = sum(provider.calls.values())
    path.write_bytes(ONE_CHUNK)  # dropped again
    job = daemon.ingest(path)
    assert job.status == "queued"
    job = daemon.runner.run(job)
    assert job.status == "done" and (config.paths.outbox / "book.wav").exists()
    assert sum(provider.calls.values()) == calls


def test_the_daemon_serves_the_next_book_after_one_fails_to_publish(config, monkeypatch):
    def first_outbox_refuses(path):
        if path.parent == config.paths.outbox and path.name.startswith("first"):
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))

    monkeypatch.setattr(atomic, "fault_hook", first_outbox_refuses)
    daemon = make_daemon(config)
    for name in ("first.txt", "second.txt"):
        add_book(daemon.store, name, ONE_CHUNK.replace(b"book", name.encode()), config)
    thread = threading.Thread(target=daemon.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and {str(j.status) for j in daemon.store.all()} != {"failed", "done"}:
            time.sleep(0.1)
    finally:
        daemon.stop.set()
        daemon.wake.set()
        thread.join(timeout=60)
    statuses = {job.name: str(job.status) for job in daemon.store.all()}
    assert statuses == {"first.txt": "failed", "second.txt": "done"}


def test_a_job_whose_worker_fails_unexpectedly_is_left_interrupted_not_running(config, monkeypatch):
    daemon = make_daemon(config)
    job, _ = add_book(daemon.store, "book.txt", ONE_CHUNK, config)
    writes = []

    def second_job_json_write_fails(path):
        if path.name == "job.json":
            writes.append(path)
            if len(writes) == 1:  # the worker's first save: it leaves run() with the error
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))

    monkeypatch.setattr(atomic, "fault_hook", second_job_json_write_fails)
    thread = threading.Thread(target=daemon.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and job.id not in daemon.broken:
            time.sleep(0.05)
    finally:
        daemon.stop.set()
        daemon.wake.set()
        thread.join(timeout=60)
    stored = daemon.store.load(daemon.store.folder(job))
    assert stored.status == "interrupted" and "Input/output error" in stored.error


def test_the_idle_daemon_reads_the_store_only_when_a_job_changed_and_warns_once_about_a_broken_one(
        config, monkeypatch, caplog):
    """Idle, it looked for work every 2 s by parsing every job.json, and warned about a broken one each time."""
    notifier = RecordingNotifier()
    daemon = make_daemon(config, notifier=notifier)
    done, _ = add_book(daemon.store, "done.txt", ONE_CHUNK, config)
    assert daemon.runner.run(done).status == "done"
    broken = config.paths.jobs / "broken-00000000"
    broken.mkdir()
    (broken / "job.json").write_text("{not json", encoding="utf-8")
    listings = []
    unfinished = daemon.store.unfinished
    monkeypatch.setattr(daemon.store, "unfinished", lambda: listings.append(1) or unfinished())
    monkeypatch.setattr(daemon, "_idle_timeout", lambda: 0.02)

    def wait_for(predicate, what):
        deadline = time.monotonic() + 30
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    def idle_lines():
        return sum(line.startswith("STATUS=Idle; ") for line in notifier.sent)

    thread = threading.Thread(target=daemon.run)
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.jobs.store"):
        thread.start()
        try:
            wait_for(lambda: idle_lines() >= 2, "the daemon to be idle")
            at_start = len(listings)  # the start's check for jobs made with other settings, and the first look
            wait_for(lambda: idle_lines() >= 27, "25 idle rounds")
            assert len(listings) == at_start
            new, _ = add_book(daemon.store, "new.txt", ONE_CHUNK, config)  # no wake: the changed store is seen
            wait_for(lambda: daemon.store.load(daemon.store.folder(new)).status == "done", "new.txt")
            rounds = idle_lines()
            wait_for(lambda: idle_lines() >= rounds + 25, "25 more idle rounds")
        finally:
            daemon.stop.set()
            daemon.wake.set()
            thread.join(timeout=60)
    assert at_start + 1 <= len(listings) <= at_start + 5  # when new.txt came, and as it was made
    assert "STATUS=Idle; 1 book done" in notifier.sent and "STATUS=Idle; 2 books done" in notifier.sent
    warnings = [r.getMessage() for r in caplog.records if "broken-00000000" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith("skipping unreadable job broken-00000000")
