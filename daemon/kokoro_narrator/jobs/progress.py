"""Progress math: characters done, measured speed, ETA.

Used both by the runner while it makes a book (`Progress`, sent to systemd and the log) and
by `kokoro-narrator status` (cli/status.py). Progress is counted in characters, including the
checkpoint inside the chunk in progress (it moves every `jobs.checkpoint_seconds`); the ETA
comes from the book's own measured speed, else the last books' on this machine, else it says
"estimating".
"""

from __future__ import annotations

from dataclasses import dataclass

from .store import Job, JobStatus


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


def duration(seconds: float | None) -> str:
    """`estimating` while unknown, else `40 s`, `12 min`, `2 h 05 min`."""
    if seconds is None:
        return "estimating"
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{max(0, round(seconds))} s"
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
