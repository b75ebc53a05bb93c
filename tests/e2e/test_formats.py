"""DOCX, FB2 and HTML books from the inbox to the outbox, and a bad one that fails while the next is still made.

What it proves: the daemon's own ingest and job runner (in-process, with the tone provider) take a
book of each new format, plan the chapters its reader found, and publish it with its metadata; a
file that cannot be read ends as a `failed` job with the reader's reason, and the daemon goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kokoro_narrator.service.daemon import Daemon

from support.formats import docx_book, fb2_book, html_book
from support.providers import ToneProvider

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300}, watch={"settle_seconds": 0.3, "rescan_seconds": 2})


def make_daemon(config) -> Daemon:
    daemon = Daemon(config, ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    daemon.runner.retry_wait_seconds = 0.01
    return daemon


def process(daemon: Daemon, path):
    job = daemon.ingest(path)
    if job is not None and job.status not in ("done", "failed"):
        job = daemon.runner.run(job)
    return job


@pytest.mark.parametrize("name, data, titles, metadata", [
    ("word.docx", docx_book(), ["The Word Book: Chapter One", "Chapter Two"],
     {"title": "The Word Book", "authors": ["Ann Author", "Bob Writer"]}),
    ("sea.fb2", fb2_book(), ["Anna Writer. The Sea Book", "Part One: Chapter 1. The Shore", "Chapter 2",
                             "Part Two: Chapter 3", "Chapter 4"],
     {"title": "The Sea Book", "authors": ["Anna K. Writer", "Sailor"], "cover": "cover.png"}),
    ("page.html", html_book(), ["A Page Book: Chapter One", "Chapter Two"],
     {"title": "A Page Book", "authors": ["Jo Smith"]}),
])
def test_a_book_of_each_format_is_published_with_its_chapters(config, name, data, titles, metadata):
    daemon = make_daemon(config)
    path = config.paths.inbox / name
    path.write_bytes(data)
    job = process(daemon, path)
    assert job.status == "done", job.error
    assert [chapter["title"] for chapter in job.chapters] == titles
    recorded = json.loads((config.paths.jobs / job.id / "job.json").read_text())["source"]
    assert {key: recorded["metadata"][key] for key in metadata} == metadata
    assert job.output["audio_seconds"] > 0 and Path(job.output["wav"]).is_file()


def test_a_bad_file_fails_its_job_and_the_next_book_is_still_made(config):
    daemon = make_daemon(config)
    bad = config.paths.inbox / "broken.docx"
    bad.write_bytes(b"This was never a Word document.")
    job = process(daemon, bad)
    assert job.status == "failed" and "not a zip archive" in job.error
    assert (config.paths.inbox / "failed" / "broken.docx").exists()
    pdf = config.paths.inbox / "report.txt"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    job = process(daemon, pdf)
    assert job.status == "failed" and "a PDF document: name it *.pdf" in job.error
    good = config.paths.inbox / "next.fb2"
    good.write_bytes(fb2_book())
    assert process(daemon, good).status == "done"
