"""The job runner: a queued job to a published book, chunk by chunk.

Work kept inside a chunk (checkpoints) and across runs (chunk WAVs, resume byte-identical),
retries, progress inside a chunk, publishing that fails cleanly, the job's state machine.
Jobs are made as the daemon makes them, through ingest (support.jobs.add_book).
"""

import errno
import json
import os
import threading

import pytest
import soundfile as sf

from kokoro_narrator.core import atomic
from kokoro_narrator.jobs.checkpoint import partial_path
from kokoro_narrator.core.config import Config, TtsConfig
from kokoro_narrator.jobs.store import JOB_FILE, Job, JobStatus, JobStore, requeue
from kokoro_narrator.jobs.runner import JobRunner

from support.providers import ToneProvider
from support.jobs import add_book

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

    def synthesize_chunk(self, text, voice=None, speed=None, start=0, lang_code=None):
        self.starts.append(start)
        segments = super().synthesize_chunk(text, voice, speed)
        for number, segment in enumerate(segments):
            if number < start:
                continue  # a real engine skips the model for these; the numbering is kept
            if self.kill_after is not None and number == self.kill_after:
                raise Killed()
            yield segment


def runner(config, provider, **kwargs) -> JobRunner:
    return JobRunner(JobStore(config.paths.jobs), config, provider, space_wait_seconds=0.01, space_margin=0,
                     retry_wait_seconds=0.01, **kwargs)


def reference(make_config, root, text=LONG_CHUNK, provider=None, tts=None) -> bytes:
    """The book made in one go, in root: what every interrupted run must give, byte for byte."""
    config = make_config(root, tts=tts or TtsConfig())
    run = runner(config, provider or ToneProvider())
    job, _ = add_book(run.store, "book.txt", text.encode(), config)
    assert run.run(job).status == "done"
    return (config.paths.outbox / "book.wav").read_bytes()


def stored(config, job):
    return JobStore(config.paths.jobs).load(JobStore(config.paths.jobs).folder(job))


def test_a_kill_inside_a_long_chunk_loses_only_what_came_after_the_last_checkpoint(make_config, tmp_path):
    expected = reference(make_config, tmp_path / "ref")
    config = make_config(tmp_path / "kill", jobs={"checkpoint_seconds": 0})  # a checkpoint after every call
    provider = KillingProvider(kill_after=9)
    run = runner(config, provider)
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
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


def test_a_kill_between_checkpoints_goes_back_to_the_last_one_and_stays_byte_identical(make_config, tmp_path):
    expected = reference(make_config, tmp_path / "ref")
    config = make_config(tmp_path / "kill", jobs={"checkpoint_seconds": 600})  # no timed checkpoint in this test
    run = runner(config, KillingProvider(kill_after=5))
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
    with pytest.raises(Killed):
        run.run(job)
    job = stored(config, job)
    assert job.chunks[0].checkpoint is None  # nothing was kept: the partial file holds unrecorded audio
    provider = KillingProvider()
    assert runner(config, provider).run(job).status == "done"
    assert provider.starts == [0]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_a_stop_inside_a_chunk_keeps_everything_made_so_far(make_config, tmp_path):
    expected = reference(make_config, tmp_path / "ref")
    config = make_config(tmp_path / "stop", jobs={"checkpoint_seconds": 600})
    stop = threading.Event()
    seen = []

    def on_progress(progress):
        seen.append(progress.chars_done)
        if len(seen) == 7:
            stop.set()

    provider = KillingProvider()
    run = runner(config, provider, stop=stop, on_progress=on_progress)
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
    job = run.run(job)
    assert job.status == "interrupted" and stored(config, job).status == "interrupted"
    kept = stored(config, job).chunks[0].checkpoint["calls"]
    assert kept >= 6

    provider = KillingProvider()
    assert runner(config, provider).run(stored(config, job)).status == "done"
    assert provider.starts == [kept]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected


