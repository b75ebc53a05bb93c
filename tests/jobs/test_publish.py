"""Publishing: a finished book becomes WAV, M4B and Opus with chapters, tags, cover and one loudness.

Each file is read back with a library that did not write it (mutagen for what PyAV wrote,
soundfile for the Opus audio, pyloudnorm as the loudness meter).
"""

import errno
import json
import logging

import av
import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from kokoro_narrator.core import atomic
from kokoro_narrator.audio import encode
from kokoro_narrator.cli.commands import main
from kokoro_narrator.audio.encode import Codec
from kokoro_narrator.synthesis.engine import Segment
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.publish import EDGE_THRESHOLD, KEEP_AFTER, KEEP_BEFORE, free_output_name
from kokoro_narrator.jobs.runner import JobRunner

from support.providers import ToneProvider
from support.config import build_config
from support.images import png
from support.jobs import add_book

SECTIONS = {"jobs": {"max_chunk_chars": 300}, "output": {"formats": ("wav", "m4b", "opus")}}
pytestmark = pytest.mark.config(**SECTIONS)

BOOK = "\n\n".join(
    f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {p} of the {n} story. It has two sentences." for p in range(1, 5))
    for n in ("I", "II", "III")
).encode()
AAC_FRAME = 1024 / 24000


def publish_book(tmp_path, config, provider, metadata=True):
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "tale.txt", BOOK, config)
    if metadata:  # what the book reader (issue 13) records; written here by hand
        (store.folder(job) / "cover.png").write_bytes(png(4, 4))
        job.source["metadata"] = {"title": "A Tale of Three", "authors": ["Ann Author"], "language": "en",
                                  "cover": "cover.png"}
        store.save(job)
    job = JobRunner(store, config, provider, space_wait_seconds=0.01, space_margin=0).run(job)
    assert job.status == "done", job.error
    meta = json.loads((tmp_path / "outbox" / "tale.json").read_text())
    return store, job, meta


def pyloudnorm_lufs(audio, rate):
    return pyloudnorm.Meter(rate).integrated_loudness(np.asarray(audio, dtype=np.float64))


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory, tiny_engine):
    """The tiny Kokoro model's book of three chapters, published as WAV, M4B and Opus."""
    tmp_path = tmp_path_factory.mktemp("tiny-book")
    config = build_config(tmp_path, tts={"kokoro": tiny_engine.settings}, **SECTIONS)
    return (tmp_path, *publish_book(tmp_path, config, tiny_engine))


def test_a_book_becomes_wav_m4b_and_opus_listed_in_the_json(tiny_book):
    tmp_path, store, job, meta = tiny_book
    out = tmp_path / "outbox"
    assert sorted(p.name for p in out.iterdir()) == ["tale.json", "tale.m4b", "tale.opus", "tale.timings.json",
                                                     "tale.wav"]
    assert [f["format"] for f in meta["files"]] == ["wav", "m4b", "opus", "timings"]
    for record in meta["files"][:3]:  # the audio files; the timings are tests/jobs/test_companions.py's
        assert record["size"] == (out / f"tale.{record['format']}").stat().st_size
        assert record["duration_seconds"] == pytest.approx(meta["audio_seconds"], abs=AAC_FRAME)
        assert record["gain_db"] == meta["loudness"]["gain_db"]
    assert meta["warnings"] == [] and job.output["files"]["m4b"].endswith("tale.m4b")
    assert meta["format"]["samplerate"] == 24000 and meta["job_id"] == job.id


def test_the_m4b_carries_the_json_chapters_tags_and_cover(tiny_book):
    tmp_path, store, job, meta = tiny_book
    m4b = MP4(tmp_path / "outbox" / "tale.m4b")
    assert [c.title for c in m4b.chapters] == [c["title"] for c in meta["chapters"]] == \
        ["CHAPTER I", "CHAPTER II", "CHAPTER III"]
    assert [c.start for c in m4b.chapters] == pytest.approx([c["start_seconds"] for c in meta["chapters"]],
                                                              abs=AAC_FRAME)
    assert m4b["©nam"] == ["A Tale of Three"] and m4b["©ART"] == ["Ann Author"] and m4b["©gen"] == ["Audiobook"]
    assert m4b["stik"] == [2] and job.settings["voice"] in m4b["©cmt"][0]
    assert bytes(m4b["covr"][0]) == (store.folder(job) / "cover.png").read_bytes()


