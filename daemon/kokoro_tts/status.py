"""`kokoro-tts status`: what the daemon is doing, read from the job folders alone.

It needs no running daemon: every job's `job.json` says where it stands.
"""

from __future__ import annotations

from typing import Any

from .jobs import Job, JobStore, seconds_left

ORDER = ("running", "waiting", "queued", "failed", "done")


def job_summary(job: Job) -> dict[str, Any]:
    done = [chunk for chunk in job.chunks if chunk.status == "done"]
    eta = seconds_left(job) if job.status in ("running", "waiting", "queued") else None
    return {
        "id": job.id,
        "name": job.name,
        "status": job.status,
        "chunks_done": len(done),
        "chunks": len(job.chunks),
        "percent": round(100 * len(done) / len(job.chunks), 1) if job.chunks else 0.0,
        "eta_seconds": eta,
        "error": job.error,
        "output": (job.output or {}).get("wav") if job.status == "done" else None,
        "audio_seconds": (job.output or {}).get("audio_seconds"),
        "updated_at": job.updated_at,
    }


def collect(store: JobStore) -> dict[str, list[dict[str, Any]]]:
    """Return every job's summary, grouped by status (oldest first within a group)."""
    report: dict[str, list[dict[str, Any]]] = {status: [] for status in ORDER}
    for job in store.all():
        report[job.status].append(job_summary(job))
    return report


def progress_bar(fraction: float, width: int = 30) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def render(report: dict[str, list[dict[str, Any]]]) -> str:
    """Return the human-readable status, a section per kind of job."""
    lines: list[str] = []
    for job in report["running"] + report["waiting"]:
        lines.append(f"{job['status']}: {job['name']}")
        lines.append(f"  {progress_bar(job['percent'] / 100)} chunk {job['chunks_done']}/{job['chunks']} "
                     f"({job['percent']:.0f}%), ETA {_minutes(job['eta_seconds'])}")
        if job["error"]:
            lines.append(f"  {job['error']}")
    if report["queued"]:
        lines.append(f"queued ({len(report['queued'])}):")
        lines += [f"  {job['name']}  {job['chunks_done']}/{job['chunks']} chunks" for job in report["queued"]]
    if report["done"]:
        lines.append(f"done ({len(report['done'])}):")
        lines += [f"  {job['name']} -> {job['output']}  ({_minutes(job['audio_seconds'])} of audio)" for job in report["done"]]
    if report["failed"]:
        lines.append(f"failed ({len(report['failed'])}):")
        lines += [f"  {job['name']}: {job['error']}" for job in report["failed"]]
    return "\n".join(lines) if lines else "no books yet: copy a .txt or .md file into the inbox"
