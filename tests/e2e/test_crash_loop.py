"""Crash loop: SIGKILL the real daemon (tiny model) at random points, restart, check, repeat.

Chunks are long (a few per book) and checkpointed every half second, so most kills land
inside a chunk, after some of its audio was kept: the resumed chunks must still give the
byte-identical book.

What it proves: however often the daemon process dies, between or inside chunks, each restart
resumes from what was kept and the finished book, audio and timings, is byte-identical to one
made in one go.

Slow (a model load per restart): `pytest -m slow tests/e2e/test_crash_loop.py`. It starts
daemon processes: marker `integration` too.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import soundfile as sf

from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.runner import JobRunner
from support.daemons import NotifySocket, wait_for
from support.tiny_model import tiny_config_toml
from support.jobs import add_book

KILLS = int(os.environ.get("CRASH_LOOP_KILLS", "25"))
MAX_CHUNK_CHARS = 1600
CHECKPOINT_SECONDS = 0.5


def book_text(corpus) -> bytes:
    text = (corpus / "pg5200.txt").read_bytes()
    return text[:3200].rsplit(b"\r\n\r\n", 1)[0] + b"\r\n"


def check_state(dirs) -> dict:
    """After a kill: job.json parses and is consistent; no partial output is visible."""
    jobs = list(dirs["jobs"].glob("*/job.json"))
    assert len(jobs) <= 1
    for wav in dirs["outbox"].glob("*.wav"):
        assert sf.info(wav).frames > 0  # a published file is always whole
    if not jobs:
        return {}
    job = json.loads(jobs[0].read_text())
    assert job["schema_version"] == 1 and job["status"] in ("queued", "running", "interrupted", "done")
    indexes = [chunk["index"] for chunk in job["chunks"]]
    assert indexes == list(range(1, len(indexes) + 1))  # no chunk lost or duplicated
    for chunk in job["chunks"]:
        if chunk["status"] == "done" and job["status"] != "done":
            assert sf.info(jobs[0].parent / f"chunk_{chunk['index']:04d}.wav").frames == chunk["frames"]
        if chunk.get("checkpoint"):  # the kept audio and words are on disk, at least as long as recorded
            partial = jobs[0].parent / f"chunk_{chunk['index']:04d}.partial"
            assert partial.stat().st_size >= chunk["checkpoint"]["bytes"]
            words = jobs[0].parent / f"chunk_{chunk['index']:04d}.words.partial"
            assert words.stat().st_size >= chunk["checkpoint"]["words_bytes"]
    return job


def saved_at(dirs) -> float | None:
    jobs = list(dirs["jobs"].glob("*/job.json"))
    return json.loads(jobs[0].read_text()).get("updated_at") if jobs else None


@pytest.mark.slow
@pytest.mark.integration
def test_the_daemon_survives_being_killed_again_and_again(tmp_path, make_config, tiny_model_dir, tiny_engine, corpus):
    data = book_text(corpus)

    # The reference: the same book, uninterrupted, through the same engine and runner.
    ref = make_config(tmp_path / "reference", tts={"kokoro": tiny_engine.settings},
                      jobs={"max_chunk_chars": MAX_CHUNK_CHARS})
    store = JobStore(ref.paths.jobs)
    job, _ = add_book(store, "book.txt", data, ref)
    assert JobRunner(store, ref, tiny_engine).run(job).status == "done"
    expected = (ref.paths.outbox / "book.wav").read_bytes()
    expected_timings = (ref.paths.outbox / "book.timings.json").read_bytes()

    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "jobs")}
    config = tmp_path / "config.toml"
    config.write_text(tiny_config_toml(tiny_model_dir, **dirs)
                      + f"[jobs]\nmax_chunk_chars = {MAX_CHUNK_CHARS}\ncheckpoint_seconds = {CHECKPOINT_SECONDS}\n"
                      + "[watch]\nsettle_seconds = 0.5\n")
    dirs["inbox"].mkdir()
    (dirs["inbox"] / "book.txt").write_bytes(data)
    notify = NotifySocket(tmp_path / "notify.sock")
    rng = random.Random(20261125)
    env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), HF_HUB_OFFLINE="1")
    command = [sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)]
    deadline = time.monotonic() + 1500
    kills = inside = 0
    try:
        while kills < KILLS and time.monotonic() < deadline:
            notify.messages.clear()
            daemon = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
            draw = rng.random()
            if draw < 0.2:
                time.sleep(rng.uniform(0, 8))  # sometimes while it loads
            else:
                wait_for(lambda: any("READY=1" in m for m in notify.messages), 120, "READY")
                if draw < 0.6:
                    time.sleep(rng.uniform(0, 4))
                else:  # just after some work was kept: a checkpoint, a chunk or the output
                    before = saved_at(dirs)
                    wait_for(lambda: saved_at(dirs) != before, 300, "job.json to move")
                    time.sleep(rng.uniform(0, 1))
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            kills += 1
            job = check_state(dirs)
            inside += any(chunk.get("checkpoint") for chunk in job.get("chunks", []))
            if job.get("status") == "done":
                break
        assert kills >= min(KILLS, 25) or check_state(dirs).get("status") == "done"
        assert inside > 0 or kills < 5, "no kill landed inside a chunk after a checkpoint"
        notify.messages.clear()
        daemon = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        wait_for(lambda: check_state(dirs).get("status") == "done", 600, "the job to finish")
        wait_for(lambda: any("READY=1" in m for m in notify.messages), 120, "READY")  # SIGTERM handled from here
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=120) == 0
    finally:
        notify.close()
    assert (dirs["outbox"] / "book.wav").read_bytes() == expected
    assert (dirs["outbox"] / "book.timings.json").read_bytes() == expected_timings  # the words' times too
    print(f"{kills} kills, {inside} with audio kept inside a chunk; output identical to the uninterrupted run")
