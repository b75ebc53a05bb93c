"""Jobs on disk: job.json, chunk WAVs, resume, retries, changed settings, published output."""

import dataclasses
import json
import threading

import pytest
import soundfile as sf

from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, TtsConfig
from kokoro_narrator.jobs.store import JOB_FILE, Job, JobStore
from kokoro_narrator.jobs.runner import JobRunner

from providers import ToneProvider

BOOK = "\n\n".join(
    [f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {n}.{p} of the book. It has two sentences." for p in range(1, 7))
     for n in ("I", "II", "III")]
).encode()


def make_config(tmp_path, **jobs) -> Config:
    paths = PathsConfig(inbox=tmp_path / "in", outbox=tmp_path / "out", jobs=tmp_path / "jobs")
    jobs = dataclasses.replace(JobsConfig(max_chunk_chars=120, keep_chunks=True), **jobs)
    return Config(paths=paths, jobs=jobs)


def make_job(config: Config, data: bytes = BOOK, name: str = "book.txt") -> tuple[JobStore, Job]:
    store = JobStore(config.paths.jobs)
    job, created = store.create(name, f"/inbox/{name}", data, config)
    assert created
    return store, job


def run(config, store, job, provider, **kwargs) -> Job:
    return JobRunner(store, config, provider, space_wait_seconds=0.01, space_margin=0, **kwargs).run(job)


