"""The outbox as the page lists it, and the one way a file leaves it: by job id and format, never by path.

A published job records its files (`job.output["files"]`: format → path) and its `<book>.json`.
A request names a job id and a format; the path is taken from the job's record and served only
when it lies inside the outbox (a cover: inside the job's own folder). The text of a book with
timings is given a chapter at a time, so a 10-hour book never loads whole into the page.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ..jobs import chunk_texts, Job, JobStatus, JobStore, voices_record
from ..sync import BookTimings, read_timings

MEDIA_TYPES = {"wav": "audio/wav", "m4b": "audio/mp4", "opus": "audio/ogg", "mp3": "audio/mpeg",
               "epub": "application/epub+zip", "timings": "application/json", "vtt": "text/vtt",
               "srt": "application/x-subrip", "chapters": "text/vtt"}
AUDIO = ("m4b", "opus", "mp3", "wav")
"""Playable formats, in the order the page tries them (the browser says which it can play)."""
COVER_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
               ".gif": "image/gif"}


def inside(path: Path, folder: Path) -> bool:
    """Whether path, links resolved, is a file inside folder."""
    try:
        return path.resolve().is_relative_to(folder.resolve()) and path.is_file()
    except OSError:
        return False


class Shelf:
    """The published books, their files, their chapters' text; a queued book's preview."""

    def __init__(self, store: JobStore, outbox: Path):
        self.store = store
        self.outbox = outbox
        self.lock = threading.Lock()
        self.timings: tuple[Path, int, BookTimings] | None = None
        """The last timings read (path, mtime_ns, timings): a player asks for chapter after chapter."""
        self.previewed: tuple[str, dict[str, Any]] | None = None

    def files(self, job: Job) -> dict[str, Path]:
        """A published job's files that exist inside the outbox, by format."""
        if job.status != JobStatus.DONE or not job.output:
            return {}
        recorded = job.output.get("files") or {}
        return {fmt: Path(path) for fmt, path in recorded.items()
                if fmt in MEDIA_TYPES and isinstance(path, str) and inside(Path(path), self.outbox)}

    def file(self, job: Job, fmt: str) -> tuple[Path, str] | None:
        path = self.files(job).get(fmt)
        return (path, MEDIA_TYPES[fmt]) if path else None

    def cover(self, job: Job) -> tuple[Path, str] | None:
        name = (job.source.get("metadata") or {}).get("cover")
        if not isinstance(name, str) or Path(name).suffix.lower() not in COVER_TYPES:
            return None
        folder = self.store.folder(job)
        path = folder / Path(name).name
        return (path, COVER_TYPES[path.suffix.lower()]) if inside(path, folder) else None

    def book(self, job: Job) -> dict[str, Any] | None:
        """A published job as the page lists it, or None when its files are gone."""
        files = self.files(job)
        if not any(fmt in files for fmt in AUDIO):
            return None
        metadata = job.source.get("metadata") or {}
        return {"id": job.id, "name": job.name, "title": metadata.get("title") or job.name,
                "authors": list(metadata.get("authors") or []), "seconds": (job.output or {}).get("audio_seconds"),
                "audio": [{"format": fmt, "type": MEDIA_TYPES[fmt]} for fmt in AUDIO if fmt in files],
                "downloads": sorted(files), "timings": "timings" in files, "cover": self.cover(job) is not None,
                "chapters": self.chapters(job), "finished_at": job.finished_at}

    def chapters(self, job: Job) -> list[dict[str, Any]]:
        """Each chapter's index, title and start, from `<book>.json`."""
        path = Path((job.output or {}).get("json") or "")
        if not inside(path, self.outbox):
            return []
        try:
            chapters = json.loads(path.read_text(encoding="utf-8")).get("chapters") or []
        except (OSError, ValueError):
            return []
        return [{"index": c.get("index"), "title": c.get("title"), "level": c.get("level", 1),
                 "start": c.get("start_seconds"), "end": c.get("end_seconds")} for c in chapters if isinstance(c, dict)]

    def chapter_text(self, job: Job, index: int) -> dict[str, Any] | None:
        """One chapter's sentences with their times, or None when the book has no timings."""
        path = self.files(job).get("timings")
        if path is None:
            return None
        timings = self._timings(path)
        sentences = [{"id": s.id, "start": s.start, "end": s.end, "text": s.shown}
                     for s in timings.sentences if s.chapter == index]
        titles = {c.get("index"): c.get("title") for c in timings.chapters}
        return {"index": index, "title": titles.get(index, ""), "sentences": sentences,
                "chapters": [c.get("index") for c in timings.chapters]}

    def _timings(self, path: Path) -> BookTimings:
        mtime = path.stat().st_mtime_ns
        with self.lock:
            if self.timings is None or self.timings[:2] != (path, mtime):
                self.timings = (path, mtime, read_timings(path))
            return self.timings[2]

    def preview(self, job: Job) -> dict[str, Any]:
        """What a job will speak, chunk by chunk under its chapters (as `chunk --text`), and its voices.

        Raise ValueError when the job's copy cannot be read as it was."""
        key = f"{job.id}:{job.updated_at}"
        with self.lock:
            if self.previewed and self.previewed[0] == key:
                return self.previewed[1]
        fresh = self.store.load(self.store.folder(job))  # chunk_texts records what it used in the job it is given
        texts = chunk_texts(self.store, fresh)
        titles = {c["index"]: c.get("title", "") for c in fresh.chapters}
        chapters: list[dict[str, Any]] = []
        for chunk, text in zip(fresh.chunks, texts):
            if not chapters or chapters[-1]["index"] != chunk.chapter:
                chapters.append({"index": chunk.chapter, "title": titles.get(chunk.chapter, ""), "chunks": []})
            chapters[-1]["chunks"].append(text)
        result = {"id": job.id, "name": job.name, "voices": voices_record(fresh), "chapters": chapters}
        with self.lock:
            self.previewed = (key, result)
        return result
