"""The daemon: inbox → ingest → one worker → outbox, with systemd notification.

Threads, and what each owns:
- the watcher's threads only report complete-looking paths (`on_ready` → the ingest queue);
- the ingest thread reads a reported file (regular files only, never following links),
  copies it into a new job folder and wakes the worker; it never synthesizes;
- the worker (the main thread) owns the engine: it runs the oldest unfinished job, one at a
  time, and pings the systemd watchdog between utterances.
Signal handlers only set the stop event; the worker stops at its next utterance, leaves
`job.json` consistent, and the job resumes at the next start.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from pathlib import Path

from .allocator import release_freed_memory
from .atomic import disk_free_bytes, remove_stale_temps
from .config import Config
from .engine import TtsProvider
from .jobs import Job, JobStore, audio_settings
from .notify import Notifier, watchdog_interval
from .runner import DISK_FULL, JobRunner, Progress, requeue
from .watcher import InboxWatcher, RefusedFile, read_regular_file

log = logging.getLogger(__name__)

MAX_BOOK_BYTES = 256 * 1024 * 1024


def describe_progress(progress: Progress, queued: int) -> str:
    """`Synthesizing alice.txt: chunk 7/31 (22%), ETA 41 min; 2 queued`."""
    current = min(progress.done + 1, progress.total)
    percent = 100 * progress.done // max(1, progress.total)
    text = f"Synthesizing {progress.job.name}: chunk {current}/{progress.total} ({percent}%)"
    if progress.eta_seconds is not None:
        text += f", ETA {format_duration(progress.eta_seconds)}"
    return text + f"; {queued} queued"


def format_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{max(1, round(seconds))} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Daemon:
    """The long-running service. Build it with a loaded provider, then call `run()`."""

    def __init__(self, config: Config, provider: TtsProvider, notifier: Notifier | None = None,
                 space_wait_seconds: float = 30.0):
        self.config = config
        self.provider = provider
        self.notifier = notifier or Notifier()
        self.store = JobStore(config.paths.jobs)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.paths: queue.Queue[Path | None] = queue.Queue()
        self.space_wait_seconds = space_wait_seconds
        self.runner = JobRunner(self.store, config, provider, self.stop, self._on_progress, self._alive,
                                space_wait_seconds=space_wait_seconds)
        self.ping_every = watchdog_interval()
        self.last_ping = 0.0
        self.done_count = 0
        self.watcher: InboxWatcher | None = None
        self.broken: set[str] = set()
        """Jobs that hit an unexpected error in this daemon's life; skipped until the next start."""

    # ------------------------------------------------------------------ lifecycle

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, frame: self.stop.set())

    def run(self) -> int:
        """Serve until stopped; return the exit code (0 on a clean stop)."""
        paths = self.config.paths
        for directory in (paths.inbox, paths.outbox, paths.jobs):
            directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(paths.outbox)
        self._supersede_changed_jobs()
        self.done_count = sum(job.status == "done" for job in self.store.all())
        self.watcher = watcher = InboxWatcher(paths.inbox, self.paths.put, self.config.watch.settle_seconds,
                                              self.config.watch.rescan_seconds)
        ingest = threading.Thread(target=self._ingest_loop, name="kokoro-ingest")
        ingest.start()
        watcher.start()
        self.notifier.ready()
        log.info("watching %s; audio goes to %s; jobs in %s", paths.inbox, paths.outbox, paths.jobs)
        try:
            self._work()
        finally:
            self.notifier.stopping()
            log.info("stopping")
            self.stop.set()
            watcher.stop()
            self.paths.put(None)
            ingest.join()
        return 0

    def _work(self) -> None:
        busy = False
        while not self.stop.is_set():
            job = self._next_job()
            if job is None:
                if busy:  # the queue just ran dry: give the model's working memory back
                    release_freed_memory()
                    busy = False
                self.notifier.status(f"Idle; {self.done_count} books done" + self._queued_suffix())
                self._alive(force=True)
                self.wake.wait(timeout=self._idle_timeout())
                self.wake.clear()
                continue
            busy = True
            try:
                job = self.runner.run(job)
            except Exception:  # e.g. job.json cannot be written (EIO): serve the other books
                log.exception("job %s stopped by an unexpected error; it is retried at the next start", job.name)
                self.broken.add(job.id)
                continue
            if job.status == "done":
                self.done_count += 1

    def _next_job(self) -> Job | None:
        unfinished = [job for job in self.store.unfinished() if job.id not in self.broken]
        return unfinished[0] if unfinished else None

    def _idle_timeout(self) -> float:
        return min(5.0, self.ping_every) if self.ping_every else 5.0

    # ------------------------------------------------------------------ ingest

    def _ingest_loop(self) -> None:
        while True:
            path = self.paths.get()
            if path is None or self.stop.is_set():
                return
            try:
                self.ingest(path)
            except Exception:  # one bad book must never stop the daemon
                log.exception("could not take in %s; it is tried again at the next rescan", path)
                if self.watcher is not None:
                    self.watcher.forget(path)

    def ingest(self, path: Path) -> Job | None:
        """Given a complete-looking inbox file, make (or find) its job; return it."""
        try:
            data, _ = read_regular_file(path, MAX_BOOK_BYTES)
        except RefusedFile as exc:
            log.warning("refused %s: %s", path.name, exc.reason)
            return None
        except FileNotFoundError:
            log.info("%s went away before it was read", path.name)
            return None
        name = path.name
        while True:  # a full disk waits here, before the job exists
            if disk_free_bytes(self.config.paths.jobs) < 2 * len(data) + self.runner.space_margin:
                log.warning("not enough free space in %s to take in %s; waiting", self.config.paths.jobs, name)
            else:
                try:
                    job, created = self.store.create(name, str(path), data, self.config)
                    break
                except OSError as exc:
                    if exc.errno not in DISK_FULL:
                        raise
                    log.warning("disk full while taking in %s; waiting", name)
            if self.stop.wait(self.space_wait_seconds):
                return None
        if created:
            log.info("queued %s as job %s (%d chunks)%s", name, job.id, len(job.chunks),
                     f"; failed: {job.error}" if job.status == "failed" else "")
        elif job.status == "failed" and job.chunks:
            log.info("%s failed before (%s); trying again", name, job.error)
            requeue(self.store, job)
        elif job.status == "done" and not Path((job.output or {}).get("wav", "")).exists():
            log.info("%s was done but its output is gone; making it again", name)
            requeue(self.store, job)
        else:
            log.info("%s is already %s (job %s)", name, job.status, job.id)
        self.wake.set()
        return job

    def _supersede_changed_jobs(self) -> None:
        """Unfinished jobs made with other settings restart from their own source copy."""
        current = audio_settings(self.config)
        for job in self.store.unfinished():
            if job.settings == current:
                continue
            data = (self.store.folder(job) / job.source["copy"]).read_bytes()
            new_job, _ = self.store.create(job.name, job.source["inbox_path"], data, self.config)
            job.status, job.error = "failed", f"settings changed; superseded by job {new_job.id}"
            self.store.save(job)
            log.info("job %s was made with other settings; %s continues as job %s", job.id, job.name, new_job.id)

    # ------------------------------------------------------------------ status

    def _queued_suffix(self) -> str:
        waiting = len(self.store.unfinished()) + self.paths.qsize()
        return f"; {waiting} queued" if waiting else ""

    def _on_progress(self, progress: Progress) -> None:
        queued = len(self.store.unfinished()) - 1 + self.paths.qsize()
        self.notifier.status(describe_progress(progress, max(0, queued)))
        self._alive()

    def _alive(self, force: bool = False) -> None:
        """Ping the systemd watchdog, at most twice per interval."""
        if self.ping_every is None:
            return
        moment = time.monotonic()
        if force or moment - self.last_ping >= self.ping_every / 2:
            self.notifier.watchdog()
            self.last_ping = moment
