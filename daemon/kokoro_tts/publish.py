"""Publish a finished job: join its chunks into the outbox WAV, write its JSON, record it done.

Order of durable steps (a crash at any point loses nothing, and publishing again is safe):
1. the output name is chosen once and recorded in `job.json` before anything is written;
2. the chunks are joined into `<book>.wav` (atomic);
3. `<book>.json` is written (atomic), then the job is recorded `done`, and only then are the
   chunk WAVs removed (unless `jobs.keep_chunks`).

A full disk is not a failure: every write goes through the runner's `durably`, which marks
the job `waiting` until space comes back.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from . import __version__
from .atomic import NAME_MAX, atomic_write_json, shorten_to_bytes
from .audio import SAMPLE_RATE, ConcatResult, Piece, concat_wavs
from .config import Config
from .jobs import Job, JobStore, now

log = logging.getLogger(__name__)


class Host(Protocol):
    """What publishing needs from the job runner: its config, store, provider and disk-full waits."""

    config: Config
    store: JobStore
    provider: Any

    def _durably(self, job: Job, action: Callable) -> Any: ...

    def _wait_for_space(self, job: Job, where: Path, needed: int) -> None: ...


def pieces_of(job: Job, folder: Path) -> list[Piece]:
    """Given a job whose chunks are done, return its chunk WAVs with the pause after each."""
    pieces = []
    for position, chunk in enumerate(job.chunks):
        following = job.chunks[position + 1] if position + 1 < len(job.chunks) else None
        if following is None:
            pause = 0.0
        elif following.chapter != chunk.chapter:
            pause = job.settings["chapter_pause"]
        else:
            pause = job.settings["paragraph_pause"]
        pieces.append(Piece(folder / chunk.wav_name, pause))
    return pieces


def publish(host: Host, job: Job, folder: Path) -> None:
    """Given a job whose chunks are all done, publish it to the outbox and record it done."""
    started = time.perf_counter()
    outbox = host.config.paths.outbox
    outbox.mkdir(parents=True, exist_ok=True)
    pieces = pieces_of(job, folder)
    needed = sum(piece.path.stat().st_size for piece in pieces)
    if job.output is None:
        job.output = {"wav": str(free_output_name(job, outbox))}
        host._durably(job, lambda: host.store.save(job))
    wav_path = Path(job.output["wav"])
    json_path = wav_path.with_suffix(".json")
    host._wait_for_space(job, outbox, needed)
    result = host._durably(job, lambda: concat_wavs(pieces, wav_path))
    concat_seconds = time.perf_counter() - started
    metadata = book_json(job, host.provider, result, concat_seconds)
    host._durably(job, lambda: atomic_write_json(json_path, metadata))
    job.output.update(json=str(json_path), audio_seconds=round(result.seconds, 3))
    job.status, job.finished_at = "done", now()
    host._durably(job, lambda: host.store.save(job))
    if not host.config.jobs.keep_chunks:
        for chunk in job.chunks:
            (folder / chunk.wav_name).unlink(missing_ok=True)
    log.info("job done: %s -> %s (%.1f s of audio, %.2fx real time)", job.name, wav_path,
             result.seconds, metadata["real_time_factor"])


def free_output_name(job: Job, outbox: Path) -> Path:
    """Given a job, return `<book>.wav` in outbox, or `<book> (2).wav` ... when another book owns that name."""
    stem = "".join(ch if ch.isprintable() else "_" for ch in Path(job.name).stem) or "book"
    stem = shorten_to_bytes(stem, NAME_MAX - len(" (9999).json"))
    for number in range(1, 10_000):
        candidate = outbox / (f"{stem}.wav" if number == 1 else f"{stem} ({number}).wav")
        owner = output_owner(candidate.with_suffix(".json"))
        if owner == job.id or (owner is None and not candidate.exists()):
            return candidate
    raise RuntimeError(f"no free output name for {job.name} in {outbox}; remove old books from it")


def output_owner(json_path: Path) -> str | None:
    """Given an output JSON path, return the id of the job that wrote it, None when absent, else "unknown"."""
    try:
        return json.loads(json_path.read_text(encoding="utf-8")).get("job_id")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        return "unknown"


def chapter_times(job: Job, result: ConcatResult) -> list[dict[str, Any]]:
    """Given a job and its join, return each chapter's index, title, start and end (seconds)."""
    chapters = []
    for chapter in job.chapters:
        positions = [i for i, chunk in enumerate(job.chunks) if chunk.chapter == chapter["index"]]
        if not positions:
            continue
        first, last = positions[0], positions[-1]
        end = result.starts[last] + job.chunks[last].frames / SAMPLE_RATE
        chapters.append({"index": chapter["index"], "title": chapter["title"],
                         "start_seconds": round(result.starts[first], 3), "end_seconds": round(end, 3)})
    return chapters


def book_json(job: Job, provider: Any, result: ConcatResult, concat_seconds: float) -> dict[str, Any]:
    """Given a published job, its provider and its join, return the content of `<book>.json`."""
    wall = job.synth_seconds + concat_seconds
    coverage_sent = sum((c.coverage or {}).get("sent", 0) for c in job.chunks)
    coverage_spoken = sum((c.coverage or {}).get("spoken", 0) for c in job.chunks)
    return {
        "job_id": job.id,
        "source": {key: job.source[key] for key in ("name", "size", "sha256", "encoding", "warnings")},
        "settings": job.settings,
        "model": job.settings["model"],
        "provider": provider.provider_name(),
        "device": getattr(provider, "device_label", "unknown"),
        "audio_seconds": round(result.seconds, 3),
        "wall_seconds": round(wall, 3),
        "real_time_factor": round(result.seconds / wall, 3) if wall else None,
        "characters": sum(chunk.chars for chunk in job.chunks),
        "letters_sent": coverage_sent,
        "letters_spoken": coverage_spoken,
        "chapters": chapter_times(job, result),
        "chunks": len(job.chunks),
        "format": {"samplerate": SAMPLE_RATE, "channels": 1, "container": result.format},
        "versions": {"kokoro_tts": __version__, "schema": job.schema_version, "chunker": job.chunker_version},
        "created_at": job.created_at,
        "finished_at": now(),
    }
