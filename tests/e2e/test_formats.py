"""DOCX, FB2, HTML and PDF books from the inbox to the outbox, and bad ones that fail while the next is still made.

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
from support.pdfs import pdf, typeset
from support.providers import ToneProvider

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300}, watch={"settle_seconds": 0.3, "rescan_seconds": 2})


def make_daemon(config) -> Daemon:
    daemon = Daemon(config, ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    daemon.runner.retry_wait_seconds = 0.01
    return daemon


def pdf_book() -> bytes:
    """A typeset PDF of two chapters with an outline, running headers (title, chapter) and page numbers."""
    sentences = ["The lamp was lit at dusk, and the road beyond the gate went on into the hills.",
                 "Nobody had walked there for a long time, and the grass stood high between the stones.",
                 "She counted the windows of the mill as she passed, seven on one side and five on the other."]
    prose = [" ".join(sentences[(n + k) % 3] for k in range(5)) for n in range(20)]
    pages = typeset([("Chapter One: The Gate", 16), *prose, ("Chapter Two: The Hills", 16), *prose])
    for number, lines in enumerate(pages):
        lines.insert(0, (72, 800, "THE LAMP BOOK" if number % 2 else "A Story of the Hills", 9))
        lines.append((290, 40, str(number + 1), 9))
    where = {line[2]: (number, line[1]) for number, lines in enumerate(pages) for line in lines}
    outline = [(title, *where[title], 1) for title in ("Chapter One: The Gate", "Chapter Two: The Hills")]
    return pdf(pages, outline, info={"Title": "The Lamp Book", "Author": "Ann Lee; Bo Chen"})


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
    ("lamp.pdf", pdf_book(), ["Chapter One: The Gate", "Chapter Two: The Hills"],
     {"title": "The Lamp Book", "authors": ["Ann Lee", "Bo Chen"]}),
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


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.4\nthis is not a PDF at all\n%%EOF\n", "the PDF is damaged"),
    ("locked.pdf", pdf(typeset(["It was locked."]), encrypted=True), "password-protected: open it with its password"),
    ("scan.pdf", pdf([[], []], scanned={0, 1}), "no text layer (a scan?); kokoro-narrator does not do OCR"),
    ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088), "encrypted (password-protected)"),
])
def test_an_unreadable_pdf_or_docx_fails_with_its_reason_and_the_next_book_is_still_made(config, name, data, reason):
    daemon = make_daemon(config)
    bad = config.paths.inbox / name
    bad.write_bytes(data)
    job = process(daemon, bad)
    assert job.status == "failed" and reason in job.error, job.error
    assert (config.paths.inbox / "failed" / name).exists()
    good = config.paths.inbox / "next.pdf"
    good.write_bytes(pdf_book())
    job = process(daemon, good)
    assert job.status == "done", job.error
