"""Steering the queue: cancel, retry, next, pause and resume, with and without the daemon, across a restart."""

import json
import subprocess
import sys
import threading
import time

import pytest

from kokoro_narrator.jobs import steering as control
from kokoro_narrator.jobs.steering import REQUESTS, ControlError
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.lock import StoreLock, holder
from kokoro_narrator.service.daemon import Daemon

from support.providers import ToneProvider
from support.daemons import wait_for
from support.jobs import add_book

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 5000})


def book(title: str, paragraphs: int = 30) -> bytes:
    return "\n\n".join(f"{title}, paragraph {n}, one utterance." for n in range(paragraphs)).encode()


class SlowTone(ToneProvider):
    """A ToneProvider that takes a little wall time per utterance, so a book is still running when steered."""

    delay = 0.05
    """Seconds per utterance; a test sets it to 0 once the book no longer needs to be caught running."""

    def synthesize_chunk(self, text, voice=None, speed=None, **options):
        for segment in super().synthesize_chunk(text, voice, speed, **options):
            time.sleep(self.delay)
            yield segment


def add(config, name: str, paragraphs: int = 30):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, name, book(name, paragraphs), config)
    return job


def status_of(config, name: str) -> str:
    return next(str(job.status) for job in JobStore(config.paths.jobs).all() if job.name == name)


class Running:
    """A daemon in a thread, with the slow provider; stop() ends it cleanly."""

    def __init__(self, config):
        self.daemon = Daemon(config, SlowTone(), space_wait_seconds=0.01)
        self.daemon.runner.space_margin = 0
        self.thread = threading.Thread(target=self.daemon.run)
        self.thread.start()
        wait_for(lambda: holder(config.paths.jobs) is not None, 10, "the daemon's lock")

    def stop(self):
        self.daemon.stop.set()
        self.daemon.wake.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


@pytest.fixture
def running(config):
    started = []

    def start():
        started.append(Running(config))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.thread.is_alive():
            daemon.stop()


# ----------------------------------------------------------------------------- without the daemon


def test_without_the_daemon_cancel_retry_and_next_change_job_json_at_once(config):
    first, second, third = (add(config, name) for name in ("first.txt", "second.txt", "third.txt"))
    jobs = config.paths.jobs
    assert control.command(jobs, "cancel", "second.txt").startswith("cancelled second.txt")
    assert status_of(config, "second.txt") == "cancelled"
    assert "is next in the queue" in control.command(jobs, "next", third.id)
    assert [job.name for job in JobStore(jobs).unfinished()] == ["third.txt", "first.txt"]
    assert control.command(jobs, "retry", "second.txt").startswith("queued second.txt")
    assert status_of(config, "second.txt") == "queued"
    assert not (jobs / REQUESTS).exists()  # no daemon: nothing was left for one


def test_commands_that_do_not_apply_say_why(config):
    add(config, "book.txt")
    with pytest.raises(ControlError, match="only a failed or cancelled book can be retried"):
        control.command(config.paths.jobs, "retry", "book.txt")
    with pytest.raises(ControlError, match="no book or job id 'nothing.txt'"):
        control.command(config.paths.jobs, "cancel", "nothing.txt")


def test_the_cli_commands_print_one_line_and_exit_1_on_a_wrong_book(config, tmp_path):
    add(config, "book.txt")
    toml = tmp_path / "config.toml"
    toml.write_text(f'[paths]\ninbox = "{config.paths.inbox}"\noutbox = "{config.paths.outbox}"\njobs = "{config.paths.jobs}"\n')

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", *args, "--config", str(toml)],
                              capture_output=True, text=True, timeout=60)

    cancelled = cli("cancel", "book.txt")
    assert cancelled.returncode == 0 and cancelled.stdout.startswith("cancelled book.txt")
    wrong = cli("retry", "other.txt")
    assert wrong.returncode == 1 and wrong.stderr.startswith("kokoro-narrator retry: no book") and "Traceback" not in wrong.stderr
    paused = cli("pause")
    assert paused.returncode == 0 and "no daemon running" in paused.stdout
    assert (config.paths.jobs / "paused").exists()
    assert cli("resume").returncode == 0 and not (config.paths.jobs / "paused").exists()


