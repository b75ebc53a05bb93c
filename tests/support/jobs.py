"""`add_book`: a job made the way the daemon makes it, through ingest.

The daemon's ingest thread reads a dropped book and calls `inbox.ingest.create_job` (decode,
clean, chunk, find what is not speech); so do the tests and benches, here, rather than through
a shortcut of the store's own.
"""

from __future__ import annotations

from typing import Any

from kokoro_narrator.core.config import Config
from kokoro_narrator.inbox.ingest import create_job
from kokoro_narrator.jobs.store import Job, JobStore


def add_book(store: JobStore, name: str, data: bytes | str, config: Config, *, inbox_path: str | None = None,
             book: dict[str, Any] | None = None) -> tuple[Job, bool]:
    """Given a book's name and contents, return (its job, created?), as ingest makes it.

    inbox_path is where the book was dropped (default: config's inbox/name; the file need not
    be there); book is its own settings (inbox.settings), as read from a sidecar or front matter.
    An existing job of the same book and settings is returned as it is (created False).
    """
    data = data.encode() if isinstance(data, str) else data
    path = inbox_path if inbox_path is not None else str(config.paths.inbox / name)
    return create_job(store, name, path, data, config, book)
