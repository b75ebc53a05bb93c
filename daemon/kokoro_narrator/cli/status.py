"""`kokoro-narrator status`: what the daemon is doing, from the job folders and the store's lock.

It needs no running daemon: every job's `job.json` says where it stands, and the lock
(jobs/lock.py) says whether a daemon is at work. A job recorded `running` or `waiting` while no
daemon holds the lock was cut off (kill -9, power cut): it is shown as interrupted, resuming
at the next start. The progress math is jobs/progress.py's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..books import BOOK_SUFFIXES
from ..core import shown
from ..engines import read_status
from ..jobs import (duration, history_speed, holder, is_paused, Job, JobStore, measure, queue_order, seconds_left,
                    total_chars, UNFINISHED, voices_record)

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
        "files": output_files(job) if job.status == "done" else [],
        "voices": voices_record(job),
        "updated_at": job.updated_at,
    }


def output_files(job: Job) -> list[dict[str, Any]]:
    """A published job's files (audio, timings, captions, read-along EPUB) with their sizes now (None: gone)."""
    files = []
    for fmt, path in ((job.output or {}).get("files") or {}).items():
        try:
            size: int | None = Path(path).stat().st_size
        except OSError:
            size = None
        files.append({"format": fmt, "path": path, "size": size})
    return files


def file_size(size: int | None) -> str:
    if size is None:
        return "missing"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


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
    engines = read_status(store.root)
    report["engines"] = engines = engines if engines and engines.get("pid") == daemon else None  # else: left by a kill
    pool_job = (engines or {}).get("job") or {}
    for job in report["running"]:  # several engines: the pool's progress and speed, not one engine's
        if job["id"] == pool_job.get("id") and pool_job.get("chars_done") is not None:
            job["chars_done"], job["eta_seconds"] = pool_job["chars_done"], pool_job.get("eta_seconds")
            job["percent"] = round(100 * job["chars_done"] / job["chars"], 1) if job["chars"] else 0.0
    return report


def progress_bar(fraction: float, width: int = 30) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _daemon_line(daemon: dict[str, Any]) -> str:
    state = f"daemon running (PID {daemon['pid']})" if daemon["running"] else "no daemon running"
    if daemon["paused"]:
        state += "; paused (kokoro-narrator resume)"
    return state


def _engines_lines(engines: dict[str, Any] | None) -> list[str]:
    """`engines (ray, local): 2` and a line per engine: where it runs and what it is making."""
    if not engines:
        return []
    lines = [f"engines ({engines.get('backend')}, {engines.get('address')}): {len(engines['workers'])}"]
    for worker in engines["workers"]:
        making = worker.get("making")
        doing = (f"chunk {making['index']} ({making['chars']:,} of {making['of']:,} chars)" if making
                 else "idle" if worker.get("state") == "ready" else worker.get("state"))
        where = f"{shown(str(worker.get('host')))} {worker.get('device')}" if worker.get("host") else "-"
        lines.append(f"  {worker.get('number')}. {where}: {doing}; {worker.get('made', 0)} made")
    return lines


def render(report: dict[str, Any]) -> str:
    """Return the human-readable status: the daemon, the engines, the book in progress, the queue, then the rest."""
    lines: list[str] = [_daemon_line(report["daemon"])] + _engines_lines(report.get("engines"))
    head = len(lines)
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
        for job in report["done"]:
            lines.append(f"  {shown(job['name'])} -> {job['output']}  ({duration(job['audio_seconds'])} of audio)")
            if len(job["files"]) > 1:
                named = [f"{shown(Path(f['path']).name)} {file_size(f['size'])}" for f in job["files"]]
                lines.append("    " + ", ".join(named))
    if len(lines) == head:
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
