"""The queue as the page shows it: every job with its state, chapter, chunk, progress inside the chunk, ETA,
voice or cast, and error, as one JSON-ready dict.

Job states come from the job store (job.json, written only by the daemon's worker); the book in
progress comes from the latest `jobs.Progress` the worker reported, which the daemon keeps in one
attribute. Reading that reference takes no lock, so the worker never waits on the page. The
store is listed again only when its signature (a stat per job.json) changes.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from ..jobs import duration, history_speed, is_paused, Job, JobStatus, JobStore, measure, Progress, queue_order, \
    seconds_left, total_chars, UNFINISHED

class QueueView:
    """Given the store and a way to read the latest progress, make the page's queue snapshot.

    Jobs are described again only when the store's signature changes; between changes only the
    book in progress is, from the worker's latest report. A snapshot is shared by every page open
    for SHARE_SECONDS, so more pages cost the worker's process no more work.
    """

    SHARE_SECONDS = 0.5

    def __init__(self, store: JobStore, latest: Callable[[], Progress | None]):
        self.store = store
        self.latest = latest
        self.lock = threading.Lock()  # page threads only; the worker never takes it
        self.signature: tuple | None = None
        self.jobs: list[Job] = []
        self.described: list[dict[str, Any]] = []
        self.speed: float | None = None
        self.shared: tuple[float, dict[str, Any]] | None = None

    def listed(self) -> list[Job]:
        """Every job, listed again only when a job.json changed."""
        with self.lock:
            return self._listed()

    def _listed(self) -> list[Job]:
        signature = self.store.signature()
        if signature != self.signature:
            jobs = self.store.all()
            self.speed = history_speed(jobs)
            order = {job.id: place for place, job in enumerate(queue_order(jobs))}
            jobs.sort(key=lambda job: (job.id not in order, order.get(job.id, 0), -(job.finished_at or 0)))
            self.jobs, self.signature = jobs, signature
            self.described = [describe(job, None, self.speed) for job in jobs]
        return self.jobs

    def find(self, job_id: str) -> Job | None:
        return next((job for job in self.listed() if job.id == job_id), None)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            moment = time.monotonic()
            if self.shared is not None and moment - self.shared[0] < self.SHARE_SECONDS:
                return self.shared[1]
            jobs = self._listed()
            progress = self.latest()
            described = [describe(job, progress, self.speed) if progress is not None and progress.job.id == job.id
                         else entry for job, entry in zip(jobs, self.described)]
            snapshot = {"paused": is_paused(self.store.root), "jobs": waits_added(described)}
            self.shared = (moment, snapshot)
            return snapshot


def waits_added(described: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given the jobs in queue order, make each unfinished one's ETA count the books ahead of it too."""
    ahead: float | None = 0.0
    shown = []
    for entry in described:
        if entry["status"] in UNFINISHED:
            own = entry["eta_seconds"]
            ahead = None if ahead is None or own is None else ahead + own  # one unknown: the rest unknown too
            entry = {**entry, "eta_seconds": ahead, "eta": duration(ahead)}
        shown.append(entry)
    return shown


def describe(job: Job, progress: Progress | None, speed: float | None) -> dict[str, Any]:
    """One job as the page shows it; progress: the worker's latest report when the job is being made."""
    running = progress is not None and job.status in (JobStatus.RUNNING, JobStatus.WAITING)
    source = progress.job if running else job  # the worker's copy is fresher than job.json between checkpoints
    chunks = source.chunks
    if running:
        done, total, eta = progress.chars_done, progress.chars_total, progress.eta_seconds
        current = min(max(progress.chunk - 1, 0), len(chunks) - 1) if chunks else None
    else:
        done, total = measure(job)[0], total_chars(job)
        eta = seconds_left(job, speed) if job.status in UNFINISHED else None
        current = next((i for i, chunk in enumerate(chunks) if chunk.status != "done"), None)
    chunk = chunks[current] if current is not None else None
    finished = sum(c.chars for c in chunks if c.status == "done")
    in_chunk = max(0, min(chunk.chars, done - finished)) if chunk is not None and chunk.status != "done" else 0
    titles = {chapter["index"]: chapter.get("title", "") for chapter in job.chapters}
    metadata = job.source.get("metadata") or {}
    return {
        "id": job.id, "name": job.name, "status": str(job.status), "error": job.error, "priority": job.priority,
        "title": metadata.get("title") or job.name, "authors": list(metadata.get("authors") or []),
        "chapter": titles.get(chunk.chapter, "") if chunk is not None else "",
        "chunk": (current + 1) if current is not None else len(chunks), "chunks": len(chunks),
        "chunk_chars_done": in_chunk,
        "chunk_chars": chunk.chars if chunk is not None else 0,
        "chars_done": done, "chars": total, "percent": round(100.0 * done / total, 1) if total else 100.0,
        "eta_seconds": eta, "eta": duration(eta) if job.status in UNFINISHED else "",
        "voice": job.settings.get("voice"), "dialogue_voice": job.settings.get("dialogue_voice") or None,
        "cast": [{"name": role.get("name"), "voice": role.get("voice")} for role in job.source.get("cast") or []
                 if isinstance(role, dict)],
        "published": bool(job.output and job.status == JobStatus.DONE),
    }
