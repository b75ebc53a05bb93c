"""`kokoro-narrator status` and the pool's status file (engines.json): shown only when the daemon holding
the store's lock wrote it; the pool's progress and ETA replace one engine's. No Ray needed: the file is
written here as the pool writes it."""

import os

import pytest

from kokoro_narrator.cli.status import collect, render
from kokoro_narrator.core import atomic_write_json
from kokoro_narrator.engines import ENGINES_FILE
from kokoro_narrator.jobs.lock import StoreLock
from kokoro_narrator.jobs.store import JobStatus, JobStore

from support.jobs import add_book

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 200})

BOOK = "\n\n".join(f"Paragraph {n}, a plain sentence to be spoken." for n in range(1, 13)) + "\n"


def pool_file(config, job, pid: int) -> None:
    workers = [{"number": 1, "state": "ready", "host": "alpha", "device": "cuda", "path": {}, "made": 3,
                "making": {"index": 4, "chars": 120, "of": 200}},
               {"number": 2, "state": "starting", "host": None, "device": None, "path": None, "made": 0,
                "making": None}]
    atomic_write_json(config.paths.jobs / ENGINES_FILE, {
        "backend": "ray", "address": "auto", "pid": pid, "workers": workers,
        "job": {"id": job.id, "name": job.name, "chars_done": 500, "chars": 1000, "eta_seconds": 90.0}})


def running(config):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    job.move(JobStatus.RUNNING)
    store.save(job)
    return store, job


def test_status_shows_each_engine_and_the_pools_progress_when_the_daemon_wrote_the_file(config):
    store, job = running(config)
    pool_file(config, job, os.getpid())
    with StoreLock.acquire(config.paths.jobs):  # this process is "the daemon"
        report = collect(store)
    text = render(report)
    assert "engines (ray, auto): 2" in text
    assert "  1. alpha cuda: chunk 4 (120 of 200 chars); 3 made" in text
    assert "  2. -: starting; 0 made" in text
    running_job = report["running"][0]
    assert running_job["chars_done"] == 500 and running_job["eta_seconds"] == 90.0


def test_a_file_left_by_another_daemon_is_not_shown(config):
    store, job = running(config)
    pool_file(config, job, os.getpid() + 1)  # a daemon killed before this one started
    with StoreLock.acquire(config.paths.jobs):
        report = collect(store)
    assert report["engines"] is None and "engines" not in render(report)
