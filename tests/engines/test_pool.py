"""The engine pool on a real two-node Ray cluster: a book made by two workers, byte for byte the local one.

One cluster for the module (`ray.cluster_utils.Cluster`): a head and a second node of one CPU
each, small object stores, a short per-module temp dir (Ray's socket paths stay under 107
characters). Each worker is one Ray actor with one thread and the tiny model, loaded from local
files. The local reference is made in this process with one thread too: the same numeric path.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'kokoro-narrator[ray]')")

from kokoro_narrator import engines  # noqa: E402
from kokoro_narrator.cli.status import collect, render  # noqa: E402
from kokoro_narrator.core import atomic  # noqa: E402
from kokoro_narrator.engines import ENGINES_FILE, start_pool  # noqa: E402
from kokoro_narrator.jobs.runner import JobRunner  # noqa: E402
from kokoro_narrator.jobs.store import JobStore  # noqa: E402
from kokoro_narrator.service import daemon as service  # noqa: E402
from kokoro_narrator.service.daemon import Daemon  # noqa: E402

from support.config import build_config  # noqa: E402
from support.daemons import RecordingNotifier, wait_for  # noqa: E402
from support.providers import ToneProvider  # noqa: E402
from support.jobs import add_book  # noqa: E402
from support.tiny_model import build_tiny_model, VOICE  # noqa: E402

pytestmark = pytest.mark.ray

OBJECT_STORE = 80 * 1024 * 1024
"""Ray's smallest object store is about 75 MB."""
FAST_DECODER = dict(upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
                    resblock_dilation_sizes=[[1, 3, 5]])
"""40 samples a frame instead of 600: the same code, a multi-chunk book in seconds."""
BOOK = "\n\n".join(
    f"Chapter {n}. The engine read paragraph {n} aloud, and then it went on to the next one, slowly." for n in range(1, 9)
) + "\n"


@pytest.fixture(scope="module")
def cluster():
    """A head node and a second node, one CPU each, in a short temp dir; Ray shut down afterwards."""
    temp = tempfile.mkdtemp(prefix="kr-", dir="/tmp")
    before = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = temp  # Cluster writes its address file under RAY_TMPDIR/ray
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE,
                                                          "include_dashboard": False})
    second = nodes.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    ray.init(address=nodes.address, log_to_driver=False)
    try:
        yield nodes, second
    finally:
        ray.shutdown()
        nodes.shutdown()
        os.environ.pop("RAY_TMPDIR") if before is None else os.environ.update(RAY_TMPDIR=before)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    """The tiny model with a fast decoder, one thread: the numeric path of the pool's workers and the reference."""
    from kokoro_narrator.core.config import KokoroConfig

    folder = build_tiny_model(tmp_path_factory.mktemp("fast-tiny"), istftnet=FAST_DECODER)
    return KokoroConfig(voice=VOICE, device="cpu", threads=1, model_config=folder / "config.json",
                        model_weights=folder / "tiny.pth", voices_dir=folder / "voices")


def book_config(root: Path, settings, **more):
    return build_config(root, tts={"kokoro": settings}, jobs={"max_chunk_chars": 200},
                        engines={"backend": "ray", "workers": 2, "threads_per_worker": 1}, **more)


@pytest.fixture(scope="module")
def reference(settings, tmp_path_factory):
    """The book made by the local backend with one thread: its WAV bytes and job."""
    import torch

    from kokoro_narrator.synthesis import KokoroEngine

    threads = torch.get_num_threads()
    try:
        engine = KokoroEngine.load(settings)  # sets one thread, as each worker does
        config = book_config(tmp_path_factory.mktemp("local"), settings)
        store = JobStore(config.paths.jobs)
        job, _ = add_book(store, "book.txt", BOOK, config)
        job = JobRunner(store, config, engine, space_margin=0).run(job)
    finally:
        torch.set_num_threads(threads)  # the other modules' tests keep this process's default
    assert job.status == "done" and len(job.chunks) >= 4
    return (config.paths.outbox / "book.wav").read_bytes(), job


