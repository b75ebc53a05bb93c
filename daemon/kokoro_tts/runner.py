"""Run one job to its end: resume, synthesize chunk by chunk, retry, join, publish.

Order of durable steps, so that a crash or kill at any point loses nothing:
1. leftover temp files are removed; finished chunks are verified, damaged ones reset;
2. each pending chunk is synthesized into `chunk_NNNN.wav` (atomic) and then recorded in
   `job.json`; a chunk whose WAV exists but is not recorded is simply made again (the
   audio is seeded from its content, so it comes out the same);
3. the output name is chosen once and recorded before anything is written to the outbox;
4. the chunks are joined into the outbox WAV (atomic), then its JSON is written (atomic),
   then the job is recorded `done`, and only then are the chunk WAVs removed.

A full disk is not a failure: the job is `waiting` until space comes back. Any other error
in a chunk is retried `retries` times, then the job is `failed` with the reason.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .atomic import disk_free_bytes, remove_stale_temps
from .audio import SAMPLE_RATE, AudioError, silence, wav_info, write_chunk_wav
from .config import Config
from .engine import Segment, TtsProvider
from .jobs import ChunkState, Job, JobStore, now, seconds_left
from .publish import publish

log = logging.getLogger(__name__)

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
# Headroom kept free on top of what a write needs, so the rest of the system keeps working.
SPACE_MARGIN = 64 * 1024 * 1024


class Interrupted(Exception):
    """The daemon is stopping; the job is left consistent and resumes on the next start."""


@dataclass(frozen=True)
class Progress:
    """Where the running job stands, for sd_notify STATUS and the log."""

    job: Job
    done: int
    total: int
    eta_seconds: float | None


class JobRunner:
    """Runs jobs with one warm provider; the only writer of job state while it runs."""

    def __init__(
        self,
        store: JobStore,
        config: Config,
        provider: TtsProvider,
        stop: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_alive: Callable[[], None] | None = None,
        space_wait_seconds: float = 30.0,
        space_margin: int = SPACE_MARGIN,
    ):
        self.store = store
        self.config = config
        self.provider = provider
        self.stop = stop or threading.Event()
        self.on_progress = on_progress or (lambda progress: None)
        self.on_alive = on_alive or (lambda: None)
        self.space_wait_seconds = space_wait_seconds
        self.space_margin = space_margin

    # ------------------------------------------------------------------ the job

    def run(self, job: Job) -> Job:
        """Given a queued, running or waiting job, take it as far as it can go and return it."""
        if job.status in ("done", "failed"):
            return job
        folder = self.store.folder(job)
        for stale in remove_stale_temps(folder):
            log.info("job %s: removed leftover temp file %s", job.id, stale.name)
        try:
            texts = self.store.chunk_texts(job)
        except (OSError, ValueError) as exc:
            return self._fail(job, f"cannot read the job's source copy: {exc}")
        job.status, job.error = "running", None
        job.started_at = job.started_at or now()
        self._durably(job, lambda: self.store.save(job))
        self._verify_done_chunks(job, folder)
        log.info("job start: %s (%d chunks, %d to do)", job.name, len(job.chunks),
                 sum(chunk.status != "done" for chunk in job.chunks))
        try:
            for chunk in job.chunks:
                if chunk.status == "done":
                    continue
                self._check_stop()
                self._report(job)
                if not self._chunk_with_retries(job, chunk, texts[chunk.index - 1], folder):
                    return self._fail(job, f"chunk {chunk.index} failed after {chunk.attempts} attempts: {chunk.error}")
            self._report(job)
            self._check_stop()
            self._publish(job, folder)
        except Interrupted:
            job.status = "queued"
            log.info("job %s stopped; it resumes at the next start", job.name)
            self._save_if_possible(job)
        return job

    def _fail(self, job: Job, reason: str) -> Job:
        job.status, job.error, job.finished_at = "failed", reason, now()
        log.error("job failed: %s: %s", job.name, reason)
        self._save_if_possible(job)
        return job

    def _save_if_possible(self, job: Job) -> None:
        """Record job state when the disk lets us; else job.json keeps its last good state."""
        try:
            self.store.save(job)
        except OSError as exc:
            log.error("could not update job.json of %s: %s", job.name, exc)

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise Interrupted()

    def _verify_done_chunks(self, job: Job, folder: Path) -> None:
        """A chunk recorded done must have its WAV, readable and of the recorded length."""
        changed = False
        for chunk in job.chunks:
            if chunk.status != "done":
                continue
            problem = self._chunk_problem(folder / chunk.wav_name, chunk)
            if problem:
                log.warning("job %s: chunk %d will be made again: %s", job.id, chunk.index, problem)
                chunk.status, chunk.error = "pending", problem
                changed = True
        if changed:
            self._durably(job, lambda: self.store.save(job))

    @staticmethod
    def _chunk_problem(path: Path, chunk: ChunkState) -> str | None:
        if not path.exists():
            return f"{path.name} is missing"
        try:
            info = wav_info(path)
        except AudioError as exc:
            return str(exc)
        if (info.samplerate, info.channels) != (SAMPLE_RATE, 1) or info.frames != chunk.frames:
            return f"{path.name} is {info.samplerate} Hz, {info.channels} ch, {info.frames} frames; expected {SAMPLE_RATE} Hz mono, {chunk.frames} frames"
        return None

    # ------------------------------------------------------------------ chunks

    def _chunk_with_retries(self, job: Job, chunk: ChunkState, text: str, folder: Path) -> bool:
        """Synthesize one chunk, retrying; return False when it failed for good."""
        allowed = 1 + self.config.jobs.retries
        while True:
            try:
                self._durably(job, lambda: self._synthesize(job, chunk, text, folder))
                return True
            except Interrupted:
                raise
            except Exception as exc:  # any failure of one chunk is retried, then recorded
                chunk.attempts += 1
                chunk.status, chunk.error = "failed", f"{type(exc).__name__}: {exc}"
                log.warning("chunk %d/%d of %s failed (attempt %d of %d): %s",
                            chunk.index, len(job.chunks), job.name, chunk.attempts, allowed, chunk.error)
                self._save_if_possible(job)
                if chunk.attempts >= allowed:
                    return False
                chunk.status = "pending"

    def _synthesize(self, job: Job, chunk: ChunkState, text: str, folder: Path) -> None:
        self._wait_for_space(job, folder, len(text) * 8000)  # ~2 bytes a sample, generous per char
        started = time.perf_counter()
        coverage = {"sent": 0, "spoken": 0, "dropped": []}
        segments = self.provider.synthesize_chunk(text, job.settings["voice"], job.settings["speed"])
        audio = self._with_pauses(segments, coverage, self.config.jobs.paragraph_pause)
        info = write_chunk_wav(folder / chunk.wav_name, audio)
        elapsed = time.perf_counter() - started
        chunk.status, chunk.error = "done", None
        chunk.attempts += 1
        chunk.frames, chunk.audio_seconds = info.frames, round(info.frames / SAMPLE_RATE, 3)
        chunk.synth_seconds = round(elapsed, 3)
        chunk.coverage = coverage
        job.synth_seconds = round(job.synth_seconds + elapsed, 3)
        self.store.save(job)
        if coverage["spoken"] < coverage["sent"]:
            log.warning("chunk %d/%d of %s: %d of %d letters were not spoken: %s", chunk.index, len(job.chunks),
                        job.name, coverage["sent"] - coverage["spoken"], coverage["sent"], coverage["dropped"][:10])
        log.info("chunk done: %s %d/%d, %.1f s audio in %.1f s (%.2fx real time)", job.name, chunk.index,
                 len(job.chunks), info.seconds, elapsed, info.seconds / elapsed if elapsed else 0.0)

    def _with_pauses(self, segments: Iterable[Segment], coverage: dict, pause: float) -> Iterator[np.ndarray]:
        """Yield the segments' audio with a pause between paragraphs; tally coverage.

        Checks for a stop between segments: an interrupted chunk is discarded whole (its
        temp file removed) and made again at the next start.
        """
        pending_pause = False
        for segment in segments:
            self._check_stop()
            self.on_alive()
            coverage["sent"] += segment.coverage.sent
            coverage["spoken"] += segment.coverage.spoken
            coverage["dropped"] += list(segment.coverage.dropped)
            if segment.audio.size == 0:
                pending_pause = pending_pause or segment.ends_paragraph
                continue
            if pending_pause:
                yield silence(pause)
            yield segment.audio
            pending_pause = segment.ends_paragraph

    # ------------------------------------------------------------------ output

    def _publish(self, job: Job, folder: Path) -> None:
        publish(self, job, folder)

    # ------------------------------------------------------------------ disk and progress

    def _durably(self, job: Job, action: Callable):
        """Run action; while the disk is full, mark the job waiting and try again later."""
        while True:
            try:
                return action()
            except OSError as exc:
                if exc.errno not in DISK_FULL:
                    raise
                self._wait(job, f"disk full ({exc.strerror or exc})")

    def _wait_for_space(self, job: Job, where: Path, needed: int) -> None:
        while disk_free_bytes(where) < needed + self.space_margin:
            self._wait(job, f"not enough free space in {where}: need {(needed + self.space_margin) // 2**20} MiB")

    def _wait(self, job: Job, reason: str) -> None:
        previous = job.status
        job.status, job.error = "waiting", reason
        log.warning("job %s waiting: %s; trying again in %.0f s", job.name, reason, self.space_wait_seconds)
        try:
            self.store.save(job)
        except OSError:
            pass  # the disk is full: job.json keeps its last good state
        if self.stop.wait(self.space_wait_seconds):
            raise Interrupted()
        job.status, job.error = previous if previous != "waiting" else "running", None

    def _report(self, job: Job) -> None:
        done = sum(chunk.status == "done" for chunk in job.chunks)
        self.on_progress(Progress(job, done, len(job.chunks), seconds_left(job)))


def requeue(store: JobStore, job: Job) -> Job:
    """Give a failed job another go: reset its failed chunks' attempts and queue it."""
    for chunk in job.chunks:
        if chunk.status == "failed":
            chunk.status, chunk.attempts = "pending", 0
    job.status, job.error, job.finished_at = "queued", None, None
    store.save(job)
    return job

