"""What each chunk of a job speaks, made again from the job's own source copy at every run.

The job folder keeps the book's bytes, not its narrated text: the chunks are planned again and
must hash as job.json recorded them, then narration/speakable.py turns them into what G2P
reads (not-speech out, lexicons, numerals). So a resume needs nothing but the folder.
"""

from __future__ import annotations

from ..books import read_book
from ..chapters import plan_book
from ..narration import speakable_job
from .store import Job, JobStore


def chunk_texts(store: JobStore, job: Job) -> list[str]:
    """Re-chunk the job's own source copy; the chunk hashes must match job.json."""
    folder = store.folder(job)
    book = read_book((folder / job.source["copy"]).read_bytes(), job.name)
    plan = plan_book(book, job.settings["max_chunk_chars"])
    hashes = [chunk.sha256 for chunk in plan.chunks]
    if hashes != [chunk.sha256 for chunk in job.chunks]:
        raise ValueError("the chunker gives different chunks than when the job was made")
    speakable = speakable_job(plan, book, job.settings, job.source, folder)  # nonspeech, lexicons, normalize
    job.source.update(speakable.record())  # lexicon_used, not_read
    return speakable.texts
