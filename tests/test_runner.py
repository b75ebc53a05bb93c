"""The job runner: work kept inside a chunk, progress inside a chunk, publishing that fails cleanly."""

import dataclasses
import errno
import json
import os
import threading

import pytest

from kokoro_narrator.core import atomic
from kokoro_narrator.jobs.checkpoint import partial_path
from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, TtsConfig
from kokoro_narrator.jobs.store import JobStatus, JobStore, requeue
from kokoro_narrator.jobs.runner import JobRunner

from providers import ToneProvider

# One chunk of many paragraphs: one segment (one "model call") per paragraph.
LONG_CHUNK = "\n\n".join(f"Paragraph {n} of one long chunk, spoken as a tone of its own." for n in range(1, 25)) + "\n"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in the runner catches it, no state is saved on the way out."""


class KillingProvider(ToneProvider):
    """A ToneProvider that is 'killed' after yielding `kill_after` segments of the chunk."""

    def __init__(self, kill_after: int | None = None):
        super().__init__()
        self.kill_after = kill_after
        self.starts: list[int] = []

    def synthesize_chunk(self, text, voice=None, speed=None, start=0):
        self.starts.append(start)
        segments = super().synthesize_chunk(text, voice, speed)
        for number, segment in enumerate(segments):
            if number < start:
                continue  # a real engine skips the model for these; the numbering is kept
            if self.kill_after is not None and number == self.kill_after:
                raise Killed()
            yield segment


def make_config(tmp_path, tag: str, tts: TtsConfig | None = None, **jobs) -> Config:
    paths = PathsConfig(inbox=tmp_path / f"{tag}-in", outbox=tmp_path / f"{tag}-out", jobs=tmp_path / f"{tag}-jobs")
    return Config(tts=tts or TtsConfig(), paths=paths,
                  jobs=dataclasses.replace(JobsConfig(max_chunk_chars=20000), **jobs))


def runner(config, provider, **kwargs) -> JobRunner:
    return JobRunner(JobStore(config.paths.jobs), config, provider, space_wait_seconds=0.01, space_margin=0,
                     retry_wait_seconds=0.01, **kwargs)


def reference(tmp_path, text=LONG_CHUNK, provider=None, tts=None) -> bytes:
    config = make_config(tmp_path, "ref", tts)
    run = runner(config, provider or ToneProvider())
    job, _ = run.store.create("book.txt", "x", text.encode(), config)
    assert run.run(job).status == "done"
    return (config.paths.outbox / "book.wav").read_bytes()


def stored(config, job):
    return JobStore(config.paths.jobs).load(JobStore(config.paths.jobs).folder(job))


def test_a_kill_inside_a_long_chunk_loses_only_what_came_after_the_last_checkpoint(tmp_path):
    expected = reference(tmp_path)
    config = make_config(tmp_path, "kill", checkpoint_seconds=0)  # a checkpoint after every call
    provider = KillingProvider(kill_after=9)
    run = runner(config, provider)
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    assert len(job.chunks) == 1
    with pytest.raises(Killed):
        run.run(job)

    after_kill = stored(config, job)
    assert after_kill.status == "running"  # as a kill leaves it
    assert after_kill.chunks[0].checkpoint["calls"] == 9
    assert partial_path(run.store.folder(job), job.chunks[0]).stat().st_size >= after_kill.chunks[0].checkpoint["bytes"]

    provider = KillingProvider()
    job = runner(config, provider).run(after_kill)
    assert job.status == "done"
    assert provider.starts == [9]  # resumed at model call 9: nothing kept was made again
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    assert job.chunks[0].checkpoint is None and not partial_path(run.store.folder(job), job.chunks[0]).exists()


def test_a_kill_between_checkpoints_goes_back_to_the_last_one_and_stays_byte_identical(tmp_path):
    expected = reference(tmp_path)
    config = make_config(tmp_path, "kill", checkpoint_seconds=600)  # no timed checkpoint in this test
    run = runner(config, KillingProvider(kill_after=5))
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    with pytest.raises(Killed):
        run.run(job)
    job = stored(config, job)
    assert job.chunks[0].checkpoint is None  # nothing was kept: the partial file holds unrecorded audio
    provider = KillingProvider()
    assert runner(config, provider).run(job).status == "done"
    assert provider.starts == [0]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_a_stop_inside_a_chunk_keeps_everything_made_so_far(tmp_path):
    expected = reference(tmp_path)
    config = make_config(tmp_path, "stop", checkpoint_seconds=600)
    stop = threading.Event()
    seen = []

    def on_progress(progress):
        seen.append(progress.chars_done)
        if len(seen) == 7:
            stop.set()

    provider = KillingProvider()
    run = runner(config, provider, stop=stop, on_progress=on_progress)
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    job = run.run(job)
    assert job.status == "interrupted" and stored(config, job).status == "interrupted"
    kept = stored(config, job).chunks[0].checkpoint["calls"]
    assert kept >= 6

    provider = KillingProvider()
    assert runner(config, provider).run(stored(config, job)).status == "done"
    assert provider.starts == [kept]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_a_kill_inside_a_chunk_of_the_real_model_resumes_byte_identical(tmp_path, tiny_engine):
    text = "\n\n".join(f"Sentence number {n} is spoken by the tiny model." for n in range(1, 3)) + "\n"
    tts = TtsConfig(kokoro=tiny_engine.settings)
    expected = reference(tmp_path, text, tiny_engine, tts)
    config = make_config(tmp_path, "tiny", tts, checkpoint_seconds=0)

    class KillAfter:
        device_label = "cpu"

        def __init__(self, limit):
            self.limit, self.starts = limit, []

        def provider_name(self):
            return "kokoro"

        def synthesize_chunk(self, text, voice=None, speed=None, start=0):
            self.starts.append(start)
            for number, segment in enumerate(tiny_engine.synthesize_chunk(text, voice, speed, start=start), start):
                if number == self.limit:
                    raise Killed()
                yield segment

    run = runner(config, KillAfter(1))
    job, _ = run.store.create("book.txt", "x", text.encode(), config)
    with pytest.raises(Killed):
        run.run(job)
    assert stored(config, job).chunks[0].checkpoint["calls"] == 1
    provider = KillAfter(None)
    assert runner(config, provider).run(stored(config, job)).status == "done"
    assert provider.starts == [1]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_progress_moves_inside_one_chunk_counted_in_characters(tmp_path):
    config = make_config(tmp_path, "progress")
    reports = []
    run = runner(config, ToneProvider(), on_progress=reports.append)
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    assert len(job.chunks) == 1
    run.run(job)
    inside = [p.chars_done for p in reports if 0 < p.chars_done < p.chars_total]
    assert len(set(inside)) >= 20  # one step per paragraph, not one per chunk
    assert inside == sorted(inside)
    assert reports[0].eta_seconds is None  # nothing measured yet, no earlier book: "estimating"
    assert reports[-1].chars_done == reports[-1].chars_total == job.chunks[0].chars


def test_the_eta_comes_from_the_last_books_until_this_one_has_its_own_speed(tmp_path):
    config = make_config(tmp_path, "eta")
    first = runner(config, ToneProvider())
    job, _ = first.store.create("first.txt", "x", LONG_CHUNK.encode(), config)
    first_job = first.run(job)
    reports = []
    second = runner(config, ToneProvider(), on_progress=reports.append)
    job, _ = second.store.create("second.txt", "x", LONG_CHUNK.replace("one", "a").encode(), config)
    second.run(job)
    speed = sum(chunk.chars for chunk in first_job.chunks) / first_job.synth_seconds
    assert reports[0].eta_seconds == pytest.approx(round(job.chunks[0].chars / speed, 1), abs=0.11)


def outbox_refuses_writes(config):
    def hook(path):
        if path.parent == config.paths.outbox:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return hook


def test_an_outbox_that_refuses_writes_fails_the_job_cleanly_and_a_retry_publishes_without_synthesizing(
        tmp_path, monkeypatch, caplog):
    config = make_config(tmp_path, "pub", max_chunk_chars=300)
    provider = ToneProvider()
    run = runner(config, provider)
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    monkeypatch.setattr(atomic, "fault_hook", outbox_refuses_writes(config))
    job = run.run(job)

    on_disk = stored(config, job)
    assert on_disk.status == "failed" and job.status == "failed"
    assert "could not publish" in on_disk.error and "Read-only file system" in on_disk.error
    assert all(chunk.status == "done" for chunk in on_disk.chunks)
    assert "job failed: book.txt: could not publish" in caplog.text
    assert not list(config.paths.outbox.glob("*.wav"))

    monkeypatch.setattr(atomic, "fault_hook", None)  # the user fixes the outbox
    calls = sum(provider.calls.values())
    job = runner(config, provider).run(requeue(run.store, on_disk))
    assert job.status == "done" and (config.paths.outbox / "book.wav").exists()
    assert sum(provider.calls.values()) == calls  # nothing synthesized again


def test_job_json_records_each_move_of_the_state_machine(tmp_path):
    config = make_config(tmp_path, "states")
    run = runner(config, ToneProvider())
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    assert json.loads((run.store.folder(job) / "job.json").read_text())["status"] == "queued"
    assert run.run(job).status == JobStatus.DONE
    assert json.loads((run.store.folder(job) / "job.json").read_text())["status"] == "done"


def test_the_state_machine_refuses_moves_it_does_not_allow(tmp_path):
    from kokoro_narrator.jobs.store import TRANSITIONS, Job, JobStateError

    job = Job("book-1", "queued", {"name": "book.txt"}, {}, [], [])
    with pytest.raises(JobStateError, match="cannot go from queued to done"):
        job.move("done")
    job.move(JobStatus.RUNNING)
    job.move(JobStatus.CANCELLED, "cancelled by the user")
    assert job.finished_at is not None and job.error == "cancelled by the user"
    with pytest.raises(JobStateError):
        job.move(JobStatus.RUNNING)  # a cancelled book is only taken again through a retry
    job.move(JobStatus.QUEUED)
    assert job.finished_at is None and job.error is None
    assert all(JobStatus.QUEUED in targets for status, targets in TRANSITIONS.items() if status != JobStatus.QUEUED)
    assert json.loads(json.dumps(job.to_json()))["status"] == "queued"


def test_a_full_disk_when_a_finished_chunk_is_recorded_waits_and_never_makes_the_chunk_again(tmp_path):
    config = make_config(tmp_path, "full")
    provider = KillingProvider()
    run = runner(config, provider)
    job, _ = run.store.create("book.txt", "x", LONG_CHUNK.encode(), config)
    save, failed = run.store.save, []

    def save_with_one_full_disk(job_to_save):
        if job_to_save.chunks[0].status == "done" and not failed:
            failed.append(True)
            raise OSError(errno.ENOSPC, "No space left on device")
        save(job_to_save)

    run.store.save = save_with_one_full_disk
    assert run.run(job).status == "done" and failed
    assert provider.starts == [0]  # the chunk was synthesized once
    assert (config.paths.outbox / "book.wav").read_bytes() == reference(tmp_path)
