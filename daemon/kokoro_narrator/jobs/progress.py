"""Progress and `kokoro-narrator status`: what the daemon is doing, from the job folders and the store's lock.

The progress math (characters done, measured speed, ETA) is here, used both by the runner
while it makes a book (`Progress`, sent to systemd and the log) and by `status`.

It needs no running daemon: every job's `job.json` says where it stands, and the lock
(lock.py) says whether a daemon is at work. A job recorded `running` or `waiting` while no
daemon holds the lock was cut off (kill -9, power cut): it is shown as interrupted, resuming
at the next start. Progress is counted in characters, including the checkpoint inside the
chunk in progress (it moves every `jobs.checkpoint_seconds`); the ETA comes from the book's
own measured speed, else the last books' on this machine, else it says "estimating".
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from .steering import is_paused
from .store import UNFINISHED, Job, JobStatus, JobStore, queue_order
from .lock import holder
from ..inbox.watcher import BOOK_SUFFIXES, shown

def total_chars(job: Job) -> int:
    return sum(chunk.chars for chunk in job.chunks)


def measure(job: Job, live: tuple[int, int, float] | None = None) -> tuple[int, int, float]:
    """Given a job, return (characters done, characters timed, seconds they took).

    Finished chunks count whole; an unfinished chunk counts its checkpoint, or `live`
    (chunk index, characters, seconds) for the chunk the worker is making right now.
    """
    done = timed = 0
    seconds = 0.0
    for chunk in job.chunks:
        if chunk.status == "done":
            done += chunk.chars
            if chunk.synth_seconds:
                timed, seconds = timed + chunk.chars, seconds + chunk.synth_seconds
            continue
        if live is not None and live[0] == chunk.index:
            chars, spent = live[1], live[2]
        else:
            chars, spent = (chunk.checkpoint or {}).get("chars", 0), (chunk.checkpoint or {}).get("seconds", 0.0)
        chars = min(chunk.chars, chars)
        done += chars
        if spent:
            timed, seconds = timed + chars, seconds + spent
    return done, timed, seconds


def history_speed(jobs: list[Job]) -> float | None:
    """Given jobs, return characters per synthesis second over the last finished ones (None when none)."""
    finished = [job for job in jobs if job.status == JobStatus.DONE and job.synth_seconds > 0]
    finished.sort(key=lambda job: job.finished_at or 0)
    chars = sum(total_chars(job) for job in finished[-5:])
    seconds = sum(job.synth_seconds for job in finished[-5:])
    return chars / seconds if seconds > 0 and chars > 0 else None


MIN_TIMED_CHARS = 200
"""A job's own speed is trusted once this many of its characters have been timed."""


def seconds_left(job: Job, fallback_speed: float | None = None,
                 live: tuple[int, int, float] | None = None) -> float | None:
    """Estimate the synthesis seconds left for job; None while the speed is not known ("estimating").

    The speed is this job's own (see `measure`) once MIN_TIMED_CHARS are timed, else
    fallback_speed: the last books' speed on this machine (`history_speed`).
    """
    done, timed, seconds = measure(job, live)
    speed = timed / seconds if timed >= MIN_TIMED_CHARS and seconds > 0 else fallback_speed
    if not speed:
        return None
    return round(max(0, total_chars(job) - done) / speed, 1)


@dataclass(frozen=True)
class Progress:
    """Where the job being made stands, inside its chunk too: what the runner reports to the service."""

    job: Job
    chars_done: int
    chars_total: int
    chunk: int
    """The chunk being made (1-based), or the last one when all are done."""
    eta_seconds: float | None
    """None while the speed is not known yet ("estimating")."""

    @property
    def percent(self) -> float:
        return 100.0 * self.chars_done / self.chars_total if self.chars_total else 100.0

    @property
    def done(self) -> int:
        """Chunks finished."""
        return sum(chunk.status == "done" for chunk in self.job.chunks)

    @property
    def total(self) -> int:
        """Chunks in the book."""
        return len(self.job.chunks)


ORDER = ("running", "waiting", "interrupted", "queued", "failed", "cancelled", "superseded", "done")


