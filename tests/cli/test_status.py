"""`kokoro-narrator status`: running or interrupted (by the lock), progress in characters, the queue, a closed pipe."""

import os
import sys

import pytest

from kokoro_narrator.jobs.store import JobStatus, JobStore
from kokoro_narrator.jobs.lock import StoreLock
from kokoro_narrator.cli.status import collect, main, render

from support.jobs import add_book

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 200})

BOOK = "\n\n".join(f"Paragraph {n}, a plain sentence to be spoken." for n in range(1, 13)) + "\n"


def add(config, name: str, text: str = BOOK):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, name, text.encode(), config)
    return store, job


def killed_mid_job(config):
    """A job as a kill -9 leaves it: recorded running, one chunk done, a checkpoint inside the next."""
    store, job = add(config, "book.txt")
    job.move(JobStatus.RUNNING)
    job.chunks[0].status, job.chunks[0].synth_seconds = "done", 2.0
    job.chunks[1].checkpoint = {"calls": 1, "bytes": 10, "chars": 40, "seconds": 1.0}
    store.save(job)
    return store, job


def test_a_job_left_running_by_a_kill_shows_as_interrupted_when_no_daemon_holds_the_lock(config):
    store, job = killed_mid_job(config)
    text = render(collect(store))
    assert "no daemon running" in text
    assert "interrupted; resumes at next start: book.txt" in text
    assert "running:" not in text and "ETA" in text


def test_the_same_job_shows_as_running_while_a_daemon_holds_the_lock(config):
    store, job = killed_mid_job(config)
    with StoreLock.acquire(config.paths.jobs):
        report = collect(store)
    assert report["daemon"] == {"pid": os.getpid(), "running": True, "paused": False, "chars_per_second": None}
    assert [j["name"] for j in report["running"]] == ["book.txt"]
    text = render(report)
    assert f"daemon running (PID {os.getpid()})" in text and "running: book.txt" in text


def test_progress_counts_characters_including_the_checkpoint_inside_a_chunk(config):
    store, job = killed_mid_job(config)
    summary = collect(store)["interrupted"][0]
    assert summary["chars_done"] == job.chunks[0].chars + 40
    assert summary["percent"] == pytest.approx(100 * (job.chunks[0].chars + 40) / sum(c.chars for c in job.chunks), abs=0.1)
    # The book's own pace: (chunk 1 + 40 chars) in 3 s.
    speed = (job.chunks[0].chars + 40) / 3.0
    left = sum(c.chars for c in job.chunks) - job.chunks[0].chars - 40
    assert summary["eta_seconds"] == pytest.approx(left / speed, abs=0.1)


def test_the_queue_shows_each_books_size_and_expected_duration_and_the_total(config):
    store, _ = add(config, "queued-a.txt")
    add(config, "queued-b.txt", BOOK * 2)
    text = render(collect(store))
    assert "queued (2, " in text and "about estimating" in text  # no speed measured on this machine yet
    assert "1. queued-a.txt" in text and "2. queued-b.txt" in text

    _, done = add(config, "finished.txt", BOOK.replace("plain", "short"))
    done.move(JobStatus.RUNNING)
    done.move(JobStatus.DONE)  # as made on this machine: its characters in 20 s
    done.synth_seconds, done.output = 20.0, {"wav": "/out/finished.wav", "audio_seconds": 60.0}
    store.save(done)
    report = collect(store)
    speed = sum(chunk.chars for chunk in done.chunks) / 20.0
    assert report["daemon"]["chars_per_second"] == pytest.approx(speed, abs=0.05)
    a, b = report["queued"]
    assert a["expected_seconds"] == pytest.approx(a["chars"] / speed, rel=0.01)
    assert b["chars"] > a["chars"]
    text = render(report)
    assert f"queued (2, {a['chars'] + b['chars']:,} chars, about " in text and "estimating" not in text
    assert "done (1):" in text and "finished.txt ->" in text


def test_cancelled_and_superseded_jobs_have_their_own_sections(config):
    store, job = add(config, "gone.txt")
    job.move(JobStatus.CANCELLED, "cancelled by the user")
    store.save(job)
    store, old = add(config, "old.txt")
    old.move(JobStatus.SUPERSEDED, "settings changed; superseded by job x")
    store.save(old)
    text = render(collect(store))
    assert f"cancelled (1):\n  gone.txt ({job.id}): cancelled by the user" in text
    assert "superseded (1):" in text and "failed" not in text


def test_a_name_with_a_newline_stays_on_one_status_line(config):
    store, _ = add(config, "two\nlines.txt")
    text = render(collect(store))
    assert "1. two\\nlines.txt" in text


def test_a_closed_pipe_ends_status_quietly(config, monkeypatch):
    add(config, "book.txt")
    read_end, write_end = os.pipe()
    os.close(read_end)  # `status | head`, after head has gone
    pipe = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", pipe)
    assert main(JobStore(config.paths.jobs), as_json=False) == 0
    pipe.close()  # the flush at close goes to /dev/null now, without an error


def test_an_empty_store_names_every_kind_of_book_the_watcher_takes(config):
    from kokoro_narrator.books import BOOK_SUFFIXES

    text = render(collect(JobStore(config.paths.jobs)))
    assert "no books yet: copy a .txt, .md, .epub" in text
    assert all(suffix in text for suffix in BOOK_SUFFIXES)
