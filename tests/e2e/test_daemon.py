"""End to end, as a process: `python -m kokoro_narrator.cli run` on the tiny real Kokoro model, temporary dirs.

What it proves, that nothing in-process can:
- books dropped in a real inbox become audio in the outbox, with the CLI's own config file,
  logging, model load and systemd notification (READY, STATUS, STOPPING over a real AF_UNIX
  socket); a book still being copied is not taken, and one stopped by SIGTERM is finished by
  the next start without making its done chunks again;
- a SIGKILL inside a long chunk loses only what came after its last checkpoint: the next
  process resumes there and the book is byte-identical to one made in one go;
- a notify socket nobody reads blocks nothing, and SIGTERM stops the daemon at once (exit 0);
- a worker stuck in a write stops the watchdog pings, SIGTERM still ends the process (exit 75)
  and the job resumes byte-identical.

The same `Daemon` is tested in-process, with the tone provider, in tests/service/test_daemon.py:
there a test can stand in for the notifier, make a publish fail, or count store reads, in well
under a second. Both exist because each sees what the other cannot: this file the process
(signals, exit codes, the entry point, a real model and socket), that one the service loop's
decisions. Every test here starts a daemon process: marker `integration` (run by default and
by `make test`).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from support.daemons import NotifySocket, wait_for
from support.tiny_model import tiny_config_toml
from support.jobs import add_book

pytestmark = pytest.mark.integration


def jobs(jobs_dir: Path) -> list[dict]:
    found = []
    for path in sorted(jobs_dir.glob("*/job.json")):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            pass  # never happens with atomic writes, but a test must not crash on it
    return found


def job_named(jobs_dir: Path, name: str) -> dict | None:
    return next((job for job in jobs(jobs_dir) if job["source"]["name"] == name), None)


def finish_book(config: Path, jobs_dir: Path, log: Path, name: str = "book.txt", timeout: float = 300) -> None:
    """Start the real daemon on config, wait until the job of `name` is done, stop it with SIGTERM (exit 0)."""
    daemon = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                              env=dict(os.environ, HF_HUB_OFFLINE="1"), stderr=open(log, "w"))
    try:
        wait_for(lambda: (job_named(jobs_dir, name) or {}).get("status") == "done", timeout, name)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        daemon.wait()


@pytest.fixture
def daemon_env(tmp_path, tiny_model_dir):
    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "jobs")}
    config = tmp_path / "config.toml"
    config.write_text(tiny_config_toml(tiny_model_dir, **dirs)
                      + "[jobs]\nmax_chunk_chars = 400\n[watch]\nsettle_seconds = 1.5\nrescan_seconds = 5\n")
    notify = NotifySocket(tmp_path / "notify.sock")
    processes = []

    def start():
        env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), HF_HUB_OFFLINE="1", WATCHDOG_USEC="20000000")
        log = open(tmp_path / f"daemon-{len(processes)}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                                   env=env, stderr=log, text=True)
        processes.append(process)
        return process

    yield dirs, notify, start
    for log in sorted(tmp_path.glob("daemon-*.log")):
        print(f"--- {log.name}\n{log.read_text()}")  # shown when the test fails
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    notify.close()


def excerpt(corpus: Path, name: str, chars: int) -> str:
    text = (corpus / name).read_text(encoding="utf-8-sig")
    start = text.index("CHAPTER I")
    return text[start:start + chars].rsplit("\n", 1)[0] + "\n"


def test_the_daemon_turns_books_dropped_in_the_inbox_into_audio(daemon_env, corpus):
    dirs, notify, start = daemon_env
    daemon = start()
    wait_for(lambda: any("READY=1" in m for m in notify.messages), 120, "READY=1")

    # A slow copy, in pieces: nothing may start before the file has been stable for a while.
    first = excerpt(corpus, "pg11.txt", 1600).encode()
    target = dirs["inbox"] / "alice.txt"
    with open(target, "wb") as f:
        for piece in range(4):
            f.write(first[piece * len(first) // 4:(piece + 1) * len(first) // 4])
            f.flush()
            time.sleep(0.6)
            assert job_named(dirs["jobs"], "alice.txt") is None, "started on half a book"
    wait_for(lambda: job_named(dirs["jobs"], "alice.txt"), 30, "the job to be made")
    assert (dirs["jobs"] / job_named(dirs["jobs"], "alice.txt")["id"] / "source.txt").read_bytes() == first

    # A second book, arriving as temp-then-rename, while the first runs.
    second = dirs["inbox"] / ".metamorphosis.txt.part"
    second.write_bytes((corpus / "pg5200.txt").read_bytes()[3000:3700])
    second.rename(dirs["inbox"] / "metamorphosis.txt")

    # Stop mid-job with SIGTERM: clean exit, job.json consistent, some chunks done.
    wait_for(lambda: any(c["status"] == "done" for c in job_named(dirs["jobs"], "alice.txt")["chunks"]), 120,
             "a first chunk")
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=120) == 0
    stopped = job_named(dirs["jobs"], "alice.txt")
    assert stopped["status"] == "interrupted"
    done_before = [c["index"] for c in stopped["chunks"] if c["status"] == "done"]
    assert 0 < len(done_before) < len(stopped["chunks"])
    assert any(m.startswith("STOPPING=1") for m in notify.messages)
    assert not list(dirs["outbox"].glob("*.wav"))

    # Start again: it resumes, regenerates nothing already done, and finishes both in order.
    notify.messages.clear()
    daemon = start()
    wait_for(lambda: all((job_named(dirs["jobs"], n) or {}).get("status") == "done"
                         for n in ("alice.txt", "metamorphosis.txt")), 300, "both books")
    alice, metamorphosis = job_named(dirs["jobs"], "alice.txt"), job_named(dirs["jobs"], "metamorphosis.txt")
    assert alice["finished_at"] < metamorphosis["finished_at"]
    assert all(c["attempts"] == 1 for c in alice["chunks"] if c["index"] in done_before)
    for stem in ("alice", "metamorphosis"):
        info = sf.info(dirs["outbox"] / f"{stem}.wav")
        assert (info.samplerate, info.channels) == (24000, 1) and info.frames > 0
        meta = json.loads((dirs["outbox"] / f"{stem}.json").read_text())
        assert meta["audio_seconds"] == pytest.approx(info.frames / 24000, abs=0.01)
    assert json.loads((dirs["outbox"] / "alice.json").read_text())["chapters"][0]["title"].startswith("CHAPTER I")

    statuses = [m for m in notify.messages if "STATUS=" in m]
    assert any("Synthesizing alice.txt: " in m for m in statuses)
    wait_for(lambda: any("STATUS=Idle; 2 books done" in m for m in notify.messages), 30, "idle status")
    assert any("WATCHDOG=1" in m for m in notify.messages)

    # `kokoro-narrator status` reads the same state from the job folders.
    config = dirs["inbox"].parent / "config.toml"
    report = json.loads(subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", "status", "--json", "--config",
                                        str(config)], capture_output=True, text=True, check=True).stdout)
    assert sorted(j["name"] for j in report["done"]) == ["alice.txt", "metamorphosis.txt"]

    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0


@pytest.mark.slow  # two daemon starts; tests/jobs/test_runner.py checks the same in-process in the default suite
def test_a_kill_inside_a_long_chunk_resumes_at_its_last_checkpoint_and_stays_byte_identical(
        tmp_path, make_config, tiny_model_dir, tiny_engine, corpus):
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner

    data = excerpt(corpus, "pg11.txt", 900).encode()
    ref = make_config(tmp_path / "reference", tts={"kokoro": tiny_engine.settings},
                      jobs={"max_chunk_chars": 20000, "checkpoint_seconds": 0})  # the book is one chunk
    store = JobStore(ref.paths.jobs)
    job, _ = add_book(store, "book.txt", data, ref)
    assert len(job.chunks) == 1
    assert JobRunner(store, ref, tiny_engine).run(job).status == "done"
    expected = (ref.paths.outbox / "book.wav").read_bytes()

    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "jobs")}
    config = tmp_path / "config.toml"
    config.write_text(tiny_config_toml(tiny_model_dir, **dirs)
                      + "[jobs]\nmax_chunk_chars = 20000\ncheckpoint_seconds = 0\n[watch]\nsettle_seconds = 0.5\n")
    dirs["inbox"].mkdir()
    (dirs["inbox"] / "book.txt").write_bytes(data)
    command = [sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]

    def checkpoint():
        job = job_named(dirs["jobs"], "book.txt")
        return ((job or {}).get("chunks") or [{}])[0].get("checkpoint") or {}

    daemon = subprocess.Popen(command, env=env, stderr=open(logs[0], "w"))
    try:
        wait_for(lambda: checkpoint().get("calls", 0) >= 2, 180, "two model calls kept")
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        kept = checkpoint()["calls"]
        assert job_named(dirs["jobs"], "book.txt")["status"] == "running"

        status = subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", "status", "--config", str(config)],
                                capture_output=True, text=True, check=True).stdout
        assert "no daemon running" in status and "interrupted; resumes at next start: book.txt" in status

        finish_book(config, dirs["jobs"], logs[1])
    finally:
        if daemon.poll() is None:
            daemon.kill()
        daemon.wait()
        for log in logs:
            if log.exists():
                print(f"--- {log.name}\n{log.read_text()}")
    assert f"resumes at model call {kept} " in logs[1].read_text()  # nothing kept was made again
    assert (dirs["outbox"] / "book.wav").read_bytes() == expected


def book_text(paragraphs: int) -> bytes:
    return "".join(f"Paragraph {n}. The lamp was lit at dusk, and the street went quiet.\n\n"
                   for n in range(paragraphs)).encode()


def run_config(tmp_path: Path, tiny_model_dir: Path, extra: str = "") -> tuple[dict, Path]:
    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "jobs")}
    config = tmp_path / "config.toml"
    config.write_text(tiny_config_toml(tiny_model_dir, **dirs) + "[watch]\nsettle_seconds = 0.5\n" + extra)
    dirs["inbox"].mkdir()
    return dirs, config


def test_a_notify_socket_nobody_reads_blocks_nothing_and_sigterm_stops_the_daemon_at_once(tmp_path, tiny_model_dir):
    """The kernel queues 10 datagrams for a reader that does not read; a blocking sendto then held the
    worker at a chunk's end for good: the book was never published and SIGTERM was not heard."""
    dirs, config = run_config(tmp_path, tiny_model_dir, "[jobs]\nmax_chunk_chars = 200\n")
    notify = NotifySocket(tmp_path / "notify.sock", read=False)
    (dirs["inbox"] / "book.txt").write_bytes(book_text(14))
    env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), HF_HUB_OFFLINE="1", WATCHDOG_USEC="1000000",
               WATCHDOG_PID="")
    log = tmp_path / "daemon.log"
    daemon = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                              env=env, stderr=open(log, "w"))
    try:
        wait_for(lambda: (job_named(dirs["jobs"], "book.txt") or {}).get("status") == "done", 180,
                 "the book to be published")  # the WAV is renamed into the outbox before job.json says done
        job = job_named(dirs["jobs"], "book.txt")
        assert job["status"] == "done" and len(job["chunks"]) >= 4 and (dirs["outbox"] / "book.wav").exists()
        status = subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", "status", "--config", str(config)],
                                capture_output=True, text=True, timeout=60).stdout
        assert "daemon running" in status and "done (1):" in status and "book.txt -> " in status
        stopped = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
        assert time.monotonic() - stopped < 10
    finally:
        if daemon.poll() is None:
            daemon.kill()
        daemon.wait()
        print(log.read_text())
        notify.close()
    text = log.read_text()
    assert text.count("is not being read") == 1  # said once, not at every status line


