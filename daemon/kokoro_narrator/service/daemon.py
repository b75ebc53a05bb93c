"""The daemon: inbox → ingest → one worker → outbox, with systemd notification.

Threads, and what each owns:
- the watcher's threads only report complete-looking paths (`on_ready` → the ingest queue);
- the ingest thread reads a reported file (regular files only, never following links),
  copies it into a new job folder and wakes the worker; it never synthesizes;
- the worker thread owns the engine (or, with `[engines] backend = "ray"`, the pool of engines it
  starts at its start and stops at its end: engines/): it runs the first job of the queue
  (`jobs.queue_order`), one at a time; between utterances it beats the heartbeat
  (heartbeat.py), reports progress (STATUS= at most every STATUS_SECONDS, the log every
  LOG_SECONDS) and takes queue requests (jobs/steering.py);
- the main thread supervises: it takes the signals, sends READY=1 and STOPPING=1, feeds the
  systemd watchdog while the worker's heartbeat moves, and decides when the process exits.
The daemon holds the job store's lock (lock.py) for its whole life: a second daemon on the
same store exits at once. Signal handlers only set the stop event. The worker stops at its
next utterance, checkpoints the chunk in progress, and the job resumes at the next start.
SIGTERM always wins: a worker that has not stopped within `service.stop_timeout_seconds`
(or at a second signal) is left where it is stuck, its stack is logged, and the daemon exits
with EX_STUCK; everything on disk was written atomically, so the job resumes cleanly.
"""

from __future__ import annotations

import logging
import queue
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from ..core import age, beat, Config, remove_stale_temps, shown
from ..engines import EnginePool
from ..inbox import book_ended, create_job, InboxWatcher, job_settings, take_in
from ..jobs import (duration, Job, JobRunner, JobStatus, JobStore, leave_interrupted, Progress, requeue, Steering,
                    StoreLock)
from ..synthesis import release_freed_memory, TtsProvider
from .notify import Notifier, watchdog_interval

log = logging.getLogger(__name__)

STATUS_SECONDS = 2.0
"""Least time between two STATUS= lines while a book is made."""
LOG_SECONDS = 30.0
"""Least time between two progress lines in the log."""
LIST_SECONDS = 60.0
"""Most time the idle worker goes without listing the store (reading every job.json)."""
INGEST_WARN_SECONDS = 300.0
"""Taking in one book longer than this is warned about (a 20 MB book takes seconds)."""
UNREACHABLE_SECONDS = 30.0
"""How often the daemon tries again to reach a Ray cluster that could not be reached ([engines] on_unreachable = wait)."""
EX_STUCK = 75
"""sysexits.h EX_TEMPFAIL: the worker was stuck at stop and was left; the next start resumes its job."""


def describe_progress(progress: Progress, queued: int) -> str:
    """`Synthesizing alice.txt: 22% (4,400 of 20,000 chars, chunk 2/5), ETA 41 min; 2 queued`."""
    text = (f"Synthesizing {shown(progress.job.name)}: {progress.percent:.0f}% ({progress.chars_done:,} of "
            f"{progress.chars_total:,} chars, chunk {progress.chunk}/{progress.total}), ETA ")
    return text + f"{duration(progress.eta_seconds)}; {queued} queued"