@pytest.fixture(scope="module")
def pool(cluster, settings, tmp_path_factory):
    config = book_config(tmp_path_factory.mktemp("pool"), settings)
    engines = start_pool(config, config.paths.jobs / ENGINES_FILE)
    try:
        yield engines
    finally:
        engines.shutdown()
    assert not (config.paths.jobs / ENGINES_FILE).exists()


def run_on_pool(root: Path, settings, pool, control=None):
    config = book_config(root, settings)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    runner = JobRunner(store, config, provider=None, space_margin=0, pool=pool, control=control)
    return runner.run(job), config


def chunk_records(job):
    return [(c.index, c.frames, c.words, c.coverage, c.loudness) for c in job.chunks]


def test_a_book_made_by_two_workers_on_two_nodes_is_byte_identical_to_the_local_one(pool, settings, reference,
                                                                                   tmp_path):
    expected, local = reference
    job, config = run_on_pool(tmp_path, settings, pool)

    assert job.status == "done", job.error
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    local_outbox = Path(local.output["wav"]).parent
    assert (config.paths.outbox / "book.timings.json").read_bytes() == (local_outbox / "book.timings.json").read_bytes()
    assert chunk_records(job) == chunk_records(local)  # words, coverage and loudness came back whole
    workers = pool.snapshot()
    assert {worker["state"] for worker in workers} == {"ready"}
    assert all(worker["made"] >= 1 for worker in workers), workers  # both engines made chunks of it
    assert len({worker["node"] for worker in workers}) == 2  # one on each node
    assert job.engine_path == workers[0]["path"] and job.engine_path["threads"] == 1


def test_a_job_whose_settings_name_another_numeric_path_is_refused_with_the_reason(pool, settings, tmp_path):
    config = book_config(tmp_path, settings)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    job.settings["precision"] = "bf16-other"  # as if the job had been made where the CPU computes bf16
    job = JobRunner(store, config, provider=None, space_margin=0, pool=pool).run(job)

    assert job.status == "failed"
    assert "numeric path" in job.error and "bf16-other" in job.error
    assert not list((config.paths.jobs / job.id).glob("chunk_*.wav"))


def test_a_chunk_that_fails_for_its_own_reasons_is_retried_then_fails_the_job_as_locally(pool, settings, tmp_path):
    config = book_config(tmp_path, settings)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    job.settings["voice"] = "no_such_voice"  # every worker fails every chunk of it, in the chunk, not the worker
    job = JobRunner(store, config, provider=None, space_margin=0, pool=pool).run(job)

    assert job.status == "failed" and "no_such_voice" in job.error
    failed = [chunk for chunk in job.chunks if chunk.status == "failed"]
    assert failed and all(chunk.attempts == 1 + config.jobs.retries for chunk in failed)
    assert all(worker["state"] == "ready" for worker in pool.snapshot())  # the workers live on