def test_the_opus_carries_the_json_chapters_tags_and_cover(tiny_book):
    tmp_path, store, job, meta = tiny_book
    opus = OggOpus(tmp_path / "outbox" / "tale.opus")
    titles = [opus[f"chapter{n:03d}name"][0] for n in range(1, 4)]
    assert titles == [c["title"] for c in meta["chapters"]]
    for n, chapter in enumerate(meta["chapters"], start=1):
        h, m, s = opus[f"chapter{n:03d}"][0].split(":")
        assert int(h) * 3600 + int(m) * 60 + float(s) == pytest.approx(chapter["start_seconds"], abs=0.02)
    assert opus["title"] == ["A Tale of Three"] and opus["artist"] == ["Ann Author"] and opus["language"] == ["eng"]
    assert job.settings["voice"] in opus["description"][0] and "metadata_block_picture" in opus  # FFmpeg's name
    assert opus.info.length == pytest.approx(meta["audio_seconds"], abs=0.02)


def test_every_file_measures_at_the_target_loudness_or_reports_the_peak_cap(tiny_book):
    tmp_path, store, job, meta = tiny_book
    out = tmp_path / "outbox"
    loudness = meta["loudness"]
    target = -18.0 if not loudness["limited_by_peak"] else loudness["expected_lufs"]
    wav, rate = sf.read(out / "tale.wav")
    opus, opus_rate = sf.read(out / "tale.opus")  # libsndfile decodes it; PyAV wrote it
    with av.open(str(out / "tale.m4b")) as container:
        aac = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    for audio, r in ((wav, rate), (opus, opus_rate), (aac, 24000)):
        assert pyloudnorm_lufs(audio, r) == pytest.approx(target, abs=0.5)
    assert meta["files"][0]["loudness_lufs"] == pytest.approx(target, abs=0.5)
    assert meta["files"][0]["true_peak_dbtp"] <= -1.0
    assert loudness["before_lufs"] + loudness["gain_db"] == pytest.approx(loudness["expected_lufs"], abs=0.01)


def test_with_loudness_false_the_samples_keep_their_level(make_config, tmp_path):
    config = make_config(output={"formats": ("wav",), "loudness": False})
    store, job, meta = publish_book(tmp_path, config, ToneProvider(), metadata=False)
    wav, _ = sf.read(tmp_path / "outbox" / "tale.wav")
    assert meta["loudness"]["gain_db"] == 0.0 and meta["loudness"]["target_lufs"] is None
    assert np.abs(wav).max() == pytest.approx(0.3, abs=0.001)  # the tone provider's own amplitude


class EdgeSilenceProvider(ToneProvider):
    """Tones with a second of model-like near-silence before and after every chunk."""

    def synthesize_chunk(self, text, voice=None, speed=None, **options):
        hiss = (np.random.default_rng(0).normal(size=24000) * EDGE_THRESHOLD / 10).astype(np.float32)
        yield Segment(hiss, "", "", False, no_coverage())
        yield from super().synthesize_chunk(text, voice, speed, **options)
        yield Segment(hiss, "", "", False, no_coverage())


def no_coverage():
    from kokoro_narrator.synthesis.g2p import Coverage

    return Coverage(0, 0)


def test_the_models_edge_silence_is_trimmed_to_lead_and_tail_silence(make_config, tmp_path):
    config = make_config(output={"formats": ("wav",), "loudness": False, "lead_silence": 0.25, "tail_silence": 0.4})
    store, job, meta = publish_book(tmp_path, config, EdgeSilenceProvider(), metadata=False)
    wav, rate = sf.read(tmp_path / "outbox" / "tale.wav")
    loud = np.flatnonzero(np.abs(wav) > 0.01)
    assert loud[0] / rate == pytest.approx(0.25 + KEEP_BEFORE, abs=0.01)
    assert (len(wav) - loud[-1]) / rate == pytest.approx(0.4 + KEEP_AFTER, abs=0.01)
    assert meta["chapters"][0]["start_seconds"] == 0.0
    assert meta["chapters"][-1]["end_seconds"] == pytest.approx(len(wav) / rate, abs=0.001)


def test_a_missing_encoder_is_a_warning_and_the_other_formats_are_made(make_config, tmp_path, monkeypatch):
    monkeypatch.setitem(encode.CODECS, "m4b", Codec("ipod", "no_such_encoder", 64_000))
    config = make_config()
    store, job, meta = publish_book(tmp_path, config, ToneProvider())
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["tale.json", "tale.opus", "tale.timings.json", "tale.wav"]
    assert len(meta["warnings"]) == 1 and "m4b not made" in meta["warnings"][0]
    assert "no_such_encoder" in meta["warnings"][0]
    assert job.output["warnings"] == meta["warnings"]
    assert json.loads((store.folder(job) / "job.json").read_text())["output"]["warnings"] == meta["warnings"]


