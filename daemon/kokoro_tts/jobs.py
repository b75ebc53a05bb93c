"""Job folders and `job.json`: the whole state of one book, on disk.

A job folder `<jobs dir>/<safe book name>-<hash8>/` holds:
- `source.txt` or `source.md`: the book's bytes as ingested (the inbox file may go away);
- `job.json`: settings, chunk list, per-chunk status, attempts, errors, timings;
- `chunk_0001.wav`, ...: one WAV per finished chunk.

The hash covers the book's name, its bytes and every setting that changes the audio, so a
changed book or changed settings make a new job and never mix old and new audio. `job.json`
alone tells where a job stands, and it is only ever written through `atomic_write_json`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write, atomic_write_json
from .chunker import CHUNKER_VERSION, plan_chunks
from .config import Config
from .text import TextError, read_book

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
JOB_FILE = "job.json"
STATUSES = ("queued", "running", "waiting", "done", "failed")
CHUNK_STATUSES = ("pending", "done", "failed")


def now() -> float:
    return round(time.time(), 3)


@dataclass
class ChunkState:
    """One chunk of the book and what became of it."""

    index: int
    """1-based; the WAV is chunk_{index:04d}.wav."""
    chapter: int
    title: str
    """The title of the chapter this chunk belongs to."""
    chars: int
    sha256: str
    status: str = "pending"
    attempts: int = 0
    audio_seconds: float | None = None
    frames: int | None = None
    synth_seconds: float | None = None
    error: str | None = None
    coverage: dict[str, Any] | None = None
    """{"sent": letters sent, "spoken": letters that came back, "dropped": [words]}."""

    @property
    def wav_name(self) -> str:
        return f"chunk_{self.index:04d}.wav"


@dataclass
class Job:
    """The state of one book's job, as stored in job.json."""

    id: str
    status: str
    source: dict[str, Any]
    """name, inbox_path, size, sha256, encoding, warnings, copy (file name in the job folder)."""
    settings: dict[str, Any]
    chapters: list[dict[str, Any]]
    chunks: list[ChunkState]
    schema_version: int = SCHEMA_VERSION
    chunker_version: int = CHUNKER_VERSION
    error: str | None = None
    created_at: float = field(default_factory=now)
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float = field(default_factory=now)
    synth_seconds: float = 0.0
    """Wall seconds spent synthesizing, summed over every run of the job."""
    output: dict[str, Any] | None = None
    """After publishing: {"wav": path, "json": path, "audio_seconds": s}."""

    @property
    def name(self) -> str:
        return self.source["name"]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Job":
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported job.json schema_version {data.get('schema_version')!r}")
        if data.get("status") not in STATUSES:
            raise ValueError(f"job.json: unknown status {data.get('status')!r}")
        chunks = [ChunkState(**chunk) for chunk in data["chunks"]]
        return cls(**{**data, "chunks": chunks})


def seconds_left(job: Job) -> float | None:
    """Estimate the synthesis time left from this job's own pace so far (None before any)."""
    timed = [chunk for chunk in job.chunks if chunk.status == "done" and chunk.synth_seconds]
    if not timed:
        return None
    per_char = sum(chunk.synth_seconds for chunk in timed) / max(1, sum(chunk.chars for chunk in timed))
    return round(per_char * sum(chunk.chars for chunk in job.chunks if chunk.status != "done"), 1)


def audio_settings(config: Config) -> dict[str, Any]:
    """Every setting that changes the audio of a book; part of the job's identity."""
    k = config.tts.kokoro
    return {
        "provider": config.tts.provider,
        "voice": k.voice,
        "speed": k.speed,
        "lang_code": k.lang_code,
        "split_pattern": k.split_pattern,
        "model": str(k.model_weights) if k.model_weights else k.repo_id,
        "backend": k.backend,
        "max_chunk_chars": config.jobs.max_chunk_chars,
        "paragraph_pause": config.jobs.paragraph_pause,
        "chapter_pause": config.jobs.chapter_pause,
        "chunker_version": CHUNKER_VERSION,
    }


