"""Run one job to its end: resume, synthesize chunk by chunk, retry, join, publish.

Order of durable steps, so that a crash or kill at any point loses little:
1. leftover temp files are removed; finished chunks are verified, damaged ones reset;
2. each pending chunk is synthesized into `chunk_NNNN.wav` (atomic) and then recorded in
   `job.json`. Inside a chunk, the audio made so far is kept in `chunk_NNNN.partial` and
   checkpointed every `jobs.checkpoint_seconds` (checkpoint.py): a stop, pause, cancel or
   kill loses at most that much work, and the resumed chunk is byte-identical to an
   uninterrupted one (the audio is seeded from its content and its model call's number);
3. publish.py joins the chunks into the outbox and records the job `done`.

A full disk is not a failure: the job is `waiting` until space comes back. Any other error
in a chunk, or while publishing, is retried `retries` times, then the job is `failed` with
the reason; its finished chunks stay, so queueing it again publishes without synthesizing.
The job's status only moves through `Job.move` (the state machine in store.py).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..audio import SAMPLE_RATE, wav_info, write_chunk_wav
from ..core import atomic_write, beat, Config, DISK_FULL, remove_stale_temps, wait_for_space
from ..engines import (add_segment, Dispatch, Done, EnginePool, Failed, local_path, Refused, segments, synthesis_args,
                       Task)
from ..synthesis import Segment, TtsProvider
from .checkpoint import discard, PartialAudio, reset_damaged_chunks, words_path, write_chunk_words
from .progress import history_speed, measure, MIN_TIMED_CHARS, Progress, seconds_left, total_chars
from .publish import measure_chunk, publish
from .store import ChunkState, Job, JobStatus, JobStore, now, UNFINISHED
from .texts import book_texts, BookTexts

__all__ = ["Interrupted", "JobRunner", "leave_interrupted"]

log = logging.getLogger(__name__)

# Headroom kept free on top of what a write needs, so the rest of the system keeps working.
SPACE_MARGIN = 64 * 1024 * 1024
# Disk needed per character of a chunk: its 16-bit WAV and its float32 .partial (~1,600 samples a character).
BYTES_PER_CHAR = 12_000

POOL_WAIT_SECONDS = 0.5
"""Most time the runner waits for a pool's answer before it looks at stop, pause and cancel again."""

STOP, PAUSE, CANCEL = "stop", "pause", "cancel"
AFTER = {STOP: JobStatus.INTERRUPTED, PAUSE: JobStatus.QUEUED, CANCEL: JobStatus.CANCELLED}
"""Where a job goes when the worker leaves it for each reason."""


class Interrupted(Exception):
    """The worker leaves the job at an utterance boundary: `reason` is stop, pause or cancel."""

    def __init__(self, reason: str = STOP):
        super().__init__(reason)
        self.reason = reason