def job_summary(job: Job, speed: float | None, daemon: int | None) -> dict[str, Any]:
    """Given a job, the last books' speed and the daemon's PID (None: none runs), return its summary."""
    done, _, _ = measure(job)
    total = total_chars(job)
    status = str(job.status)
    if status in ("running", "waiting") and daemon is None:
        status = "interrupted"  # recorded as running, but no daemon holds the lock
    unfinished = job.status in UNFINISHED
    return {
        "id": job.id,
        "name": job.name,
        "status": status,
        "recorded_status": str(job.status),
        "chunks_done": sum(chunk.status == "done" for chunk in job.chunks),
        "chunks": len(job.chunks),
        "chars_done": done,
        "chars": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "eta_seconds": seconds_left(job, speed) if unfinished else None,
        "expected_seconds": round(total / speed, 1) if unfinished and speed else None,
        "priority": job.priority,
        "error": job.error,
        "output": (job.output or {}).get("wav") if job.status == "done" else None,
        "audio_seconds": (job.output or {}).get("audio_seconds"),
        "updated_at": job.updated_at,
    }


def collect(store: JobStore) -> dict[str, Any]:
    """Return every job's summary grouped by status (the queue in the worker's order), and the daemon's state."""
    jobs = store.all()
    speed = history_speed(jobs)
    daemon = holder(store.root)
    report: dict[str, Any] = {status: [] for status in ORDER}
    queued_ids = [job.id for job in queue_order(jobs)]
    by_id = {job.id: job for job in jobs}
    for job in [by_id[i] for i in queued_ids] + [job for job in jobs if job.id not in queued_ids]:
        summary = job_summary(job, speed, daemon)
        report[summary["status"]].append(summary)
    report["daemon"] = {"pid": daemon, "running": daemon is not None, "paused": is_paused(store.root),
                        "chars_per_second": round(speed, 1) if speed else None}
    return report


def progress_bar(fraction: float, width: int = 30) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def duration(seconds: float | None) -> str:
    """`estimating` while unknown, else `40 s`, `12 min`, `2 h 05 min`."""
    if seconds is None:
        return "estimating"
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{max(0, round(seconds))} s"
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _daemon_line(daemon: dict[str, Any]) -> str:
    state = f"daemon running (PID {daemon['pid']})" if daemon["running"] else "no daemon running"
    if daemon["paused"]:
        state += "; paused (kokoro-narrator resume)"
    return state


def render(report: dict[str, Any]) -> str:
    """Return the human-readable status: the daemon, the book in progress, the queue, then the rest."""
    lines: list[str] = [_daemon_line(report["daemon"])]
    for job in report["running"] + report["waiting"] + report["interrupted"]:
        label = {"interrupted": "interrupted; resumes at next start"}.get(job["status"], job["status"])
        lines.append(f"{label}: {shown(job['name'])}")
        lines.append(f"  {progress_bar(job['percent'] / 100)} {job['percent']:.0f}% ({job['chars_done']:,} of "
                     f"{job['chars']:,} chars, chunk {min(job['chunks_done'] + 1, job['chunks'])}/{job['chunks']}), "
                     f"ETA {duration(job['eta_seconds'])}")
        if job["error"]:
            lines.append(f"  {job['error']}")
    queue = report["queued"]
    if queue:
        known = [job["eta_seconds"] for job in queue]
        total = duration(sum(known)) if all(s is not None for s in known) else "estimating"
        lines.append(f"queued ({len(queue)}, {sum(job['chars'] for job in queue):,} chars, about {total}):")
        lines += [f"  {number}. {shown(job['name'])}  {job['chars']:,} chars, {duration(job['eta_seconds'])}"
                  for number, job in enumerate(queue, 1)]
    for status in ("failed", "cancelled", "superseded"):
        if report[status]:
            lines.append(f"{status} ({len(report[status])}):")
            lines += [f"  {shown(job['name'])} ({job['id']}): {job['error']}" for job in report[status]]
    if report["done"]:
        lines.append(f"done ({len(report['done'])}):")
        lines += [f"  {shown(job['name'])} -> {job['output']}  ({duration(job['audio_seconds'])} of audio)"
                  for job in report["done"]]
    if len(lines) == 1:
        kinds = ", ".join(BOOK_SUFFIXES[:-1]) + " or " + BOOK_SUFFIXES[-1]
        lines.append(f"no books yet: copy a {kinds} file into the inbox")
    return "\n".join(lines)


def main(store: JobStore, as_json: bool) -> int:
    """Print the status; a closed pipe (`status | head`) ends quietly. Return the exit code."""
    report = collect(store)
    try:
        print(json.dumps(report, indent=2) if as_json else render(report))
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: point stdout at /dev/null so the exit flush is quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