def test_a_pause_leaves_the_book_within_an_utterance_per_worker_and_it_resumes_byte_identical(pool, settings,
                                                                                             reference, tmp_path):
    expected, _ = reference
    asked: list[float] = []

    def pause_once_busy(job):
        """Pause once, after the first chunk is in, while the workers have others in flight."""
        if asked or not any(chunk.status == "done" for chunk in job.chunks):
            return None
        if any(worker["making"] for worker in pool.snapshot()):
            asked.append(time.monotonic())
            return "pause"
        return None

    job, config = run_on_pool(tmp_path, settings, pool, control=pause_once_busy)
    left = time.monotonic() - asked[0]

    assert job.status == "queued" and any(chunk.status != "done" for chunk in job.chunks)
    assert left < 5.0  # an utterance of the tiny model takes well under a second
    assert all(not worker["making"] for worker in pool.snapshot())  # nothing left running on the workers
    store = JobStore(config.paths.jobs)
    job = JobRunner(store, config, provider=None, space_margin=0, pool=pool).run(store.load(store.folder(job)))
    assert job.status == "done", job.error
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_a_book_begun_on_the_pool_goes_on_locally_only_on_the_same_numeric_path(pool, settings, reference, tmp_path):
    import torch

    from kokoro_narrator.jobs.store import requeue
    from kokoro_narrator.synthesis import KokoroEngine

    expected, _ = reference
    half: list[bool] = []

    def pause_after_the_first_chunk(job):
        if not half and any(chunk.status == "done" for chunk in job.chunks):
            half.append(True)
            return "pause"
        return None

    job, config = run_on_pool(tmp_path, settings, pool, control=pause_after_the_first_chunk)
    assert job.status == "queued" and job.engine_path and any(chunk.status != "done" for chunk in job.chunks)
    store = JobStore(config.paths.jobs)
    threads = torch.get_num_threads()
    try:
        engine = KokoroEngine.load(settings)  # one thread: the pool's path
        torch.set_num_threads(2)  # now another path
        job = JobRunner(store, config, engine, space_margin=0).run(store.load(store.folder(job)))
        assert job.status == "failed" and "numeric path" in job.error and "'threads': 2" in job.error
        torch.set_num_threads(1)
        job = JobRunner(store, config, engine, space_margin=0).run(requeue(store, job))
    finally:
        torch.set_num_threads(threads)
    assert job.status == "done", job.error
    assert (config.paths.outbox / "book.wav").read_bytes() == expected




def test_the_daemon_runs_its_books_on_the_pool_and_status_shows_the_workers(pool, settings, reference, tmp_path,
                                                                            monkeypatch):
    """The daemon starts the pool (here: the module's, by start_pool), STATUS= and `status` name the workers,
    the book is the local backend's byte for byte, and the pool is shut down at the stop."""
    expected, _ = reference
    config = book_config(tmp_path, settings, service={"stop_timeout_seconds": 60})
    status_file = config.paths.jobs / ENGINES_FILE
    started, stopped = [], []
    monkeypatch.setattr(engines, "start_pool", lambda config, path: started.append(path) or pool)
    monkeypatch.setattr(pool, "status_path", status_file)
    monkeypatch.setattr(pool, "shutdown", lambda: stopped.append(True))
    monkeypatch.setattr(service, "STATUS_SECONDS", 0.0)
    notes = RecordingNotifier()
    daemon = Daemon(config, ToneProvider(), notes, space_wait_seconds=0.01)  # a tone would show in the bytes
    job, _ = add_book(daemon.store, "book.txt", BOOK, config)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    seen: list[str] = []

    def a_worker_is_shown_making_a_chunk():
        if daemon.lock is not None and status_file.exists():
            text = render(collect(daemon.store))
            if "engines (ray" in text and "chunk " in text:
                seen.append(text)
        return bool(seen) or job_status(daemon.store, job) == "done"

    try:
        wait_for(a_worker_is_shown_making_a_chunk, 120, "status showing a worker at work")
        wait_for(lambda: job_status(daemon.store, job) == "done", 120, "the book")
    finally:
        daemon.stop.set()
        daemon.wake.set()
        thread.join(60)
    assert not thread.is_alive() and started == [status_file] and stopped == [True]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    lines = [line for line in notes.sent if line.startswith("STATUS=Synthesizing book.txt")]
    assert lines and all("; engines: 1 " in line and ", 2 " in line for line in lines)
    assert seen, "`status` never showed a worker making a chunk"
    assert "  1. " in seen[0] and "  2. " in seen[0] and "cpu" in seen[0]


def job_status(store, job) -> str:
    return str(store.load(store.folder(job)).status)


def test_the_workers_have_the_thread_count_they_were_given(pool):
    assert all(worker["path"]["threads"] == 1 for worker in pool.snapshot())