def test_a_multi_paragraph_book_makes_several_chunks_all_with_wavs(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    assert len(job.chunks) >= 3
    job = run(config, store, job, ToneProvider())
    assert job.status == "done"
    folder = store.folder(job)
    for chunk in job.chunks:
        assert sf.info(folder / chunk.wav_name).samplerate == 24000
        assert chunk.status == "done" and chunk.attempts == 1
    on_disk = json.loads((folder / JOB_FILE).read_text())
    assert on_disk["status"] == "done" and on_disk["schema_version"] == 1
    assert (folder / "source.txt").read_bytes() == BOOK


def test_the_output_wav_and_json_describe_the_book(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    job = run(config, store, job, ToneProvider())
    wav = tmp_path / "out" / "book.wav"
    meta = json.loads((tmp_path / "out" / "book.json").read_text())
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


def test_deleting_one_chunk_regenerates_exactly_that_chunk(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    provider = ToneProvider()
    job = run(config, store, job, provider)
    first_output = (tmp_path / "out" / "book.wav").read_bytes()
    (store.folder(job) / job.chunks[1].wav_name).unlink()
    job.status = "queued"  # what the daemon does when asked again
    store.save(job)
    provider.calls.clear()
    job = run(config, store, store.load(store.folder(job)), provider)
    assert sum(provider.calls.values()) == 1
    assert provider.calls[provider.order[1]] == 1
    assert (tmp_path / "out" / "book.wav").read_bytes() == first_output


def test_a_damaged_chunk_is_regenerated_on_resume(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    provider = ToneProvider()
    stop = threading.Event()
    job = run(config, store, job, provider, stop=stop,
              on_progress=lambda p: stop.set() if p.done == 2 else None)
    assert job.status == "interrupted" and [c.status for c in job.chunks][:2] == ["done", "done"]
    (store.folder(job) / job.chunks[0].wav_name).write_bytes(b"RIFF garbage")
    (store.folder(job) / ".chunk_0003.wav.tmp-leftover").write_bytes(b"partial")
    provider.calls.clear()
    job = run(config, store, store.load(store.folder(job)), provider)
    assert job.status == "done"
    assert provider.calls[provider.order[0]] == 1 and provider.calls[provider.order[1]] == 0
    assert not list(store.folder(job).glob(".*tmp-*"))


@pytest.mark.parametrize("stop_after", [1, 3, 5])
def test_an_interrupted_then_resumed_job_gives_byte_identical_output(tmp_path, stop_after):
    whole = make_config(tmp_path / "whole")
    store, job = make_job(whole)
    run(whole, store, job, ToneProvider())
    expected = (tmp_path / "whole" / "out" / "book.wav").read_bytes()

    parts = make_config(tmp_path / "parts")
    store, job = make_job(parts)
    stop = threading.Event()
    job = run(parts, store, job, ToneProvider(), stop=stop,
              on_progress=lambda p: stop.set() if p.done == stop_after else None)
    assert job.status == "interrupted"  # stopped: it resumes first at the next start
    assert not (tmp_path / "parts" / "out" / "book.wav").exists()
    job = run(parts, store, store.load(store.folder(job)), ToneProvider())
    assert job.status == "done"
    assert (tmp_path / "parts" / "out" / "book.wav").read_bytes() == expected


def test_a_chunk_failing_once_is_retried_and_the_job_completes(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    job = run(config, store, job, ToneProvider(fail_times={2: 1}))
    assert job.status == "done"
    assert job.chunks[1].attempts == 2


def test_a_chunk_that_keeps_failing_fails_the_job_with_the_reason(tmp_path):
    config = make_config(tmp_path, retries=2)
    store, job = make_job(config)
    provider = ToneProvider(fail_times={2: 99})
    job = run(config, store, job, provider)
    assert job.status == "failed"
    on_disk = store.load(store.folder(job))
    assert on_disk.status == "failed"
    assert "chunk 2 failed after 3 attempts" in on_disk.error
    assert "injected failure" in on_disk.chunks[1].error
    assert on_disk.chunks[1].attempts == 3
    assert provider.calls[provider.order[1]] == 3
    assert not (tmp_path / "out" / "book.wav").exists()


def test_changed_settings_or_source_make_a_new_job(tmp_path):
    config = make_config(tmp_path)
    store, job = make_job(config)
    same, created = store.create("book.txt", "/inbox/book.txt", BOOK, config)
    assert not created and same.id == job.id
    slower = dataclasses.replace(config, tts=dataclasses.replace(
        config.tts, kokoro=dataclasses.replace(config.tts.kokoro, speed=0.9)))
    other, created = store.create("book.txt", "/inbox/book.txt", BOOK, slower)
    assert created and other.id != job.id
    edited, created = store.create("book.txt", "/inbox/book.txt", BOOK + b"\n\nOne more line.", config)
    assert created and edited.id not in (job.id, other.id)


def test_bad_input_becomes_a_failed_job_with_a_clear_error(tmp_path):
    config = make_config(tmp_path)
    store = JobStore(config.paths.jobs)
    job, _ = store.create("empty.txt", "/inbox/empty.txt", b"  \n\n ", config)
    assert job.status == "failed" and "empty" in job.error.lower()
    assert store.load(store.folder(job)).error == job.error


def test_a_second_book_with_the_same_name_never_overwrites_the_first(tmp_path):
    config = make_config(tmp_path)
    store, first = make_job(config)
    run(config, store, first, ToneProvider())
    before = (tmp_path / "out" / "book.wav").read_bytes()
    _, second = make_job(config, BOOK.replace(b"two sentences", b"2 sentences"))
    second = run(config, store, second, ToneProvider())
    assert (tmp_path / "out" / "book.wav").read_bytes() == before
    assert second.output["wav"].endswith("book (2).wav")
    assert json.loads((tmp_path / "out" / "book (2).json").read_text())["job_id"] == second.id


def test_chunk_wavs_are_removed_after_publishing_unless_kept(tmp_path):
    config = make_config(tmp_path, keep_chunks=False)
    store, job = make_job(config)
    job = run(config, store, job, ToneProvider())
    assert job.status == "done" and not list(store.folder(job).glob("chunk_*.wav"))
    assert (store.folder(job) / "source.txt").exists()


def test_a_book_runs_through_the_real_engine(tmp_path, tiny_engine):
    config = make_config(tmp_path, max_chunk_chars=100)
    config = dataclasses.replace(config, tts=TtsConfig(kokoro=tiny_engine.settings))
    data = ("CHAPTER I\n\n" + "Hello there. This is a short paragraph of the first chapter.\n\n" * 4 + "CHAPTER II\n\nAnother chapter begins here, and it ends the book.").encode()
    store, job = make_job(config, data)
    job = run(config, store, job, tiny_engine)
    assert job.status == "done", job.error
    meta = json.loads((tmp_path / "out" / "book.json").read_text())
    assert meta["device"] == "cpu" and meta["provider"] == "kokoro"
    assert meta["letters_spoken"] == meta["letters_sent"] > 0
    assert len(meta["chapters"]) == 2
