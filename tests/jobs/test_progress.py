"""progress.py: characters done (checkpoints and the live chunk too), the speed, the ETA and how it is written."""

from __future__ import annotations

from kokoro_narrator.jobs.progress import Progress, duration, history_speed, measure, seconds_left
from kokoro_narrator.jobs.store import ChunkState, Job


def job(*chunks: ChunkState, status: str = "running", **fields) -> Job:
    return Job(id="j", status=status, source={}, settings={}, chapters=[], chunks=list(chunks), **fields)


def chunk(index: int, chars: int, **fields) -> ChunkState:
    return ChunkState(index=index, chapter=0, title="T", chars=chars, sha256="x", **fields)


def test_done_chunks_count_whole_and_an_unfinished_one_its_checkpoint_or_the_live_count():
    book = job(chunk(1, 300, status="done", synth_seconds=3.0),
               chunk(2, 500, checkpoint={"chars": 100, "seconds": 2.0}),
               chunk(3, 200))
    assert measure(book) == (400, 400, 5.0)
    assert measure(book, live=(3, 50, 1.0)) == (450, 450, 6.0)
    assert measure(book, live=(3, 999, 1.0))[0] == 300 + 100 + 200  # never more than the chunk


def test_the_eta_uses_the_books_own_speed_once_timed_else_the_fallback_else_none():
    book = job(chunk(1, 300, status="done", synth_seconds=3.0), chunk(2, 700))
    assert seconds_left(book) == 7.0  # 100 chars/s, 700 left
    young = job(chunk(1, 100, status="done", synth_seconds=1.0), chunk(2, 900))
    assert seconds_left(young) is None  # too few characters timed to trust
    assert seconds_left(young, fallback_speed=300.0) == 3.0


def test_history_speed_takes_the_last_five_finished_jobs():
    old = job(chunk(1, 10_000), status="done", synth_seconds=1.0, finished_at=1.0)
    recent = [job(chunk(1, 100), status="done", synth_seconds=1.0, finished_at=float(n)) for n in range(2, 7)]
    failed = job(chunk(1, 5), status="failed", synth_seconds=1.0, finished_at=9.0)
    assert history_speed([old, *recent, failed]) == 100.0
    assert history_speed([failed]) is None


def test_progress_percent_and_chunk_counts():
    book = job(chunk(1, 50, status="done"), chunk(2, 150))
    progress = Progress(book, chars_done=50, chars_total=200, chunk=2, eta_seconds=None)
    assert (progress.percent, progress.done, progress.total) == (25.0, 1, 2)
    assert Progress(job(), 0, 0, 0, None).percent == 100.0


def test_durations_read_as_seconds_minutes_or_hours():
    assert [duration(s) for s in (None, 29.4, 40, 12 * 60, 2 * 3600 + 5 * 60)] == \
        ["estimating", "29 s", "1 min", "12 min", "2 h 05 min"]
