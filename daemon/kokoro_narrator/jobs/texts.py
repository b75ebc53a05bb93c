"""What each chunk of a job speaks, made again from the job's own source copy at every run.

The job folder keeps the book's bytes, not its narrated text: the chunks are planned again and
must hash as job.json recorded them, then narration/speakable.py turns them into what G2P
reads (not-speech out, lexicons, numerals). So a resume needs nothing but the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..books import read_book
from ..chapters import plan_book
from ..narration import speakable_job
from .store import Job, JobStore


@dataclass(frozen=True)
class BookTexts:
    """A job's book as read again: the clean text, and each chunk's clean and spoken text."""

    book: Any
    """The read book (books.SourceText)."""
    clean: list[str]
    spoken: list[str]


def book_texts(store: JobStore, job: Job) -> BookTexts:
    """Re-read and re-chunk the job's own source copy; the chunk hashes must match job.json (else ValueError)."""
    folder = store.folder(job)
    book = read_book((folder / job.source["copy"]).read_bytes(), job.name)
    plan = plan_book(book, job.settings["max_chunk_chars"])
    hashes = [chunk.sha256 for chunk in plan.chunks]
    if hashes != [chunk.sha256 for chunk in job.chunks]:
        raise ValueError("the chunker gives different chunks than when the job was made")
    speakable = speakable_job(plan, book, job.settings, job.source, folder)  # nonspeech, lexicons, normalize
    job.source.update(speakable.record())  # lexicon_used, not_read
    return BookTexts(book, [chunk.text for chunk in plan.chunks], speakable.texts)


def chunk_texts(store: JobStore, job: Job) -> list[str]:
    """What each chunk speaks (`book_texts`' spoken texts)."""
    return book_texts(store, job).spoken