def test_cancel_of_the_running_book_answers_once_it_has_stopped(config):
    """The daemon takes the request at once but leaves the book at its next utterance: the answer waits for that."""
    job = add(config, "long.txt")
    store = JobStore(config.paths.jobs)
    job.move("running")
    store.save(job)
    steering = control.Steering(store)
    taken = threading.Event()

    def daemon():  # a stand-in worker: takes the request, then needs half a second to reach an utterance boundary
        while not steering.take_requests(job):
            time.sleep(0.02)
        taken.set()
        time.sleep(0.5)
        assert steering(job) == "cancel"
        job.move("cancelled", "cancelled by the user")
        store.save(job)

    with StoreLock.acquire(config.paths.jobs):
        worker = threading.Thread(target=daemon)
        worker.start()
        message = control.command(config.paths.jobs, "cancel", "long.txt")
        worker.join()
    assert taken.is_set()
    assert message == f"cancel: long.txt ({job.id}) is now cancelled"


# ----------------------------------------------------------------------------- with the daemon


def test_cancel_stops_the_running_book_within_seconds_and_the_daemon_goes_on(config, running):
    add(config, "long.txt", paragraphs=400)
    add(config, "after.txt")
    daemon = running()
    wait_for(lambda: status_of(config, "long.txt") == "running", 10, "long.txt to start")
    message = control.command(config.paths.jobs, "cancel", "long.txt")
    assert message.startswith("cancel: long.txt") and message.endswith("is now cancelled")
    wait_for(lambda: status_of(config, "after.txt") == "done", 30, "after.txt")
    job = next(job for job in daemon.daemon.store.all() if job.name == "long.txt")
    assert job.status == "cancelled" and job.error == "cancelled by the user"
    assert not (config.paths.outbox / "long.wav").exists()

    retried = control.command(config.paths.jobs, "retry", "long.txt")
    assert retried.endswith(("is now queued", "is now running"))  # the idle daemon may take it at once
    wait_for(lambda: status_of(config, "long.txt") == "running", 10, "long.txt to run again")
    kept = next(job for job in daemon.daemon.store.all() if job.name == "long.txt").chunks[0].checkpoint
    assert kept and kept["calls"] > 0  # the retried book resumes where the cancel left it


def test_next_moves_a_queued_book_before_the_others(config, running):
    add(config, "a.txt", paragraphs=60)
    for name in ("b.txt", "c.txt", "d.txt"):
        add(config, name, paragraphs=5)
    running()
    wait_for(lambda: status_of(config, "a.txt") == "running", 10, "a.txt to start")
    assert "is now queued, priority 1" in control.command(config.paths.jobs, "next", "d.txt")
    wait_for(lambda: all(status_of(config, n) == "done" for n in ("a.txt", "b.txt", "c.txt", "d.txt")), 60, "all")
    finished = sorted(JobStore(config.paths.jobs).all(), key=lambda job: job.finished_at)
    assert [job.name for job in finished] == ["a.txt", "d.txt", "b.txt", "c.txt"]  # a.txt was not preempted


def test_pause_leaves_the_running_book_with_its_work_kept_and_resume_finishes_it(config, running):
    add(config, "book.txt", paragraphs=200)
    daemon = running()
    wait_for(lambda: status_of(config, "book.txt") == "running", 10, "the book to start")
    assert control.set_paused(config.paths.jobs, True).startswith("paused")
    wait_for(lambda: status_of(config, "book.txt") == "queued", 10, "the book to be left")
    paused = JobStore(config.paths.jobs).all()[0]
    assert paused.chunks[0].checkpoint["calls"] > 0
    daemon.daemon.provider.delay = 0  # the rest of the book need not be slow
    assert "resumed" in control.set_paused(config.paths.jobs, False)
    wait_for(lambda: status_of(config, "book.txt") == "done", 60, "the book")


def test_steering_survives_a_restart(config, running):
    add(config, "first.txt", paragraphs=200)
    add(config, "second.txt", paragraphs=5)
    daemon = running()
    wait_for(lambda: status_of(config, "first.txt") == "running", 10, "first.txt")
    control.set_paused(config.paths.jobs, True)
    wait_for(lambda: status_of(config, "first.txt") == "queued", 10, "the pause")
    daemon.stop()

    # With no daemon: cancel one, and leave a request as a command does when the daemon is busy.
    control.command(config.paths.jobs, "cancel", "first.txt")
    (config.paths.jobs / REQUESTS).mkdir(exist_ok=True)
    request = config.paths.jobs / REQUESTS / "00000000000000000001-1.json"
    request.write_text(json.dumps({"action": "next", "job": JobStore(config.paths.jobs).all()[1].id}))

    daemon = running()
    wait_for(lambda: not request.exists(), 10, "the request to be taken at start")
    assert JobStore(config.paths.jobs).all()[1].priority == 1
    assert daemon.daemon.steering.paused() and status_of(config, "second.txt") == "queued"  # still paused
    control.set_paused(config.paths.jobs, False)
    wait_for(lambda: status_of(config, "second.txt") == "done", 30, "second.txt")
    assert status_of(config, "first.txt") == "cancelled"  # never resumed unless retried