def test_a_worker_stuck_in_a_write_stops_the_watchdog_sigterm_still_wins_and_the_job_resumes_byte_identical(
        tmp_path, make_config, tiny_model_dir, tiny_engine):
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner

    data = book_text(12)
    ref = make_config(tmp_path / "reference", tts={"kokoro": tiny_engine.settings},
                      jobs={"max_chunk_chars": 20000, "checkpoint_seconds": 0})  # the book is one chunk
    store = JobStore(ref.paths.jobs)
    job, _ = add_book(store, "book.txt", data, ref)
    assert JobRunner(store, ref, tiny_engine).run(job).status == "done"
    expected = (ref.paths.outbox / "book.wav").read_bytes()

    dirs, config = run_config(tmp_path, tiny_model_dir, "[jobs]\nmax_chunk_chars = 20000\ncheckpoint_seconds = 0\n"
                                                         "[service]\nstop_timeout_seconds = 3\n")
    (dirs["inbox"] / "book.txt").write_bytes(data)
    notify = NotifySocket(tmp_path / "notify.sock")
    env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), HF_HUB_OFFLINE="1", WATCHDOG_USEC="2000000")
    marker, logs = tmp_path / "stuck", [tmp_path / "stuck.log", tmp_path / "resumed.log"]
    helper = Path(__file__).parents[1] / "support" / "stuck_daemon.py"
    daemon = subprocess.Popen([sys.executable, str(helper), str(marker), "4", "run", "--config", str(config)],
                              env=env, stderr=open(logs[0], "w"))
    try:
        wait_for(marker.exists, 180, "the worker to hang")
        stuck_at = time.monotonic()
        time.sleep(4)  # twice WatchdogSec: systemd would have acted by now
        pings = [t for t, m in zip(notify.times, notify.messages) if m == "WATCHDOG=1"]
        assert [t for t in pings if t < stuck_at], "no watchdog ping while the worker worked"
        assert not [t for t in pings if t > stuck_at + 1.5], "pings went on while the worker was stuck"
        assert daemon.poll() is None
        stopped = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 75  # EX_STUCK
        assert time.monotonic() - stopped < 3 + 5  # stop_timeout_seconds, and a margin for a loaded machine
        assert any(m.startswith("STOPPING=1") for m in notify.messages)
        kept = job_named(dirs["jobs"], "book.txt")["chunks"][0]["checkpoint"]["calls"]
        assert kept >= 2

        finish_book(config, dirs["jobs"], logs[1])
    finally:
        if daemon.poll() is None:
            daemon.kill()
        daemon.wait()
        notify.close()
        for log in logs:
            if log.exists():
                print(f"--- {log.name}\n{log.read_text()}")
    stuck_log = logs[0].read_text()
    assert "the worker has not moved for" in stuck_log and "watchdog pings stop" in stuck_log
    assert "the worker did not stop within 3 s" in stuck_log and "> append_then_hang (stuck_daemon.py:" in stuck_log
    assert f"resumes at model call {kept} " in logs[1].read_text()
    assert (dirs["outbox"] / "book.wav").read_bytes() == expected