def test_a_worker_killed_mid_book_costs_only_its_chunk_in_flight(pool, settings, reference, tmp_path, monkeypatch,
                                                                 caplog):
    expected, _ = reference
    writes: dict[str, int] = {}

    def count(path: Path) -> None:
        writes[path.name] = writes.get(path.name, 0) + 1

    monkeypatch.setattr(atomic, "fault_hook", count)
    killed: list[int] = []

    def kill_a_busy_worker(job):
        """After the first chunk is in, kill a worker that has a chunk in flight, once."""
        if not killed and any(chunk.status == "done" for chunk in job.chunks):
            busy = [worker for worker in pool.workers if worker.tasks and worker.state == "ready"]
            if busy:
                killed.append(busy[0].number)
                ray.kill(busy[0].handle)
        return None

    caplog.set_level(logging.WARNING, logger="kokoro_narrator.engines")
    job, config = run_on_pool(tmp_path, settings, pool, control=kill_a_busy_worker)

    assert killed, "no worker was busy after the first chunk"
    assert job.status == "done", job.error
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    chunk_writes = {name: n for name, n in writes.items() if name.startswith("chunk_") and name.endswith(".wav")}
    assert sorted(chunk_writes) == [chunk.wav_name for chunk in job.chunks]
    assert set(chunk_writes.values()) == {1}  # no chunk made twice into the store
    assert all(chunk.attempts == 1 for chunk in job.chunks)
    assert any("lost" in record.getMessage() for record in caplog.records)
    leftovers = [path for path in (config.paths.jobs / job.id).iterdir() if ".tmp-" in path.name
                 or path.suffix == ".partial"] + [path for path in config.paths.outbox.iterdir() if ".tmp-" in path.name]
    assert leftovers == []


def all_ready(pool, timeout: float = 120.0) -> None:
    """Wait until every worker of the pool is ready again (a killed one is replaced after REPLACE_SECONDS)."""
    deadline = time.monotonic() + timeout
    while not all(worker.state == "ready" for worker in pool.workers):
        assert time.monotonic() < deadline, f"workers not ready: {pool.snapshot()}"
        pool.heal()
        awaited = pool.awaited()
        ready, _ = ray.wait(awaited, num_returns=1, timeout=0.5) if awaited else ([], [])
        for ref in ready:
            pool.settle(ref)


def test_a_node_lost_mid_book_costs_only_the_chunks_its_worker_had(cluster, pool, settings, reference, tmp_path,
                                                                   monkeypatch):
    """Last in the module: the second node goes for good, and its worker with it (Ray cannot restart it
    elsewhere: the head's one CPU is taken). The other worker makes the rest of the book."""
    expected, _ = reference
    nodes, second = cluster
    all_ready(pool)
    writes: dict[str, int] = {}
    monkeypatch.setattr(atomic, "fault_hook", lambda path: writes.update({path.name: writes.get(path.name, 0) + 1}))
    removed: list[int] = []

    def remove_the_second_node_when_its_worker_is_busy(job):
        if not removed and any(chunk.status == "done" for chunk in job.chunks):
            there = [worker for worker in pool.workers
                     if worker.tasks and worker.info and worker.info["node"] == second.node_id]
            if there:
                removed.append(there[0].number)
                nodes.remove_node(second)
        return None

    job, config = run_on_pool(tmp_path, settings, pool, control=remove_the_second_node_when_its_worker_is_busy)

    assert removed, "the second node's worker was never busy after the first chunk"
    assert job.status == "done", job.error
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    chunk_writes = [n for name, n in writes.items() if name.startswith("chunk_") and name.endswith(".wav")]
    assert len(chunk_writes) == len(job.chunks) and set(chunk_writes) == {1}
    lost = next(worker for worker in pool.snapshot() if worker["number"] == removed[0])
    assert lost["state"] != "ready"