def test_a_kill_inside_a_chunk_of_the_real_model_resumes_byte_identical(make_config, tmp_path, tiny_engine):
    text = "\n\n".join(f"Sentence number {n} is spoken by the tiny model." for n in range(1, 3)) + "\n"
    tts = TtsConfig(kokoro=tiny_engine.settings)
    expected = reference(make_config, tmp_path / "ref", text, tiny_engine, tts)
    config = make_config(tmp_path / "tiny", tts=tts, jobs={"checkpoint_seconds": 0})

    class KillAfter:
        device_label = "cpu"

        def __init__(self, limit):
            self.limit, self.starts = limit, []

        def provider_name(self):
            return "kokoro"

        def synthesize_chunk(self, text, voice=None, speed=None, start=0, lang_code=None):
            self.starts.append(start)
            for number, segment in enumerate(tiny_engine.synthesize_chunk(text, voice, speed, start, lang_code), start):
                if number == self.limit:
                    raise Killed()
                yield segment

    run = runner(config, KillAfter(1))
    job, _ = add_book(run.store, "book.txt", text.encode(), config)
    with pytest.raises(Killed):
        run.run(job)
    assert stored(config, job).chunks[0].checkpoint["calls"] == 1
    provider = KillAfter(None)
    assert runner(config, provider).run(stored(config, job)).status == "done"
    assert provider.starts == [1]
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
    timings = (config.paths.outbox / "book.timings.json").read_bytes()  # the words kept before the kill, too
    assert timings == (tmp_path / "ref" / "outbox" / "book.timings.json").read_bytes()
    assert [len(s["words"]) for s in json.loads(timings)["sentences"]] == [9, 9]


def test_progress_moves_inside_one_chunk_counted_in_characters(make_config, tmp_path):
    config = make_config(tmp_path / "progress")
    reports = []
    run = runner(config, ToneProvider(), on_progress=reports.append)
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
    assert len(job.chunks) == 1
    run.run(job)
    inside = [p.chars_done for p in reports if 0 < p.chars_done < p.chars_total]
    assert len(set(inside)) >= 20  # one step per paragraph, not one per chunk
    assert inside == sorted(inside)
    assert reports[0].eta_seconds is None  # nothing measured yet, no earlier book: "estimating"
    assert reports[-1].chars_done == reports[-1].chars_total == job.chunks[0].chars


def test_the_eta_comes_from_the_last_books_until_this_one_has_its_own_speed(make_config, tmp_path):
    config = make_config(tmp_path / "eta")
    first = runner(config, ToneProvider())
    job, _ = add_book(first.store, "first.txt", LONG_CHUNK.encode(), config)
    first_job = first.run(job)
    reports = []
    second = runner(config, ToneProvider(), on_progress=reports.append)
    job, _ = add_book(second.store, "second.txt", LONG_CHUNK.replace("one", "a").encode(), config)
    second.run(job)
    speed = sum(chunk.chars for chunk in first_job.chunks) / first_job.synth_seconds
    assert reports[0].eta_seconds == pytest.approx(round(job.chunks[0].chars / speed, 1), abs=0.11)


def outbox_refuses_writes(config):
    def hook(path):
        if path.parent == config.paths.outbox:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return hook


def test_an_outbox_that_refuses_writes_fails_the_job_cleanly_and_a_retry_publishes_without_synthesizing(
        make_config, tmp_path, monkeypatch, caplog):
    config = make_config(tmp_path / "pub", jobs={"max_chunk_chars": 300})
    provider = ToneProvider()
    run = runner(config, provider)
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
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


def test_job_json_records_each_move_of_the_state_machine(make_config, tmp_path):
    config = make_config(tmp_path / "states")
    run = runner(config, ToneProvider())
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
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


def test_a_full_disk_when_a_finished_chunk_is_recorded_waits_and_never_makes_the_chunk_again(make_config, tmp_path):
    config = make_config(tmp_path / "full")
    provider = KillingProvider()
    run = runner(config, provider)
    job, _ = add_book(run.store, "book.txt", LONG_CHUNK.encode(), config)
    save, failed = run.store.save, []

    def save_with_one_full_disk(job_to_save):
        if job_to_save.chunks[0].status == "done" and not failed:
            failed.append(True)
            raise OSError(errno.ENOSPC, "No space left on device")
        save(job_to_save)

    run.store.save = save_with_one_full_disk
    assert run.run(job).status == "done" and failed
    assert provider.starts == [0]  # the chunk was synthesized once
    assert (config.paths.outbox / "book.wav").read_bytes() == reference(make_config, tmp_path / "ref")


