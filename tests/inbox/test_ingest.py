"""Ingest: a reported inbox file becomes a job (or not), noise is kept out, the inbox shows what happened.

These run the daemon's own ingest, worker step and end-of-book handling in-process with the
tone provider, so each is fast; the model would only add time.
"""

import dataclasses
import errno
import json
import logging
import os
import threading
from pathlib import Path

import pytest
import soundfile as sf

from kokoro_narrator.core.config import InboxConfig
from kokoro_narrator.inbox.afterwards import book_ended
from kokoro_narrator.core import atomic
from kokoro_narrator.inbox.ingest import take_in
from kokoro_narrator.service.daemon import Daemon

from support.providers import ToneProvider

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300, "retries": 0})

BOOK = "CHAPTER I\n\n" + "A plain sentence for the first chapter, spoken as a tone.\n\n" * 4


def make_daemon(config, provider=None) -> Daemon:
    daemon = Daemon(config, provider or ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    return daemon


def drop(config, name: str, data: str | bytes) -> Path:
    path = config.paths.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def process(daemon: Daemon, path: Path):
    """What the daemon does with one reported file: ingest, run its job, settle the inbox."""
    job = daemon.ingest(path)
    if job is not None and job.status not in ("done", "failed"):
        job = daemon.runner.run(job)
        book_ended(daemon.config, daemon.store, job)
    return job


# ----------------------------------------------------------------------------- not speech


def test_200000_repeated_letters_fail_at_once_without_synthesis_and_the_next_book_is_published(config):
    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    noise = process(daemon, drop(config, "noise.txt", "x" * 200_000))
    assert noise.status == "failed" and "nothing in it is speech" in noise.error
    assert "repeated character" in noise.error
    assert not provider.calls, "letter noise reached the speech provider"
    assert (config.paths.inbox / "failed" / "noise.txt").stat().st_size == 200_000
    book = process(daemon, drop(config, "book.txt", BOOK))
    assert book.status == "done" and sf.info(config.paths.outbox / "book.wav").frames > 0


def test_noise_inside_a_book_is_recorded_per_chunk_and_warned_about_and_never_spoken(config, caplog):
    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    noise = "qwertyuiopasdfghjklzxcvbnm" * 5
    text = BOOK + "* * * * *\n\nAfter the break: " + noise + " and then the end.\n"
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.inbox.ingest"):
        job = process(daemon, drop(config, "mixed.txt", text))
    assert job.status == "done"
    records = [item for chunk in job.chunks for item in (chunk.not_speech or [])]
    assert [item["kind"] for item in records] == ["overlong_word"]
    assert records[0]["chars"] == len(noise)
    assert any("not read as speech: 1 overlong word" in warning for warning in job.source["warnings"])
    assert "not read as speech" in caplog.text
    assert all("qwerty" not in spoken for spoken in provider.order)
    assert any("and then the end." in spoken for spoken in provider.order)
    on_disk = json.loads((config.paths.jobs / job.id / "job.json").read_text())
    assert any(chunk["not_speech"] for chunk in on_disk["chunks"])


# ----------------------------------------------------------------------------- the inbox afterwards


def test_a_published_book_moves_to_done_and_a_failed_one_to_failed_beside_a_log(config):
    daemon = make_daemon(config, ToneProvider(fail_times={1: 99}))
    failed = process(daemon, drop(config, "broken.txt", BOOK))
    assert failed.status == "failed"
    log_text = (config.paths.inbox / "failed" / "broken.txt.log").read_text()
    assert failed.id in log_text and "injected failure" in log_text
    assert failed.source["inbox_after"]["action"] == "moved"
    daemon = make_daemon(config)
    done = process(daemon, drop(config, "fine.txt", BOOK + "Another book.\n"))
    assert done.status == "done"
    assert (config.paths.inbox / "done" / "fine.txt").read_text().startswith("CHAPTER I")
    assert sorted(os.listdir(config.paths.inbox)) == ["done", "failed"]


def test_a_second_book_of_the_same_name_gets_a_free_name_in_done(config):
    daemon = make_daemon(config)
    process(daemon, drop(config, "book.txt", BOOK))
    process(daemon, drop(config, "book.txt", BOOK + "A second edition.\n"))
    assert sorted(os.listdir(config.paths.inbox / "done")) == ["book (2).txt", "book.txt"]


def test_a_newer_copy_dropped_while_the_job_ran_stays_in_the_inbox(config):
    daemon = make_daemon(config)
    path = drop(config, "book.txt", BOOK)
    job = daemon.ingest(path)
    path.write_text(BOOK + "Edited while the first was made.\n")
    job = daemon.runner.run(job)
    book_ended(config, daemon.store, job)
    assert "Edited" in path.read_text()
    assert job.source["inbox_after"]["action"] == "none"


def test_with_keep_books_stay_and_the_same_file_is_not_taken_again(config, caplog):
    config = dataclasses.replace(config, inbox=InboxConfig(after="keep"))
    daemon = make_daemon(config, ToneProvider(fail_times={1: 99}))
    path = drop(config, "book.txt", BOOK)
    job = process(daemon, path)
    assert job.status == "failed" and path.exists()
    with caplog.at_level(logging.INFO, logger="kokoro_narrator.inbox.ingest"):
        again = take_in(path, daemon.store, config, threading.Event())
    assert again.status == "failed", "a kept, unchanged failed book was retried"
    assert "not taken again" in caplog.text
    os.utime(path, ns=(1, 1))  # the user touches it: now it is a new drop, and failed before
    assert take_in(path, daemon.store, config, threading.Event()).status == "queued"


def test_a_read_only_inbox_leaves_the_book_where_it_is_and_does_not_take_it_again(config, monkeypatch, caplog):
    def refuse(source, target):
        raise PermissionError(errno.EACCES, "Permission denied", str(source))

    monkeypatch.setattr(os, "rename", refuse)  # what a read-only inbox does (root would not see chmod)
    daemon = make_daemon(config, ToneProvider(fail_times={1: 99}))
    path = drop(config, "book.txt", BOOK)
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.inbox.afterwards"):
        job = process(daemon, path)
    assert job.status == "failed" and path.read_text() == BOOK
    assert "stays there and is not taken again" in caplog.text
    assert job.source["inbox_after"] == {"action": "left", "reason": "Permission denied"}
    assert take_in(path, daemon.store, config, threading.Event()).status == "failed"


# ----------------------------------------------------------------------------- seen before


def test_a_failed_book_moved_back_into_the_inbox_is_tried_again_and_published(config):
    daemon = make_daemon(config, ToneProvider(fail_times={1: 1}))
    job = process(daemon, drop(config, "book.txt", BOOK))
    assert job.status == "failed"
    os.rename(config.paths.inbox / "failed" / "book.txt", config.paths.inbox / "book.txt")
    again = process(daemon, config.paths.inbox / "book.txt")
    assert again.id == job.id and again.status == "done"


def test_a_done_book_whose_output_is_gone_is_made_again_and_one_still_there_is_not(config):
    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    job = process(daemon, drop(config, "book.txt", BOOK))
    calls = sum(provider.calls.values())
    os.rename(config.paths.inbox / "done" / "book.txt", config.paths.inbox / "book.txt")
    assert process(daemon, config.paths.inbox / "book.txt").status == "done"
    assert sum(provider.calls.values()) == calls, "an unchanged done book was made again"
    (config.paths.outbox / "book.wav").unlink()
    os.rename(config.paths.inbox / "done" / "book.txt", config.paths.inbox / "book.txt")
    again = process(daemon, config.paths.inbox / "book.txt")
    assert again.id == job.id and (config.paths.outbox / "book.wav").exists()
    assert sum(provider.calls.values()) > calls


# ----------------------------------------------------------------------------- disk space


def test_ingest_waits_for_disk_space_then_takes_the_book_in(config, monkeypatch):
    free = iter([0, 0, 10**12])
    monkeypatch.setattr(atomic, "disk_free_bytes", lambda path: next(free, 10**12))
    job = take_in(drop(config, "book.txt", BOOK), make_daemon(config).store, config, threading.Event(), 0.0)
    assert job.status == "queued"
    assert next(free, "spent") == "spent", "ingest did not wait for space"


def test_ingest_gives_up_waiting_for_space_when_the_daemon_stops(config, monkeypatch):
    monkeypatch.setattr(atomic, "disk_free_bytes", lambda path: 0)
    stop = threading.Event()
    stop.set()
    assert take_in(drop(config, "book.txt", BOOK), make_daemon(config).store, config, stop, 0.0) is None
    assert not os.listdir(config.paths.jobs)


def test_a_book_dropped_again_while_its_job_is_unfinished_leaves_job_json_to_the_worker(config):
    daemon = make_daemon(config)
    path = drop(config, "book.txt", BOOK)
    job = daemon.ingest(path)
    job_json = config.paths.jobs / job.id / "job.json"
    before = job_json.read_bytes(), job_json.stat().st_mtime_ns
    os.utime(path, ns=(2, 2))
    assert daemon.ingest(path).status == "queued"
    assert (job_json.read_bytes(), job_json.stat().st_mtime_ns) == before


def test_a_chunk_that_is_all_noise_is_silent_and_the_book_around_it_is_published(config):
    provider = ToneProvider()
    daemon = make_daemon(config, provider)
    noise = " ".join(["abcdefghijklmnopqrstuvwxyz" * 2 + "ab"] * 8)  # overlong words, more than one chunk of them
    job = process(daemon, drop(config, "book.txt", BOOK + noise + "\n\nThe last words.\n"))
    assert job.status == "done"
    silent = [chunk for chunk in job.chunks if chunk.not_speech and chunk.frames == 0]
    assert silent, "no chunk was all noise"
    assert sf.info(config.paths.outbox / "book.wav").frames > 0
    assert any("The last words." in spoken for spoken in provider.order)


# ----------------------------------------------------------------------------- a reader's own failure


def test_a_reader_failing_unforeseen_fails_its_job_with_the_reason_and_the_next_book_is_published(config, monkeypatch,
                                                                                                  caplog):
    from kokoro_narrator.inbox import ingest

    def broken(data, name, decoded=None):
        raise RecursionError("maximum recursion depth exceeded")  # escaped take_in: no job, read again each rescan

    daemon = make_daemon(config)
    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="kokoro_narrator.inbox.ingest"):
        patch.setattr(ingest, "read_book", broken)
        job = process(daemon, drop(config, "deep.fb2", b"<FictionBook/>"))
    assert job.status == "failed"
    assert job.error.startswith("could not read the book: RecursionError: maximum recursion depth exceeded (a bug")
    assert "Traceback" in caplog.text
    assert json.loads((config.paths.jobs / job.id / "job.json").read_text())["status"] == "failed"
    assert (config.paths.inbox / "failed" / "deep.fb2").exists()
    assert process(daemon, drop(config, "book.txt", BOOK)).status == "done"
