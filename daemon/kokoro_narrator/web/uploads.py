"""A book uploaded from the page lands in the inbox exactly as a copied one would.

The same checks as the inbox's: a book suffix (`inbox.is_candidate_name`) and the inbox's size
limit (`inbox.MAX_BOOK_BYTES`, or the smaller `web.max_upload_mb`). A declared size over the
limit is refused before one byte is read; a body without one is cut off at the limit. The bytes go
to a hidden temp name (the watcher ignores it) and are fsynced, then hard-linked under the book's
name, which never replaces a file already there, so the watcher only ever sees a whole book.
The name is the file's base name with every character a shell or a file system treats specially
replaced: the `on_done` hook may put it in a command line.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path
from typing import AsyncIterator

from ..books import BOOK_SUFFIXES
from ..core import fsync_directory, NAME_MAX, shorten_to_bytes, temp_name
from ..inbox import is_candidate_name, MAX_BOOK_BYTES
from ..jobs import JobStatus, JobStore

UNSAFE = re.compile(r"[^\w .,()\[\]+@=~'-]")
"""Anything but letters, digits, spaces and a few harmless marks: `$`, backticks, `;`, `|`, `<`, `"`, `*`... go."""
RETRIED = (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SUPERSEDED)
"""Job states in which the same book dropped again is taken again (ingest's rules), not "already there"."""


class UploadRefused(Exception):
    """An upload the inbox would not take, with the HTTP status and the reason in words."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def limit_bytes(max_upload_mb: int) -> int:
    return min(max_upload_mb * 1024 * 1024, MAX_BOOK_BYTES)


def clean_name(raw: str) -> str:
    """Given a file name from the browser, return the name it gets in the inbox; raise UploadRefused (400)."""
    base = re.split(r"[/\\]", raw or "")[-1]  # a path ("../x.md", "C:\\x.md") keeps only its last part
    name = UNSAFE.sub("_", "".join(ch for ch in base if ch.isprintable())).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if dot:
        name = shorten_to_bytes(stem, NAME_MAX - 40 - len(suffix.encode())) + "." + suffix  # room for temp names
    if not stem.strip("_ ") or not is_candidate_name(name):
        raise UploadRefused(400, f"{raw[:80]!r} is not a book's file name; the inbox takes "
                                 f"{', '.join(BOOK_SUFFIXES)}")
    return name


def check_declared(length: str | None, limit: int) -> None:
    """Refuse a body whose declared size is over the limit, before reading it."""
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise UploadRefused(413, f"the book is {length} bytes; the page takes books up to {limit:,} bytes "
                                 "([web] max_upload_mb)")


async def receive(body: AsyncIterator[bytes], name: str, inbox: Path, store: JobStore, limit: int) -> str:
    """Write an upload's body into the inbox under name; return what was done; raise UploadRefused."""
    final = inbox / name
    if final.exists():
        raise UploadRefused(409, f"{name} is already in the inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    temp = inbox / temp_name(name)
    digest, size = hashlib.sha256(), 0
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            async for block in body:
                size += len(block)
                if size > limit:  # no declared size, or a false one: stop at the limit
                    raise UploadRefused(413, f"the book is over the page's limit of {limit:,} bytes ([web] max_upload_mb)")
                digest.update(block)
                os.write(fd, block)
            if size == 0:
                raise UploadRefused(400, f"{name} is empty")
            await asyncio.to_thread(os.fsync, fd)  # a large book: not on the event loop, which serves the streams
        finally:
            os.close(fd)
        already = await asyncio.to_thread(_same_book, store, digest.hexdigest())  # reads every job.json
        if already:
            raise UploadRefused(409, already)
        try:
            os.chmod(temp, 0o644)
            os.link(temp, final)  # never replaces a file that came meanwhile
        except FileExistsError:
            raise UploadRefused(409, f"{name} is already in the inbox") from None
        fsync_directory(inbox)
    finally:
        temp.unlink(missing_ok=True)
    return f"{name} ({size:,} bytes) is in the inbox; it is queued in a few seconds"


def _same_book(store: JobStore, sha256: str) -> str | None:
    """What to say when these bytes already are a book in the store that dropping them again would not redo."""
    for job in store.all():
        if job.source.get("sha256") == sha256 and job.status not in RETRIED:
            return f"this book was uploaded before: {job.name} is job {job.id}, {job.status}"
    return None
