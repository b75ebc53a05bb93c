"""Steering the queue: cancel, retry, next, pause and resume, with or without the daemon.

The mechanism is files in the job store, never a socket, because every command must work
whether the daemon runs or not, and survive restarts:
- whoever holds the store's lock (lock.py) is the only writer of `job.json`. With no
  daemon running, a command takes the lock for a moment and changes `job.json` itself;
- with the daemon running, a command leaves a request, `<jobs>/requests/<time>-<pid>.json`
  (written atomically), and waits a few seconds for the daemon to take it. The worker looks
  for requests between utterances (at most every POLL_SECONDS) and while idle, applies them
  in order and deletes them; a request the daemon had no time to take is taken at its next
  start;
- pause is one flag file, `<jobs>/paused`, that only the commands write: the worker checks it
  between utterances, leaves the running book (its work kept by a checkpoint) and takes no
  other until the file is gone. A paused daemon stays paused across restarts.
A socket would answer faster, but it is gone when the daemon is, and a request sent while the
daemon restarts would be lost.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from ..core import atomic_write, atomic_write_json, is_temp, shown
from .lock import holder, LockedError, StoreLock
from .store import Job, JobStatus, JobStore, requeue, UNFINISHED

log = logging.getLogger(__name__)

PAUSE_FILE = "paused"
REQUESTS = "requests"
POLL_SECONDS = 0.5
REPLY_SECONDS = 15.0
"""How long a command waits for the running daemon to take its request."""
ACTIONS = {
    "cancel": (frozenset(UNFINISHED), "only a queued, running, waiting or interrupted book can be cancelled"),
    "retry": (frozenset({JobStatus.FAILED, JobStatus.CANCELLED}), "only a failed or cancelled book can be retried"),
    "next": (frozenset(UNFINISHED | {JobStatus.CANCELLED, JobStatus.FAILED}),
             "a finished book cannot be moved to the front"),
}
"""Each action, the statuses it applies to, and what to say otherwise."""


class ControlError(ValueError):
    """A queue command that cannot be done, and why."""


def find_job(jobs: list[Job], ref: str, action: str) -> Job:
    """Given jobs and a book's name or job id (or a unique id prefix), return the job action is meant for.

    Several jobs of one name (other text, other settings) are narrowed to those the action
    applies to, newest first. Raise ControlError when none or several fit.
    """
    for job in jobs:
        if job.id == ref:
            return job
    named = [job for job in jobs if job.name in (ref, Path(ref).name)] or [job for job in jobs if job.id.startswith(ref)]
    if not named:
        raise ControlError(f"no book or job id {shown(ref)!r} in the job store; `kokoro-narrator status` lists them")
    fitting = [job for job in named if job.status in ACTIONS[action][0]]
    if len(fitting) > 1:
        ids = ", ".join(job.id for job in fitting)
        raise ControlError(f"several jobs match {shown(ref)!r} ({ids}); give the job id")
    return fitting[0] if fitting else max(named, key=lambda job: job.created_at)


def check(job: Job, action: str) -> None:
    """Raise ControlError when action does not apply to job in its status."""
    statuses, problem = ACTIONS[action]
    if job.status not in statuses:
        raise ControlError(f"{shown(job.name)} is {job.status}: {problem}")


def apply(store: JobStore, job: Job, action: str) -> str:
    """Given a job not being made and an action, change and save it (lock holder only); return what was done."""
    check(job, action)
    if action == "cancel":
        job.move(JobStatus.CANCELLED, "cancelled by the user")
        store.save(job)
        return f"cancelled {shown(job.name)} ({job.id}); `kokoro-narrator retry` queues it again"
    if action == "retry":
        requeue(store, job)
        return f"queued {shown(job.name)} ({job.id}) again"
    job.priority = 1 + max((other.priority for other in store.all() if other.id != job.id), default=0)
    store.save(job)
    if job.status not in UNFINISHED:
        return f"{shown(job.name)} ({job.id}) goes first once it is retried"
    return f"{shown(job.name)} ({job.id}) is next in the queue"


# ---------------------------------------------------------------------------- commands


def command(jobs_dir: Path, action: str, ref: str) -> str:
    """Run `kokoro-narrator cancel|retry|next REF`: return what was done; raise ControlError when it cannot be."""
    store = JobStore(jobs_dir)
    job = find_job(store.all(), ref, action)
    check(job, action)
    try:
        with StoreLock.acquire(jobs_dir, patience=0.3, write_pid=False):
            return apply(store, store.load(store.folder(job)), action)
    except LockedError as locked:
        return _ask_daemon(store, job, action, locked.pid)


def _ask_daemon(store: JobStore, job: Job, action: str, pid: int | None) -> str:
    folder = store.root / REQUESTS
    folder.mkdir(exist_ok=True)
    path = folder / f"{time.time_ns():020d}-{os.getpid()}.json"
    atomic_write_json(path, {"action": action, "job": job.id})
    deadline = time.monotonic() + REPLY_SECONDS
    taken = _wait_until(lambda: not path.exists(), deadline)
    # The daemon takes a cancel of the running book at once but stops it at its next
    # utterance: the answer waits for that, so it never reports the book as still running.
    if taken and action == "cancel":
        taken = _wait_until(lambda: store.load(store.folder(job)).status != JobStatus.RUNNING, deadline)
    if not taken:
        return (f"asked the daemon (PID {pid}) to {action} {shown(job.name)}; it does so at its next utterance, "
                f"unless the book is already being published (`kokoro-narrator status` shows what happened)")
    job = store.load(store.folder(job))
    return f"{action}: {shown(job.name)} ({job.id}) is now {job.status}" + (
        f", priority {job.priority}" if action == "next" else "")


def _wait_until(done, deadline: float) -> bool:
    """Poll `done()` until it is true (True) or the deadline passes (False)."""
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def set_paused(jobs_dir: Path, paused: bool) -> str:
    """Run `kokoro-narrator pause` or `resume`; return what was done."""
    flag = jobs_dir / PAUSE_FILE
    jobs_dir.mkdir(parents=True, exist_ok=True)
    if paused:
        atomic_write(flag, f"paused at {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
    else:
        flag.unlink(missing_ok=True)
    pid = holder(jobs_dir)
    state = "paused: the book in progress stops at its next utterance, its work kept" if paused else "resumed"
    return f"{state}" + (f" (daemon PID {pid})" if pid is not None else " (no daemon running; it starts that way)")


def is_paused(jobs_dir: Path) -> bool:
    return (jobs_dir / PAUSE_FILE).exists()


# ---------------------------------------------------------------------------- the daemon's side


class Steering:
    """The daemon's side: takes requests between utterances and answers the runner's `control(job)`."""

    def __init__(self, store: JobStore, poll_seconds: float = POLL_SECONDS):
        self.store = store
        self.poll_seconds = poll_seconds
        self.last_poll = float("-inf")
        self.cancel_running: str | None = None

    def paused(self) -> bool:
        return is_paused(self.store.root)

    def __call__(self, running: Job) -> str | None:
        """Given the job being made, return "cancel" or "pause" to leave it, or None to go on."""
        if time.monotonic() - self.last_poll >= self.poll_seconds:
            self.take_requests(running)
        if self.cancel_running == running.id:
            self.cancel_running = None
            return "cancel"
        return "pause" if self.paused() else None

    def take_requests(self, running: Job | None = None) -> int:
        """Apply every pending request in order (those for the running job through it); return how many."""
        self.last_poll = time.monotonic()
        folder = self.store.root / REQUESTS
        if not folder.is_dir():
            return 0
        requests = sorted(p for p in folder.iterdir() if p.suffix == ".json" and not is_temp(p))
        for path in requests:
            try:
                self._take(path, running)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("request %s not applied: %s", path.name, exc)
            path.unlink(missing_ok=True)
        return len(requests)

    def _take(self, path: Path, running: Job | None) -> None:
        request = json.loads(path.read_text(encoding="utf-8"))
        action, job_id = request["action"], request["job"]
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if running is not None and running.id == job_id:
            if action == "cancel":
                self.cancel_running = job_id
                log.info("cancel %s: it stops at its next utterance", shown(running.name))
            elif action == "next":
                running.priority = 1 + max((job.priority for job in self.store.all()), default=0)
            return
        job = self.store.load(self.store.folder(job_id))
        log.info("%s", apply(self.store, job, action))
