"""One daemon per job store: the flock in lock.py, the daemon that takes it, the CLI that reports it."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kokoro_narrator.jobs.lock import LockedError, StoreLock, holder
from kokoro_narrator.service.daemon import Daemon

from support.daemons import wait_for
from support.providers import ToneProvider
from support.tiny_model import tiny_config_toml

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300})

HOLD = "import sys, time; from pathlib import Path; from kokoro_narrator.jobs.lock import StoreLock; " \
       "StoreLock.acquire(Path(sys.argv[1])); print('held', flush=True); time.sleep(600)"


def test_a_second_lock_on_one_store_is_refused_naming_the_first_holders_pid(tmp_path):
    with StoreLock.acquire(tmp_path):
        with pytest.raises(LockedError, match=f"PID {os.getpid()}") as refused:
            StoreLock.acquire(tmp_path, patience=0.2)
        assert refused.value.pid == os.getpid()
        assert holder(tmp_path) == os.getpid()
    assert holder(tmp_path) is None
    StoreLock.acquire(tmp_path).release()  # free again


def test_the_lock_goes_with_a_process_killed_by_sigkill(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        assert holder(tmp_path) == process.pid
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert holder(tmp_path) is None  # the lock file stays, but nobody holds it
        assert (tmp_path / "daemon.lock").exists()
        StoreLock.acquire(tmp_path, patience=0).release()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_two_daemons_on_one_store_the_second_exits_at_once_and_the_first_serves_on(config, tmp_path):
    first = Daemon(config, ToneProvider(), space_wait_seconds=0.01)
    thread = threading.Thread(target=first.run)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while holder(config.paths.jobs) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        second = Daemon(config, ToneProvider())
        with pytest.raises(LockedError, match=f"PID {os.getpid()}"):
            second.run()
        config.paths.inbox.mkdir(exist_ok=True)
        (config.paths.inbox / "book.txt").write_text("A short book, made once.\n")
        # Publishing writes the WAV before job.json says done: wait for the job, not for the file.
        wait_for(lambda: [job.status for job in first.store.all()] == ["done"], 30, "the book's job done")
        assert (config.paths.outbox / "book.wav").exists()
    finally:
        first.stop.set()
        first.wake.set()
        thread.join(timeout=30)
    assert holder(config.paths.jobs) is None  # released on a clean stop


@pytest.mark.integration
def test_kokoro_narrator_run_refuses_a_store_served_by_another_daemon_before_loading_the_model(tmp_path, tiny_model_dir):
    dirs = {name: tmp_path / name for name in ("inbox", "outbox", "jobs")}
    config = tmp_path / "config.toml"
    config.write_text(tiny_config_toml(tiny_model_dir, **dirs))
    with StoreLock.acquire(dirs["jobs"]):
        result = subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                                capture_output=True, text=True, timeout=120, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert result.returncode == 1
    assert f"another kokoro-narrator daemon (PID {os.getpid()}) already serves the job store" in result.stderr
    assert "Traceback" not in result.stderr
    assert "engine ready" not in result.stderr  # it stopped before loading the model