# ----------------------------------------------------------------------------- a book of three chapters
# Small chunks (several per chapter), chunk WAVs kept unless a test says otherwise.

BOOK = "\n\n".join(
    [f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {n}.{p} of the book. It has two sentences." for p in range(1, 7))
     for n in ("I", "II", "III")]
).encode()
BOOK_CONFIG = pytest.mark.config(jobs={"max_chunk_chars": 120, "keep_chunks": True})


def make_job(config: Config, data: bytes = BOOK, name: str = "book.txt") -> tuple[JobStore, Job]:
    store = JobStore(config.paths.jobs)
    job, created = add_book(store, name, data, config)
    assert created
    return store, job


def run_book(config, store, job, provider, **kwargs) -> Job:
    return JobRunner(store, config, provider, space_wait_seconds=0.01, space_margin=0, **kwargs).run(job)


@BOOK_CONFIG
def test_a_multi_paragraph_book_makes_several_chunks_all_with_wavs(config, tmp_path):
    store, job = make_job(config)
    assert len(job.chunks) >= 3
    job = run_book(config, store, job, ToneProvider())
    assert job.status == "done"
    folder = store.folder(job)
    for chunk in job.chunks:
        assert sf.info(folder / chunk.wav_name).samplerate == 24000
        assert chunk.status == "done" and chunk.attempts == 1
    on_disk = json.loads((folder / JOB_FILE).read_text())
    assert on_disk["status"] == "done" and on_disk["schema_version"] == 1
    assert (folder / "source.txt").read_bytes() == BOOK


@BOOK_CONFIG
def test_the_output_wav_and_json_describe_the_book(config, tmp_path):
    store, job = make_job(config)
    job = run_book(config, store, job, ToneProvider())
    wav = tmp_path / "outbox" / "book.wav"
    meta = json.loads((tmp_path / "outbox" / "book.json").read_text())
    info = sf.info(wav)
    assert (info.samplerate, info.channels) == (24000, 1)
    assert meta["audio_seconds"] == pytest.approx(info.frames / 24000, abs=0.001)
    assert [c["title"] for c in meta["chapters"]] == ["CHAPTER I", "CHAPTER II", "CHAPTER III"]
    starts = [c["start_seconds"] for c in meta["chapters"]]
    ends = [c["end_seconds"] for c in meta["chapters"]]
    assert starts[0] == 0.0 and ends[-1] == pytest.approx(meta["audio_seconds"], abs=0.001)
    for end, start in zip(ends, starts[1:]):
        assert start - end == pytest.approx(config.jobs.chapter_pause, abs=0.001)
    assert meta["chunks"] == len(job.chunks) and meta["characters"] > 0
    assert meta["real_time_factor"] > 0 and meta["source"]["sha256"] == job.source["sha256"]


@BOOK_CONFIG
def test_deleting_one_chunk_regenerates_exactly_that_chunk(config, tmp_path):
    store, job = make_job(config)
    provider = ToneProvider()
    job = run_book(config, store, job, provider)
    first_output = (tmp_path / "outbox" / "book.wav").read_bytes()
    (store.folder(job) / job.chunks[1].wav_name).unlink()
    job.status = "queued"  # what the daemon does when asked again
    store.save(job)
    provider.calls.clear()
    job = run_book(config, store, store.load(store.folder(job)), provider)
    assert sum(provider.calls.values()) == 1
    assert provider.calls[provider.order[1]] == 1
    assert (tmp_path / "outbox" / "book.wav").read_bytes() == first_output


@BOOK_CONFIG
def test_a_damaged_chunk_is_regenerated_on_resume(config, tmp_path):
    store, job = make_job(config)
    provider = ToneProvider()
    stop = threading.Event()
    job = run_book(config, store, job, provider, stop=stop,
              on_progress=lambda p: stop.set() if p.done == 2 else None)
    assert job.status == "interrupted" and [c.status for c in job.chunks][:2] == ["done", "done"]
    (store.folder(job) / job.chunks[0].wav_name).write_bytes(b"RIFF garbage")
    (store.folder(job) / ".chunk_0003.wav.tmp-leftover").write_bytes(b"partial")
    provider.calls.clear()
    job = run_book(config, store, store.load(store.folder(job)), provider)
    assert job.status == "done"
    assert provider.calls[provider.order[0]] == 1 and provider.calls[provider.order[1]] == 0
    assert not list(store.folder(job).glob(".*tmp-*"))


