"""Job folders and `job.json`: the whole state of one book, on disk.

A job folder `<jobs dir>/<safe book name>-<hash8>/` holds:
- `source.txt`, `source.md` or `source.epub`: the book's bytes as ingested (the inbox file may go away);
- `cover.jpg` (or .png...): an EPUB's cover image, named in `source["metadata"]["cover"]`;
- `job.json`: settings, chunk list, per-chunk status, attempts, errors, timings;
- `chunk_0001.wav`, ...: one WAV per finished chunk; `chunk_0002.partial`: the audio kept
  inside the chunk in progress (checkpoint.py).
Beside the job folders: `daemon.lock` (lock.py), `paused` and `requests/` (steering.py).

The hash covers the book's name, its bytes and every setting that changes the audio, so a
changed book or changed settings make a new job and never mix old and new audio. `job.json`
alone tells where a job stands, and it is only ever written through `atomic_write_json`, by the
process that holds the store's lock.

A job's status is one small state machine (`JobStatus`, `TRANSITIONS`, `Job.move`): queued ->
running -> done, with waiting (disk full), interrupted (the daemon stopped), failed, cancelled
and superseded (settings or chunker changed) beside it; `requeue` queues an ended job again,
and `queue_order` is the order the worker takes them in.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from ..chapters import CHUNKER_VERSION
from ..core import atomic_write, atomic_write_json

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
JOB_FILE = "job.json"


class JobStatus(str, Enum):
    """Where a job stands. A str, so that job.json holds the plain word and `== "done"` works."""

    QUEUED = "queued"
    """Waiting for the worker (new, retried, paused mid-way, or moved back by `requeue`)."""
    RUNNING = "running"
    """The worker is making it; `status` says "interrupted" when no daemon holds the lock."""
    WAITING = "waiting"
    """Running, but the disk is full; it goes on by itself once there is space."""
    INTERRUPTED = "interrupted"
    """The daemon stopped in the middle of it; it resumes first at the next start."""
    DONE = "done"
    FAILED = "failed"
    """Bad input, a chunk that kept failing, or a publish that kept failing: `error` says why."""
    CANCELLED = "cancelled"
    """Stopped by `kokoro-narrator cancel`; never resumed unless retried."""
    SUPERSEDED = "superseded"
    """Made with settings (or a chunker) that have changed since; a new job carries the book on."""

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(status.value for status in JobStatus)
UNFINISHED = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING, JobStatus.INTERRUPTED})
"""The statuses the worker takes a job from."""
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.SUPERSEDED, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.DONE, JobStatus.WAITING, JobStatus.FAILED, JobStatus.CANCELLED,
                                  JobStatus.INTERRUPTED, JobStatus.QUEUED, JobStatus.SUPERSEDED}),
    JobStatus.WAITING: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED,
                                  JobStatus.INTERRUPTED, JobStatus.QUEUED, JobStatus.SUPERSEDED}),
    JobStatus.INTERRUPTED: frozenset({JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.CANCELLED,
                                      JobStatus.SUPERSEDED, JobStatus.FAILED}),
    JobStatus.DONE: frozenset({JobStatus.QUEUED}),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED, JobStatus.SUPERSEDED}),
    JobStatus.CANCELLED: frozenset({JobStatus.QUEUED, JobStatus.SUPERSEDED}),
    JobStatus.SUPERSEDED: frozenset({JobStatus.QUEUED}),
}
"""Every allowed move; `Job.move` refuses the others. A job is only ever `running` while a worker has it."""
FINISHED_AT = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.SUPERSEDED})


class JobStateError(ValueError):
    """A move between two statuses that the state machine does not allow."""


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
    loudness: dict[str, Any] | None = None
    """The chunk WAV's loudness record (loudness.Measurement.to_json), made when the chunk is."""
    checkpoint: dict[str, Any] | None = None
    """Work kept inside an unfinished chunk (checkpoint.py): calls, bytes, chars, seconds, ..."""
    words: int | None = None
    """How many words have timings in `chunk_NNNN.words.json` (checkpoint.py); None: the chunk has no words
    file (made before words were timed)."""
    not_speech: list[dict[str, Any]] | None = None
    """Text of this chunk that is not spoken because it is not speech (nonspeech.py): kind, reason, text, chars."""

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
    priority: int = 0
    """Higher goes first; `kokoro-narrator next` raises it above every other job's."""
    engine_path: dict[str, Any] | None = None
    """The numeric path (device, torch, precision, backend, threads) of the pool's engines that made its chunks
    (engines/): a pool never mixes two within one job. None: made by the local engine only."""

    def __post_init__(self) -> None:
        self.status = JobStatus(self.status)

    def move(self, to: JobStatus | str, error: str | None = None) -> None:
        """Given the next status (and why, for failed/waiting/cancelled), move this job there.

        Raise JobStateError when the state machine has no such move (see TRANSITIONS).
        """
        to = JobStatus(to)
        if to != self.status and to not in TRANSITIONS[JobStatus(self.status)]:
            raise JobStateError(f"job {self.id}: cannot go from {self.status} to {to}")
        self.status, self.error = to, error
        if to in FINISHED_AT:
            self.finished_at = now()
        elif to == JobStatus.QUEUED:
            self.finished_at = None

    @property
    def name(self) -> str:
        return self.source["name"]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Job":
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported job.json schema_version {data.get('schema_version')!r}")
        if data.get("status") not in STATUSES:
            raise ValueError(f"job.json: unknown status {data.get('status')!r}")
        chunks = [ChunkState(**chunk) for chunk in data["chunks"]]
        return cls(**{**data, "chunks": chunks})

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["status"] = str(self.status)
        return data


