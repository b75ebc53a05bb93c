"""The job store: a job's identity (book, settings) and what it keeps on disk when a book cannot be read.

Jobs are made as the daemon makes them, through ingest (support.jobs.add_book); what the runner
does with them is tests/jobs/test_runner.py.
"""

import dataclasses

import pytest

from kokoro_narrator.jobs.store import JobStore

from support.jobs import add_book

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 120, "keep_chunks": True})

BOOK = "\n\n".join(
    [f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {n}.{p} of the book. It has two sentences." for p in range(1, 7))
     for n in ("I", "II", "III")]
).encode()


def test_changed_settings_or_source_make_a_new_job(config):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    same, created = add_book(store, "book.txt", BOOK, config)
    assert not created and same.id == job.id
    slower = dataclasses.replace(config, tts=dataclasses.replace(
        config.tts, kokoro=dataclasses.replace(config.tts.kokoro, speed=0.9)))
    other, created = add_book(store, "book.txt", BOOK, slower)
    assert created and other.id != job.id
    edited, created = add_book(store, "book.txt", BOOK + b"\n\nOne more line.", config)
    assert created and edited.id not in (job.id, other.id)


def test_bad_input_becomes_a_failed_job_with_a_clear_error(config):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "empty.txt", b"  \n\n ", config)
    assert job.status == "failed" and "empty" in job.error.lower()
    assert store.load(store.folder(job)).error == job.error