def safe_name(name: str, limit: int = 60) -> str:
    """A file-system- and shell-friendly form of a book name, for the job folder."""
    stem = Path(name).stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "book"
    return cleaned[:limit]


def job_id(name: str, source_sha256: str, settings: dict[str, Any]) -> str:
    identity = json.dumps([name, source_sha256, settings], sort_keys=True, ensure_ascii=True)
    return f"{safe_name(name)}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"


class JobStore:
    """The jobs directory: create, load, save and list job folders."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, job: Job | str) -> Path:
        return self.root / (job if isinstance(job, str) else job.id)

    def save(self, job: Job) -> None:
        job.updated_at = now()
        atomic_write_json(self.folder(job) / JOB_FILE, job.to_json())

    def load(self, folder: Path) -> Job:
        """Given a job folder, return its Job; raise ValueError when job.json is unusable."""
        try:
            data = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{folder / JOB_FILE}: {exc}") from exc
        return Job.from_json(data)

    def all(self) -> list[Job]:
        """Every readable job, oldest first."""
        jobs = []
        if not self.root.is_dir():
            return jobs
        for folder in sorted(self.root.iterdir()):
            if not (folder / JOB_FILE).is_file():
                continue
            try:
                jobs.append(self.load(folder))
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("skipping unreadable job %s: %s", folder.name, exc)
        return sorted(jobs, key=lambda job: (job.created_at, job.id))

    def unfinished(self) -> list[Job]:
        return [job for job in self.all() if job.status in ("queued", "running", "waiting")]

    def create(self, name: str, inbox_path: str, data: bytes, config: Config) -> tuple[Job, bool]:
        """Given a book's name and bytes, return (its job, created?).

        An existing job with the same identity is returned as it is. Undecodable input still
        gets a job, `failed` with the reason, so that the user sees it in `status`.
        """
        sha = hashlib.sha256(data).hexdigest()
        settings = audio_settings(config)
        identity = job_id(name, sha, settings)
        folder = self.folder(identity)
        if (folder / JOB_FILE).is_file():
            try:
                return self.load(folder), False
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("job %s has an unreadable job.json (%s); making it again", identity, exc)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".md" if name.lower().endswith(".md") else ".txt"
        atomic_write(folder / f"source{suffix}", data)
        source = {"name": name, "inbox_path": inbox_path, "size": len(data), "sha256": sha,
                  "encoding": None, "warnings": [], "copy": f"source{suffix}"}
        job = Job(identity, "queued", source, settings, [], [])
        try:
            book = read_book(data, name)
            plan = plan_chunks(book.text, config.jobs.max_chunk_chars, book.headings)
        except (TextError, ValueError) as exc:
            job.status, job.error, job.finished_at = "failed", f"bad input: {exc}", now()
            log.error("book %s refused: %s", name, exc)
        else:
            source.update(encoding=book.encoding, warnings=list(book.warnings))
            titles = {chapter.index: chapter.title for chapter in plan.chapters}
            job.chapters = [{"index": c.index, "title": c.title} for c in plan.chapters]
            job.chunks = [
                ChunkState(c.index + 1, c.chapter, titles[c.chapter], len(c.text), c.sha256)
                for c in plan.chunks
            ]
            for warning in book.warnings:
                log.warning("book %s: %s", name, warning)
        self.save(job)
        return job, True

    def chunk_texts(self, job: Job) -> list[str]:
        """Re-chunk the job's own source copy; the chunk hashes must match job.json."""
        folder = self.folder(job)
        book = read_book((folder / job.source["copy"]).read_bytes(), job.name)
        plan = plan_chunks(book.text, job.settings["max_chunk_chars"], book.headings)
        texts = [chunk.text for chunk in plan.chunks]
        hashes = [chunk.sha256 for chunk in plan.chunks]
        if hashes != [chunk.sha256 for chunk in job.chunks]:
            raise ValueError("the chunker gives different chunks than when the job was made")
        return texts