class JobRunner:
    """Runs jobs with one warm provider; the only writer of job state while it runs.

    `control(job)` is asked between utterances whether to leave the job: it returns None,
    "pause" or "cancel" (steering.py); the `stop` event means the daemon is stopping.
    """

    def __init__(
        self,
        store: JobStore,
        config: Config,
        provider: TtsProvider,
        stop: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        space_wait_seconds: float = 30.0,
        space_margin: int = SPACE_MARGIN,
        control: Callable[[Job], str | None] | None = None,
        retry_wait_seconds: float = 5.0,
        pool: EnginePool | None = None,
    ):
        self.store = store
        self.config = config
        self.local = provider
        """The warm engine in this process: it makes the chunks unless a pool does."""
        self.stop = stop or threading.Event()
        self.on_progress = on_progress or (lambda progress: None)
        self.control = control or (lambda job: None)
        self.space_wait_seconds = space_wait_seconds
        self.retry_wait_seconds = retry_wait_seconds
        self.space_margin = space_margin
        self.fallback_speed: float | None = None
        """Characters per second of the last books, for the ETA until this book's own speed is known."""
        self.wall_mark = 0.0
        """When the pool's last chunk was kept (perf_counter): the job's seconds are the pool's wall time."""
        self.pool = pool
        """A pool of engines (engines/, backend = "ray") that makes the chunks instead of provider; None: local."""

    @property
    def provider(self) -> TtsProvider | EnginePool:
        """Who makes the chunks (publishing names it in book.json): the pool when there is one, else the local engine."""
        return self.pool if self.pool is not None else self.local

    # ------------------------------------------------------------------ the job

    def run(self, job: Job) -> Job:
        """Given an unfinished job, take it as far as it can go (done, failed, or left) and return it."""
        if job.status not in UNFINISHED:
            return job
        folder = self.store.folder(job)
        for stale in remove_stale_temps(folder):
            log.info("job %s: removed leftover temp file %s", job.id, stale.name)
        try:
            texts = book_texts(self.store, job)  # read once: the chunks speak it, publishing times it
        except (OSError, ValueError) as exc:
            return self._fail(job, f"cannot read the job's source copy: {exc}")
        job.move(JobStatus.RUNNING)
        job.started_at = job.started_at or now()
        self._durably(job, lambda: self.store.save(job))
        if reset_damaged_chunks(job, folder):
            self._durably(job, lambda: self.store.save(job))
        self.fallback_speed = history_speed(self.store.all())
        log.info("job start: %s (%d chunks, %d to do)", job.name, len(job.chunks),
                 sum(chunk.status != "done" for chunk in job.chunks))
        try:
            make = self._chunks_on_pool if self.pool is not None else self._chunks_here
            failed = make(job, texts, folder)
            if failed is not None:
                return self._fail(job, failed)
            self._report(job, len(job.chunks))
            self._check_interrupt(job)
            return self._publish_with_retries(job, folder, texts)
        except Interrupted as stop:
            job.move(AFTER[stop.reason], "cancelled by the user" if stop.reason == CANCEL else None)
            log.info("job %s left (%s): %s", job.name, stop.reason, {
                STOP: "it resumes at the next start", PAUSE: "the daemon is paused",
                CANCEL: "it is not made unless retried"}[stop.reason])
            self._save_if_possible(job)
        return job

    def _fail(self, job: Job, reason: str) -> Job:
        job.status = JobStatus.RUNNING if job.status == JobStatus.DONE else job.status  # done only once saved
        job.move(JobStatus.FAILED, reason)
        log.error("job failed: %s: %s", job.name, reason)
        self._save_if_possible(job)
        return job

    def _save_if_possible(self, job: Job) -> None:
        """Record job state when the disk lets us; else job.json keeps its last good state."""
        try:
            self.store.save(job)
        except OSError as exc:
            log.error("could not update job.json of %s: %s", job.name, exc)

    def _check_interrupt(self, job: Job) -> None:
        if self.stop.is_set():
            raise Interrupted(STOP)
        reason = self.control(job)
        if reason:
            raise Interrupted(reason)

    # ------------------------------------------------------------------ chunks

    def _chunks_here(self, job: Job, texts: BookTexts, folder: Path) -> str | None:
        """Make every pending chunk with the local engine, in order; return why the job fails, or None."""
        here = local_path(self.local) if job.engine_path else None
        if here is not None and here != job.engine_path:  # chunks made on a pool: never mix two numeric paths
            return (f"its chunks so far were made on the numeric path {job.engine_path}, this engine's is {here}; "
                    f"a job's chunks never mix two: set [engines] backend = \"ray\" again, or make this engine alike")
        for chunk in job.chunks:
            if chunk.status == "done":
                continue
            self._check_interrupt(job)
            self._report(job, chunk.index)
            if not self._chunk_with_retries(job, chunk, texts.spoken[chunk.index - 1], folder):
                return f"chunk {chunk.index} failed after {chunk.attempts} attempts: {chunk.error}"
        return None

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
                discard(folder, chunk)  # a failed attempt's kept audio is not trusted
                log.warning("chunk %d/%d of %s failed (attempt %d of %d): %s",
                            chunk.index, len(job.chunks), job.name, chunk.attempts, allowed, chunk.error)
                self._save_if_possible(job)
                if chunk.attempts >= allowed:
                    return False
                chunk.status = "pending"

    def _synthesize(self, job: Job, chunk: ChunkState, text: str, folder: Path) -> None:
        self._wait_for_space(job, folder, len(text) * BYTES_PER_CHAR)
        partial = PartialAudio.open(folder, chunk)
        kept = partial.checkpoint
        if partial.resumed_from:
            log.info("chunk %d/%d of %s resumes at model call %d (%d of %d characters kept)", chunk.index,
                     len(job.chunks), job.name, kept.calls, kept.chars, chunk.chars)
        started, earlier = time.perf_counter(), kept.seconds
        try:
            info = write_chunk_wav(folder / chunk.wav_name, self._chunk_audio(job, chunk, text, partial, started))
            write_chunk_words(words_path(folder, chunk), partial.words, SAMPLE_RATE)
        finally:
            partial.close()
        elapsed = earlier + time.perf_counter() - started
        chunk.status, chunk.error, chunk.checkpoint = "done", None, None
        chunk.attempts += 1
        chunk.words = len(partial.words)
        chunk.frames, chunk.audio_seconds = info.frames, round(info.frames / SAMPLE_RATE, 3)
        chunk.synth_seconds = round(elapsed, 3)
        chunk.coverage = coverage = kept.coverage
        measure_chunk(chunk, folder)  # loudness, as the chunk is made (publish.py sums these)
        job.synth_seconds = round(job.synth_seconds + elapsed, 3)
        self._durably(job, lambda: self.store.save(job))  # a full disk here waits: never make the chunk again
        partial.remove()
        if coverage["spoken"] < coverage["sent"]:
            log.warning("chunk %d/%d of %s: %d of %d letters were not spoken: %s", chunk.index, len(job.chunks),
                        job.name, coverage["sent"] - coverage["spoken"], coverage["sent"], coverage["dropped"][:10])
        log.info("chunk done: %s %d/%d, %.1f s audio in %.1f s (%.2fx real time)", job.name, chunk.index,
                 len(job.chunks), info.seconds, elapsed, info.seconds / elapsed if elapsed else 0.0)

    def _chunk_audio(self, job: Job, chunk: ChunkState, text: str, partial: PartialAudio,
                     started: float) -> Iterator[np.ndarray]:
        """Yield the chunk's audio: the kept pieces, then new segments with a pause between paragraphs.

        Between segments it asks whether to leave the job (stop, pause, cancel: the work so
        far is checkpointed first), reports progress, and checkpoints every checkpoint_seconds.
        """
        kept = partial.checkpoint
        earlier = kept.seconds
        offset = 0  # samples of the chunk so far: where the next piece starts, for its words' times
        for piece in partial.replay():
            offset += len(piece)
            yield piece
        segments = self._segments(job, text, kept.calls)
        last_commit = time.monotonic()
        while True:
            kept.seconds = earlier + time.perf_counter() - started
            try:
                self._check_interrupt(job)
            except Interrupted:
                self._commit(job, chunk, partial)
                raise
            segment = next(segments, None)
            if segment is None:
                return
            beat()
            pieces, words = add_segment(kept, segment, offset, chunk.chars, self.config.jobs.paragraph_pause)
            for piece in pieces:
                partial.append(piece)
            partial.append_words(words)
            offset += sum(len(piece) for piece in pieces)
            yield from pieces
            kept.seconds = earlier + time.perf_counter() - started
            if time.monotonic() - last_commit >= self.config.jobs.checkpoint_seconds:
                self._commit(job, chunk, partial)
                last_commit = time.monotonic()
            self._report(job, chunk.index, (chunk.index, kept.chars, kept.seconds))

    def _segments(self, job: Job, text: str, start: int) -> Iterator[Segment]:
        """The provider's segments from model call `start` on, in the job's own voice and lang_code, with the
        chunk's quotations in the dialogue or a character's voice (engines/assembly.py)."""
        args = synthesis_args(job.settings, job.source.get("cast") or (), text)
        return segments(self.local, text, args, start)

    def _commit(self, job: Job, chunk: ChunkState, partial: PartialAudio) -> None:
        """Make the chunk's audio so far durable, then record the checkpoint in job.json."""
        chunk.checkpoint = partial.commit()
        self.store.save(job)
        log.debug("checkpoint: %s chunk %d at model call %d", job.name, chunk.index, partial.checkpoint.calls)

    # ------------------------------------------------------------------ chunks on a pool of engines

    def _chunks_on_pool(self, job: Job, texts: BookTexts, folder: Path) -> str | None:
        """Make every pending chunk on the pool, in any order; return why the job fails, or None.

        The pool's workers make the audio; this thread alone writes chunk_NNNN.wav and job.json, as
        the local path does. A chunk's own failure is retried `retries` times, on whichever worker;
        a stop, pause or cancel leaves the chunks in flight (kept if they finish within the pool's
        close) and raises Interrupted.
        """
        allowed = 1 + self.config.jobs.retries
        dispatch = self.pool.dispatch(job.id, {"precision": job.settings.get("precision"),
                                               "backend": job.settings.get("backend")}, job.engine_path, allowed)
        pending = [chunk for chunk in job.chunks if chunk.status != "done"]
        tasks = {}
        for chunk in pending:
            text = texts.spoken[chunk.index - 1]
            tasks[chunk.index] = Task(chunk.index, text, chunk.chars,
                                      synthesis_args(job.settings, job.source.get("cast") or (), text))
            dispatch.submit(tasks[chunk.index])
        self.wall_mark = time.perf_counter()
        try:
            while dispatch.pending:
                self._check_interrupt(job)
                beat()
                try:
                    outcome = dispatch.next(POOL_WAIT_SECONDS)
                except Refused as exc:
                    return str(exc)
                if isinstance(outcome, Failed):
                    chunk = job.chunks[outcome.index - 1]
                    if not self._pool_chunk_failed(job, chunk, outcome, folder, allowed):
                        return f"chunk {chunk.index} failed after {chunk.attempts} attempts: {chunk.error}"
                    dispatch.submit(tasks[chunk.index])
                elif outcome is not None:
                    self._keep_pool_chunk(job, outcome, folder)
                self._report_pool(job, dispatch)  # after the outcome is kept: its chunk counts as done, not as 0
        except Interrupted:
            for done in dispatch.close():  # finished while the others left: keep them
                self._keep_pool_chunk(job, done, folder)
            raise
        finally:
            dispatch.close()
            self.pool.write_status({"id": job.id, "name": job.name}, force=True)
        return None

    def _pool_chunk_failed(self, job: Job, chunk: ChunkState, outcome: Failed, folder: Path, allowed: int) -> bool:
        """Record a chunk's failed attempt; return whether it may be tried again."""
        chunk.attempts += 1
        chunk.status, chunk.error = "failed", outcome.error
        discard(folder, chunk)  # what a local run kept inside it is not trusted after a failure, as locally
        log.warning("chunk %d/%d of %s failed on %s (attempt %d of %d): %s", chunk.index, len(job.chunks), job.name,
                    outcome.worker, chunk.attempts, allowed, chunk.error)
        self._save_if_possible(job)
        if chunk.attempts >= allowed or outcome.final:
            return False
        chunk.status = "pending"
        return True

    def _keep_pool_chunk(self, job: Job, done: Done, folder: Path) -> None:
        """Write a chunk a worker made (its WAV bytes, words) and record it in job.json, as the local path does."""
        chunk = job.chunks[done.index - 1]
        if chunk.status == "done":
            log.warning("chunk %d of %s came back twice; the second is dropped", chunk.index, job.name)
            return
        self._durably(job, lambda: self._write_pool_chunk(job, chunk, done, folder))
        moment = time.perf_counter()  # the job's seconds are the pool's wall time: its speed is the pool's
        job.synth_seconds = round(job.synth_seconds + moment - self.wall_mark, 3)
        self.wall_mark = moment
        self._durably(job, lambda: self.store.save(job))  # a full disk here waits: never make the chunk again
        discard(folder, chunk)  # what a local run kept inside this chunk is not needed any more
        log.info("chunk done: %s %d/%d on %s, %.1f s audio in %.1f s", job.name, chunk.index, len(job.chunks),
                 done.worker, chunk.audio_seconds, done.seconds)

    def _write_pool_chunk(self, job: Job, chunk: ChunkState, done: Done, folder: Path) -> None:
        self._wait_for_space(job, folder, len(done.wav) + len(done.words) * 32)
        atomic_write(folder / chunk.wav_name, done.wav)
        info = wav_info(folder / chunk.wav_name)
        write_chunk_words(words_path(folder, chunk), done.words, SAMPLE_RATE)
        chunk.status, chunk.error, chunk.checkpoint = "done", None, None
        chunk.attempts += 1
        chunk.words = len(done.words)
        chunk.frames, chunk.audio_seconds = info.frames, round(info.frames / SAMPLE_RATE, 3)
        chunk.synth_seconds = round(done.seconds, 3)
        chunk.coverage, chunk.loudness = done.coverage, done.loudness
        job.engine_path = done.path

    def _report_pool(self, job: Job, dispatch: Dispatch) -> None:
        """Progress summed over the workers; the ETA from the pool's own speed (wall time) once measured."""
        live = {index: chars for index, chars in dispatch.in_flight()}
        done = sum(chunk.chars if chunk.status == "done" else min(chunk.chars, live.get(chunk.index, 0))
                   for chunk in job.chunks)
        spent = job.synth_seconds + time.perf_counter() - self.wall_mark
        made = sum(chunk.chars for chunk in job.chunks if chunk.status == "done")
        speed = made / spent if made >= MIN_TIMED_CHARS and spent > 0 else self.fallback_speed
        eta = round(max(0, total_chars(job) - done) / speed, 1) if speed else None
        chunk = min(live) if live else next((c.index for c in job.chunks if c.status != "done"), len(job.chunks))
        self.on_progress(Progress(job, done, total_chars(job), chunk, eta))
        self.pool.write_status({"id": job.id, "name": job.name, "chars_done": done, "chars": total_chars(job),
                                "chars_per_second": round(speed, 1) if speed else None, "eta_seconds": eta})

    def _publish_with_retries(self, job: Job, folder: Path, texts: BookTexts) -> Job:
        """Publish; a full disk waits, any other error is retried, then fails the job with the reason."""
        allowed = 1 + self.config.jobs.retries
        for attempt in range(1, allowed + 1):
            try:
                self._publish(job, folder, texts)
                return job
            except Interrupted:
                raise
            except Exception as exc:  # the chunks stay: a later attempt publishes without synthesizing
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("publishing %s failed (attempt %d of %d): %s", job.name, attempt, allowed, reason)
                job.status = JobStatus.RUNNING  # the worker still has it, whatever publish got to
                beat()
                if attempt < allowed and self.stop.wait(self.retry_wait_seconds):
                    raise Interrupted(STOP) from None
        return self._fail(job, f"could not publish: {reason}; its audio is kept: fix the cause, then drop the "
                               f"book in the inbox again or run `kokoro-narrator retry`")

    # ------------------------------------------------------------------ output

    def _publish(self, job: Job, folder: Path, texts: BookTexts) -> None:
        publish(self, job, folder, texts)

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
        wait_for_space(where, needed, self.space_margin, lambda reason: self._wait(job, reason))  # raises Interrupted on stop

    def _wait(self, job: Job, reason: str) -> None:
        recording_done = job.status == JobStatus.DONE  # publish's last save: done is not on disk yet
        if not recording_done:
            job.move(JobStatus.WAITING, reason)
        log.warning("job %s waiting: %s; trying again in %.0f s", job.name, reason, self.space_wait_seconds)
        try:
            self.store.save(job)
        except OSError:
            pass  # the disk is full: job.json keeps its last good state
        beat()  # waiting for space is the worker working: not stuck
        if self.stop.wait(self.space_wait_seconds):
            raise Interrupted(STOP)
        beat()
        if not recording_done:
            job.move(JobStatus.RUNNING)

    def _report(self, job: Job, chunk: int, live: tuple[int, int, float] | None = None) -> None:
        """Tell on_progress where the job stands: characters done, and the ETA once the speed is known."""
        done, _, _ = measure(job, live)
        self.on_progress(Progress(job, done, total_chars(job), chunk, seconds_left(job, self.fallback_speed, live)))


def leave_interrupted(store: JobStore, job: Job, reason: str) -> None:
    """Given a job its worker left by an unexpected error, record it interrupted (never `running`) if the disk lets us."""
    if job.status not in UNFINISHED and job.status != JobStatus.DONE:
        return
    try:
        if store.load(store.folder(job)).status == JobStatus.DONE:
            return  # published and recorded: the error came after
    except ValueError:
        pass
    job.status = JobStatus.RUNNING  # whatever the worker got to, including a `done` that was never saved
    job.move(JobStatus.INTERRUPTED, reason)
    try:
        store.save(job)
    except OSError as exc:
        log.error("could not update job.json of %s: %s", job.name, exc)