@BOOK_CONFIG
@pytest.mark.parametrize("stop_after", [1, 3, 5])
def test_an_interrupted_then_resumed_job_gives_byte_identical_output(make_config, tmp_path, stop_after):
    whole = make_config(tmp_path / "whole")
    store, job = make_job(whole)
    run_book(whole, store, job, ToneProvider())
    expected = (tmp_path / "whole" / "outbox" / "book.wav").read_bytes()

    parts = make_config(tmp_path / "parts")
    store, job = make_job(parts)
    stop = threading.Event()
    job = run_book(parts, store, job, ToneProvider(), stop=stop,
              on_progress=lambda p: stop.set() if p.done == stop_after else None)
    assert job.status == "interrupted"  # stopped: it resumes first at the next start
    assert not (tmp_path / "parts" / "outbox" / "book.wav").exists()
    job = run_book(parts, store, store.load(store.folder(job)), ToneProvider())
    assert job.status == "done"
    assert (tmp_path / "parts" / "outbox" / "book.wav").read_bytes() == expected


@BOOK_CONFIG
def test_a_chunk_failing_once_is_retried_and_the_job_completes(config, tmp_path):
    store, job = make_job(config)
    job = run_book(config, store, job, ToneProvider(fail_times={2: 1}))
    assert job.status == "done"
    assert job.chunks[1].attempts == 2


@BOOK_CONFIG
def test_a_chunk_that_keeps_failing_fails_the_job_with_the_reason(make_config, tmp_path):
    config = make_config(jobs={"retries": 2})
    store, job = make_job(config)
    provider = ToneProvider(fail_times={2: 99})
    job = run_book(config, store, job, provider)
    assert job.status == "failed"
    on_disk = store.load(store.folder(job))
    assert on_disk.status == "failed"
    assert "chunk 2 failed after 3 attempts" in on_disk.error
    assert "injected failure" in on_disk.chunks[1].error
    assert on_disk.chunks[1].attempts == 3
    assert provider.calls[provider.order[1]] == 3
    assert not (tmp_path / "outbox" / "book.wav").exists()


@BOOK_CONFIG
def test_a_second_book_with_the_same_name_never_overwrites_the_first(config, tmp_path):
    store, first = make_job(config)
    run_book(config, store, first, ToneProvider())
    before = (tmp_path / "outbox" / "book.wav").read_bytes()
    _, second = make_job(config, BOOK.replace(b"two sentences", b"2 sentences"))
    second = run_book(config, store, second, ToneProvider())
    assert (tmp_path / "outbox" / "book.wav").read_bytes() == before
    assert second.output["wav"].endswith("book (2).wav")
    assert json.loads((tmp_path / "outbox" / "book (2).json").read_text())["job_id"] == second.id


@BOOK_CONFIG
def test_chunk_wavs_are_removed_after_publishing_unless_kept(make_config, tmp_path):
    config = make_config(jobs={"keep_chunks": False})
    store, job = make_job(config)
    job = run_book(config, store, job, ToneProvider())
    assert job.status == "done" and not list(store.folder(job).glob("chunk_*.wav"))
    assert (store.folder(job) / "source.txt").exists()


@BOOK_CONFIG
def test_a_book_runs_through_the_real_engine(make_config, tmp_path, tiny_engine):
    config = make_config(jobs={"max_chunk_chars": 100}, tts={"kokoro": tiny_engine.settings})
    data = ("CHAPTER I\n\n" + "Hello there. This is a short paragraph of the first chapter.\n\n" * 4 + "CHAPTER II\n\nAnother chapter begins here, and it ends the book.").encode()
    store, job = make_job(config, data)
    job = run_book(config, store, job, tiny_engine)
    assert job.status == "done", job.error
    meta = json.loads((tmp_path / "outbox" / "book.json").read_text())
    assert meta["device"] == "cpu" and meta["provider"] == "kokoro"
    assert meta["letters_spoken"] == meta["letters_sent"] > 0
    assert len(meta["chapters"]) == 2