class Daemon:
    """The long-running service. Build it with a loaded provider, then call `run()`."""

    def __init__(self, config: Config, provider: TtsProvider, notifier: Notifier | None = None,
                 space_wait_seconds: float = 30.0, lock: StoreLock | None = None):
        self.config = config
        self.provider = provider
        self.notifier = notifier or Notifier()
        self.store = JobStore(config.paths.jobs)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.paths: queue.Queue[Path | None] = queue.Queue()
        self.space_wait_seconds = space_wait_seconds
        self.steering = Steering(self.store)
        self.hurry = threading.Event()
        """A second signal: stop waiting for the worker."""
        self.runner = JobRunner(self.store, config, provider, self.stop, self._on_progress,
                                space_wait_seconds=space_wait_seconds, control=self.steering)
        self.lock = lock
        """The job store's lock; taken by `run()` when not given (cli takes it before loading the model)."""
        self.last_status = self.last_log = float("-inf")
        self.queued_count: int | None = None
        """Unfinished jobs besides `queued_for`, counted at `queued_at` (None: count again)."""
        self.queued_for, self.queued_at = "", float("-inf")
        self.ping_every = watchdog_interval()
        self.last_ping = float("-inf")
        self.stalled = False
        """Whether the watchdog pings have stopped because the worker does not move."""
        self.worker_error: BaseException | None = None
        self.ingest_since: float | None = None
        """When the ingest thread took the book it is reading (None: it waits for one)."""
        self.ingest_warned = False
        self.done_count = 0
        self.watcher: InboxWatcher | None = None
        self.broken: set[str] = set()
        """Jobs that hit an unexpected error in this daemon's life; skipped until the next start."""
        self.listed: list[Job] = []
        """The unfinished jobs as last listed (`_unfinished`), with the store's signature then."""
        self.listed_signature: tuple | None = None
        self.listed_at = float("-inf")
        self.latest_progress: Progress | None = None
        """The worker's latest progress report, as the page reads it (web/queue.py): set, never waited on."""
        self.web = None
        """The page's server (web/server.py) while `[web] enabled`; None with the page off."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def pool(self) -> EnginePool | None:
        """The pool of engines (backend = "ray"), once started by the worker thread: the runner's."""
        return self.runner.pool

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, number, frame) -> None:
        if self.stop.is_set():
            self.hurry.set()  # a second Ctrl-C or SIGTERM: do not wait for the worker
        self.stop.set()

    def run(self) -> int:
        """Serve until stopped; return the exit code (0 on a clean stop, EX_STUCK when the worker was left).

        Raise LockedError (before touching anything) when another daemon serves the job store.
        """
        paths = self.config.paths
        self.lock = self.lock or StoreLock.acquire(paths.jobs)
        try:
            return self._serve()
        finally:
            self.lock.release()

    def _serve(self) -> int:
        paths = self.config.paths
        for directory in (paths.inbox, paths.outbox, paths.jobs):
            directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(paths.outbox)
        self.steering.take_requests()  # left while no daemon ran
        self._supersede_changed_jobs()
        self.done_count = sum(job.status == "done" for job in self.store.all())
        self.web = self._start_web()  # before the other threads: a page that cannot listen stops the start
        self.watcher = watcher = InboxWatcher(paths.inbox, self.paths.put, self.config.watch.settle_seconds,
                                              self.config.watch.rescan_seconds)
        # Daemon threads: one stuck in a call must never keep the process from exiting.
        ingest = threading.Thread(target=self._ingest_loop, name="kokoro-ingest", daemon=True)
        worker = threading.Thread(target=self._work_or_record, name="kokoro-worker", daemon=True)
        ingest.start()
        watcher.start()
        beat()
        worker.start()
        self.notifier.ready()
        log.info("watching %s; audio goes to %s; jobs in %s", paths.inbox, paths.outbox, paths.jobs)
        try:
            self._supervise(worker)
        finally:
            self.stop.set()
            self.wake.set()
            self.notifier.stopping()
            log.info("stopping")
            code = self._wait_for(worker)
            watcher.stop()
            self.paths.put(None)
            ingest.join(timeout=5.0)
            if self.web is not None:
                self.web.stop(timeout=5.0)
            self.notifier.close()
        return code

    def _start_web(self):
        """Serve the page when `[web] enabled`; imported only then, so with it off the web stack never loads."""
        if not self.config.web.enabled:
            return None
        from ..web import start_web  # raises WebError, with the reason, when it cannot listen

        return start_web(self.config, self.store, lambda: self.latest_progress, self.wake.set)

    def _supervise(self, worker: threading.Thread) -> None:
        """Until a stop, or the worker's end: send held-back status lines, feed the watchdog."""
        tick = min(1.0, self.ping_every / 4) if self.ping_every else 1.0
        while worker.is_alive() and not self.stop.wait(tick):
            self.notifier.flush()
            self._feed_watchdog(worker)

    def _feed_watchdog(self, worker: threading.Thread) -> None:
        """Ping systemd (twice per interval) while the worker's heartbeat moves.

        A beat older than `ping_every` (half of WatchdogSec) stops the pings, so systemd acts
        at least WatchdogSec and at most 1.5 x WatchdogSec after the worker's last move.
        """
        if self.ping_every is None:
            return
        moment = time.monotonic()
        stalled = age() > self.ping_every
        if stalled and not self.stalled:
            log.error("the worker has not moved for %.0f s; watchdog pings stop, so systemd restarts the service "
                      "(its job resumes). It is in: %s", age(), thread_stack(worker))
        elif self.stalled and not stalled:
            log.info("the worker moves again; watchdog pings go on")
        self.stalled = stalled
        if not stalled and moment - self.last_ping >= self.ping_every / 2:
            self.notifier.watchdog()
            self.last_ping = moment
        self._warn_about_slow_ingest(moment)

    def _warn_about_slow_ingest(self, moment: float) -> None:
        """Say once when taking in a book lasts minutes (a dead network inbox): new books wait behind it.

        The worker goes on with the queue, so this does not stop the watchdog: a restart would
        only stop the book in progress and read the same file again.
        """
        since = self.ingest_since
        if since is None:
            self.ingest_warned = False
        elif moment - since > INGEST_WARN_SECONDS and not self.ingest_warned:
            self.ingest_warned = True
            log.warning("taking in a book has lasted %.0f s: does its file system answer? Books dropped after it "
                        "wait; the book in progress goes on", moment - since)

    def _wait_for(self, worker: threading.Thread) -> int:
        """Wait at most stop_timeout_seconds (or until a second signal) for the worker; return the exit code."""
        deadline = time.monotonic() + self.config.service.stop_timeout_seconds
        while worker.is_alive() and not self.hurry.is_set() and time.monotonic() < deadline:
            worker.join(0.1)
        if worker.is_alive():
            log.error("the worker did not stop within %.0f s; exiting without it. Everything it finished is on "
                      "disk (written atomically); its job resumes at the next start. It was stuck in: %s",
                      self.config.service.stop_timeout_seconds, thread_stack(worker))
            return EX_STUCK
        return 1 if self.worker_error is not None else 0

    def _work_or_record(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # the daemon cannot go on without its worker: stop, say why
            self.worker_error = exc
            log.exception("the worker stopped on an unexpected error; the daemon stops")

    def _work(self) -> None:
        if self.config.engines.backend == "ray":
            self._start_pool()
        try:
            self._serve_queue()
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def _start_pool(self) -> None:
        """backend = "ray": start the pool of engines (engines/). A cluster that cannot be reached is said in
        one line; then the daemon waits for it (STATUS= says why) or makes books with its local engine
        ([engines] on_unreachable)."""
        from ..engines import ENGINES_FILE, start_pool, Unreachable

        said = ""
        while not self.stop.is_set():
            try:
                self.runner.pool = start_pool(self.config, self.config.paths.jobs / ENGINES_FILE)
                return
            except Unreachable as exc:
                if self.config.engines.on_unreachable == "local":
                    log.error("%s; books are made by the local engine ([engines] on_unreachable = \"local\")", exc)
                    return
                if str(exc) != said:  # one line, not one a try
                    log.error("%s; trying again every %.0f s ([engines] on_unreachable = \"wait\")", exc,
                              UNREACHABLE_SECONDS)
                    said = str(exc)
                self.notifier.status(f"Waiting for the Ray cluster: {exc}")
                deadline = time.monotonic() + UNREACHABLE_SECONDS
                while time.monotonic() < deadline and not self.stop.wait(1.0):
                    beat()  # waiting for the cluster is the worker working: not stuck

    def _serve_queue(self) -> None:
        busy = False
        while not self.stop.is_set():
            beat()
            self.steering.take_requests()
            paused = self.steering.paused()
            job = None if paused else self._next_job()
            if job is None:
                if busy:  # the queue just ran dry: give the model's working memory back
                    release_freed_memory()
                    busy = False
                state = "Paused (kokoro-narrator resume)" if paused else "Idle"
                self.notifier.status(f"{state}; {self.done_count} book{'' if self.done_count == 1 else 's'} done"
                                     + self._queued_suffix() + self._engines_suffix())
                beat()
                self.wake.wait(timeout=self._idle_timeout())
                self.wake.clear()
                continue
            busy = True
            try:
                job = self.runner.run(job)
            except Exception as exc:  # e.g. job.json cannot be written (EIO): serve the other books
                log.exception("job %s stopped by an unexpected error; it is retried at the next start", job.name)
                self.broken.add(job.id)
                leave_interrupted(self.store, job, f"stopped by an unexpected error ({type(exc).__name__}: {exc}); "
                                                   "it is tried again at the next start")
                continue
            if job.status == "done":
                self.done_count += 1
            book_ended(self.config, self.store, job)  # inbox/done/ or inbox/failed/, then the on_done hook

    def _next_job(self) -> Job | None:
        for job in self._unfinished():
            if job.id not in self.broken:
                try:
                    return self.store.load(self.store.folder(job))  # its own copy: the listing is kept
                except (ValueError, TypeError, KeyError):  # what JobStore.all() skips as unreadable
                    continue  # unreadable since it was listed; the next listing warns
        return None

    def _unfinished(self) -> list[Job]:
        """The store's unfinished jobs in queue order, listed again only when a job.json changed.

        The idle worker asks every 2 s. While this daemon holds the store, only it writes job.json
        (queue commands come as requests), so an unchanged signature means an unchanged queue; a
        listing at least every LIST_SECONDS bounds what a missed change could cost.
        """
        signature, moment = self.store.signature(), time.monotonic()
        if signature != self.listed_signature or moment - self.listed_at >= LIST_SECONDS:
            self.listed = self.store.unfinished()
            self.listed_signature, self.listed_at = signature, moment
        return self.listed

    def _idle_timeout(self) -> float:
        """Seconds the idle worker sleeps: short enough that queue commands take effect within seconds."""
        return min(2.0, self.ping_every) if self.ping_every else 2.0

    # ------------------------------------------------------------------ ingest

    def _ingest_loop(self) -> None:
        while True:
            path = self.paths.get()  # the way out: _serve puts None at the stop
            if path is None or self.stop.is_set():
                return
            self.ingest_since = time.monotonic()
            try:
                self.ingest(path)
            except Exception:  # one bad book must never stop the daemon
                log.exception("could not take in %s; it is tried again at the next rescan", path)
                if self.watcher is not None:
                    self.watcher.forget(path)
            finally:
                self.ingest_since = None

    def ingest(self, path: Path) -> Job | None:
        """Given a complete-looking inbox file, make (or find) its job and wake the worker; return it (ingest.py)."""
        job = take_in(path, self.store, self.config, self.stop, self.space_wait_seconds, self.runner.space_margin)
        if job is not None:
            self.queued_count = None  # the status line counts it at the next progress report
            book_ended(self.config, self.store, job, run_hook=False)  # ended already (bad input, done before)
            self.wake.set()
        return job

    def _supersede_changed_jobs(self) -> None:
        """Unfinished jobs made with other settings restart from their own source copy."""
        for job in self.store.unfinished():
            book = job.source.get("book_settings")
            if job.settings == job_settings(self.config, book):
                continue
            data = (self.store.folder(job) / job.source["copy"]).read_bytes()
            new_job, _ = create_job(self.store, job.name, job.source["inbox_path"], data, self.config, book)
            if new_job.status == JobStatus.SUPERSEDED:  # the settings went back to the ones it was made with
                requeue(self.store, new_job)
            job.move(JobStatus.SUPERSEDED, f"settings changed; superseded by job {new_job.id}")
            self.store.save(job)
            log.info("job %s was made with other settings; %s continues as job %s", job.id, job.name, new_job.id)

    # ------------------------------------------------------------------ status

    def _engines_suffix(self) -> str:
        """`; engines: 1 host-a/cpu chunk 3, 2 host-b/cpu idle` with a pool, else nothing."""
        return f"; {self.pool.summary()}" if self.pool is not None else ""

    def _queued_suffix(self) -> str:
        waiting = len(self._unfinished()) + self.paths.qsize()
        return f"; {waiting} queued" if waiting else ""

    def _on_progress(self, progress: Progress) -> None:
        """Send STATUS= at most every STATUS_SECONDS and a log line every LOG_SECONDS."""
        self.latest_progress = progress  # one reference swap: the page reads it without a lock
        moment = time.monotonic()
        if moment - self.last_status < STATUS_SECONDS:
            return
        self.last_status = moment
        text = describe_progress(progress, self._queued_besides(progress.job.id)) + self._engines_suffix()
        self.notifier.status(text)
        if moment - self.last_log >= LOG_SECONDS:
            self.last_log = moment
            log.info("%s", text)

    def _queued_besides(self, job_id: str) -> int:
        """Unfinished jobs other than job_id, plus books waiting to be taken in.

        Counting jobs reads every job.json in the store (17 ms for 30 books here, more as the store
        grows), and progress comes every 2 s during synthesis: the count is kept until a book is
        taken in, another job reports, or LOG_SECONDS pass.
        """
        moment = time.monotonic()
        if self.queued_count is None or self.queued_for != job_id or moment - self.queued_at >= LOG_SECONDS:
            self.queued_count = sum(job.id != job_id for job in self.store.unfinished())
            self.queued_for, self.queued_at = job_id, moment
        return self.queued_count + self.paths.qsize()


def thread_stack(thread: threading.Thread) -> str:
    """Where a running thread is, outermost call first, on one line (log arguments stay one line).

    `_work (daemon.py:245) > run (jobs/runner.py:121) > ... > write (core/atomic.py:51)`.
    """
    frame = sys._current_frames().get(thread.ident or -1)
    if frame is None:
        return "(it has ended)"
    calls = traceback.extract_stack(frame)[3:]  # from the thread's target on, without threading's bootstrap
    return " > ".join(f"{call.name} ({Path(call.filename).name}:{call.lineno})" for call in calls)