def test_a_full_disk_while_encoding_makes_the_job_wait_then_finish(make_config, tmp_path, monkeypatch, caplog):
    failures = []

    def disk_full_once(path):
        if path.suffix == ".opus" and not failures:
            failures.append(path)
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "fault_hook", disk_full_once)
    config = make_config()
    with caplog.at_level(logging.WARNING):
        store, job, meta = publish_book(tmp_path, config, ToneProvider())
    assert failures and any("waiting: disk full" in r.getMessage() for r in caplog.records)
    assert [f["format"] for f in meta["files"]] == ["wav", "m4b", "opus", "timings"] and meta["warnings"] == []


def test_a_name_taken_by_another_books_m4b_is_not_reused(make_config, tmp_path):
    config = make_config()
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "tale.txt", BOOK, config)
    (config.paths.outbox / "tale.m4b").write_bytes(b"someone else's")
    assert free_output_name(job, config.paths.outbox).name == "tale (2).wav"


def test_export_makes_another_format_from_the_published_wav_and_json(make_config, tmp_path, capsys):
    config = make_config(output={"formats": ("wav",)})
    store, job, meta = publish_book(tmp_path, config, ToneProvider())
    book_json = tmp_path / "outbox" / "tale.json"
    assert main(["export", str(book_json), "--format", "mp3", "--format", "m4b"]) == 0
    assert "tale.mp3" in capsys.readouterr().out
    updated = json.loads(book_json.read_text())
    assert [f["format"] for f in updated["files"]] == ["wav", "timings", "mp3", "m4b"]
    assert [c.title for c in MP4(tmp_path / "outbox" / "tale.m4b").chapters] == [c["title"] for c in meta["chapters"]]
    assert MP4(tmp_path / "outbox" / "tale.m4b")["©nam"] == ["A Tale of Three"]


def test_export_without_the_wav_is_a_clear_error(tmp_path, capsys):
    book_json = tmp_path / "gone.json"
    book_json.write_text("{}")
    assert main(["export", str(book_json), "--format", "opus"]) == 1
    assert "the book's WAV is missing" in capsys.readouterr().err


def test_without_book_metadata_the_title_is_the_file_name_and_the_language_the_voices(make_config, tmp_path):
    config = make_config(output={"formats": ("wav", "opus")})
    store, job, meta = publish_book(tmp_path, config, ToneProvider(), metadata=False)
    opus = OggOpus(tmp_path / "outbox" / "tale.opus")
    assert meta["tags"]["title"] == "tale" and opus["title"] == ["tale"] and opus["language"] == ["eng"]
    assert "artist" not in opus and meta["tags"]["cover"] is None


def test_each_chunks_loudness_is_measured_as_it_is_made_not_at_publish_time(make_config, tmp_path, monkeypatch):
    from kokoro_narrator.jobs import publish

    events = []
    measure = publish.measure_wav
    monkeypatch.setattr(publish, "measure_wav", lambda path: events.append(f"measure {path.name}") or measure(path))

    class Recording(ToneProvider):
        def synthesize_chunk(self, text, voice=None, speed=None, **options):
            events.append("synthesize")
            yield from super().synthesize_chunk(text, voice, speed, **options)

    config = make_config(output={"formats": ("wav",)})
    store, job, meta = publish_book(tmp_path, config, Recording(), metadata=False)
    assert events == [e for chunk in job.chunks for e in ("synthesize", f"measure {chunk.wav_name}")]
    assert all(chunk.loudness and chunk.loudness["frames"] == chunk.frames for chunk in job.chunks)


def test_chapters_inside_parts_are_titled_by_their_part_in_the_m4b_the_opus_and_the_json(make_config, tmp_path):
    def chapter(part: str, n: str) -> str:
        return f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {p} of chapter {n} in part {part}. It says more here."
                                                  for p in range(1, 6))
    text = "\n\n".join(f"PART {part}\n\n{chapter(part, 'I')}\n\n{chapter(part, 'II')}" for part in ("ONE", "TWO"))
    config = make_config(output={"formats": ("m4b", "opus")})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "parts.txt", text.encode(), config)
    job = JobRunner(store, config, ToneProvider(), space_wait_seconds=0.01, space_margin=0).run(job)
    assert job.status == "done", job.error
    meta = json.loads((tmp_path / "outbox" / "parts.json").read_text())
    titles = ["PART ONE: CHAPTER I", "PART ONE — CHAPTER II", "PART TWO: CHAPTER I", "PART TWO — CHAPTER II"]
    assert [(c["title"], c["level"], c["parent"]) for c in meta["chapters"]] == [
        (titles[0], 1, None), (titles[1], 2, 0), (titles[2], 1, None), (titles[3], 2, 2)]
    assert [c.title for c in MP4(tmp_path / "outbox" / "parts.m4b").chapters] == titles
    opus = OggOpus(tmp_path / "outbox" / "parts.opus")
    assert [opus[f"chapter{n:03d}name"][0] for n in range(1, 5)] == titles