def queue_order(jobs: list[Job]) -> list[Job]:
    """Given jobs, return the unfinished ones in the order the worker takes them.

    Highest priority first (`next`), then one already started (interrupted, running), then oldest.
    """
    unfinished = [job for job in jobs if job.status in UNFINISHED]
    return sorted(unfinished, key=lambda job: (-job.priority, job.started_at is None, job.created_at, job.id))


def safe_name(name: str, limit: int = 60) -> str:
    """A file-system- and shell-friendly form of a book name, for the job folder."""
    stem = Path(name).stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "book"
    return cleaned[:limit]


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of a file, or None when there is none: a file replaced by an atomic write differs."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def requeue(store: "JobStore", job: Job) -> Job:
    """Given a failed, cancelled, superseded or done job, queue it again and save it; return it.

    Failed chunks get their attempts back; finished chunks (and checkpoints) are kept, so a
    job whose publishing failed is published again without synthesizing anything.
    """
    for chunk in job.chunks:
        if chunk.status == "failed":
            chunk.status, chunk.attempts = "pending", 0
    job.move(JobStatus.QUEUED)
    store.save(job)
    return job


class JobStore:
    """The jobs directory: create, load, save and list job folders."""

    def __init__(self, root: Path):
        self.root = root
        self.unreadable: dict[str, tuple[int, int, int]] = {}
        """Job folders whose job.json could not be read, with that file's identity: warned about once."""

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
                self.unreadable.pop(folder.name, None)
            except (ValueError, TypeError, KeyError) as exc:
                identity = file_identity(folder / JOB_FILE)
                if self.unreadable.get(folder.name) != identity:  # the idle daemon lists the store every minute
                    log.warning("skipping unreadable job %s: %s", folder.name, exc)
                    self.unreadable[folder.name] = identity
        return sorted(jobs, key=lambda job: (job.created_at, job.id))

    def signature(self) -> tuple[tuple[str, tuple[int, int, int]], ...]:
        """What changes whenever a job.json is written (atomically, so as a new file) or a job comes or goes.

        Costs a stat per job, where listing the store parses every job.json (about 0.2 ms each).
        """
        if not self.root.is_dir():
            return ()
        return tuple(sorted((folder.name, identity) for folder in self.root.iterdir()
                            if (identity := file_identity(folder / JOB_FILE)) is not None))

    def unfinished(self) -> list[Job]:
        """Every job the worker still has to take, in the order it takes them."""
        return queue_order(self.all())

    def find(self, identity: str) -> Job | None:
        """Given a job id, return its job, or None when there is none (or its job.json is unusable)."""
        folder = self.folder(identity)
        if not (folder / JOB_FILE).is_file():
            return None
        try:
            return self.load(folder)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("job %s has an unreadable job.json (%s); making it again", identity, exc)
            return None

    def add(self, job: Job, data: bytes, keep: dict[str, bytes] | None = None) -> None:
        """Given a new job, its book's bytes and other files to keep ({name: bytes}), store them all:
        the source copy first, then the others (the sidecar lexicon, an EPUB's cover), then job.json."""
        folder = self.folder(job)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / job.source["copy"], data)
        for name, content in (keep or {}).items():
            atomic_write(folder / name, content)
        self.save(job)
