"""A book with a dialogue voice and a cast, made through the runner on the tiny model with random voice packs:
the cast is recorded, each segment is read by its voice, a kill inside a chunk resumes byte for byte, and the
preview shows the same cast and segments."""

import json
import shutil
import subprocess
import sys

import pytest
import torch

from kokoro_narrator.jobs.runner import JobRunner
from kokoro_narrator.jobs.store import JobStore
from support.config import build_config
from support.jobs import add_book

BOOK = ('CHAPTER I.\n\n"Come in," said Holmes. "Sit down, Watson."\n\n"Thank you," said Watson. "It is cold."\n\n'
        '"It is," said Holmes.\n\n"Very cold," said Watson.\n\nHolmes smiled. "Indeed," said Holmes.\n\n'
        '"Then we go," said Watson, and they went out into the fog.\n')
VOICES = ("tiny_voice", "bf_emma", "bm_george", "bm_lewis", "af_sky")


@pytest.fixture(scope="module")
def voices_dir(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("voices")
    shutil.copy(tiny_model_dir / "voices" / "tiny_voice.pt", folder)
    for seed, name in enumerate(VOICES[1:], 1):
        torch.manual_seed(seed)
        torch.save(torch.randn(510, 1, 256) * 0.1, folder / f"{name}.pt")
    return folder


def config_for(root, tiny_engine, voices_dir, **jobs):
    import dataclasses

    kokoro = dataclasses.replace(tiny_engine.settings, voices_dir=voices_dir)
    return build_config(root, tts={"kokoro": kokoro}, voices={"dialogue": "bf_emma", "cast": "auto", "cast_size": 2},
                        jobs={"max_chunk_chars": 20000, **jobs})


class Recorder:
    """The tiny engine, recording each segment's voice; it raises after `kill_after` segments."""

    device_label = "cpu"

    def __init__(self, engine, kill_after=None):
        self.engine, self.kill_after, self.voices, self.starts = engine, kill_after, [], []

    def provider_name(self):
        return "kokoro"

    def synthesize_chunk(self, text, voice=None, speed=None, start=0, lang_code=None, voices=()):
        self.starts.append(start)
        for number, segment in enumerate(self.engine.synthesize_chunk(text, voice, speed, start, lang_code, voices),
                                         start):
            if number == self.kill_after:
                raise KeyboardInterrupt  # as a kill: nothing after it runs
            self.voices.append((segment.voice, segment.text))
            yield segment


def engine_with(tiny_engine, voices_dir):
    import dataclasses

    from kokoro_narrator.synthesis import KokoroEngine

    return KokoroEngine(dataclasses.replace(tiny_engine.settings, voices_dir=voices_dir), tiny_engine.acoustic,
                        tiny_engine.pipeline, "cpu", "cpu", 0.0)


def test_a_cast_book_is_read_by_the_narrator_the_dialogue_voice_and_the_characters(tmp_path, tiny_engine, voices_dir):
    config = config_for(tmp_path, tiny_engine, voices_dir)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    cast = {role["name"]: role for role in job.source["cast"]}
    assert set(cast) == {"Holmes", "Watson"} and cast["Holmes"]["lines"] == cast["Watson"]["lines"] == 4
    assert {role["voice"] for role in cast.values()} <= set(VOICES) - {"tiny_voice", "bf_emma"}
    assert cast["Holmes"]["voice"] != cast["Watson"]["voice"]
    recorder = Recorder(engine_with(tiny_engine, voices_dir))
    assert JobRunner(store, config, recorder).run(job).status == "done"
    said = {text: voice for voice, text in recorder.voices}
    assert said['"Come in,"'] == cast["Holmes"]["voice"] and said['"Thank you,"'] == cast["Watson"]["voice"]
    assert said["said Holmes."] == "tiny_voice"  # the attribution stays with the narrator
    book = json.loads((config.paths.outbox / "book.json").read_text())
    assert book["voices"]["dialogue"] == "bf_emma" and [r["name"] for r in book["voices"]["cast"]] == ["Holmes", "Watson"]


def test_a_kill_where_voices_switch_inside_a_chunk_resumes_byte_identical(tmp_path, tiny_engine, voices_dir):
    engine = engine_with(tiny_engine, voices_dir)
    reference = config_for(tmp_path / "ref", tiny_engine, voices_dir)
    store = JobStore(reference.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, reference)
    assert JobRunner(store, reference, Recorder(engine)).run(job).status == "done"

    config = config_for(tmp_path / "kill", tiny_engine, voices_dir, checkpoint_seconds=0)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    with pytest.raises(KeyboardInterrupt):
        JobRunner(store, config, Recorder(engine, kill_after=5)).run(job)
    resumed = Recorder(engine)
    assert JobRunner(store, config, resumed).run(store.load(store.folder(job))).status == "done"
    assert resumed.starts == [5]
    for name in ("book.wav", "book.timings.json"):
        assert (config.paths.outbox / name).read_bytes() == (reference.paths.outbox / name).read_bytes()


def test_the_preview_shows_the_cast_and_who_reads_each_segment(tmp_path, tiny_engine, voices_dir):
    (tmp_path / "book.txt").write_text(BOOK)
    (tmp_path / "config.toml").write_text(f'[tts.kokoro]\nvoice = "tiny_voice"\nvoices_dir = "{voices_dir}"\n'
                                          '[voices]\ndialogue = "bf_emma"\ncast = "auto"\ncast_size = 2\n')
    command = [sys.executable, "-m", "kokoro_narrator.cli", "chunk", "--config", str(tmp_path / "config.toml"),
               "--voices", str(tmp_path / "book.txt")]
    text = subprocess.run(command + ["--text"], capture_output=True, text=True, check=True).stdout
    assert "cast: Holmes (U, 4 lines)" in text and '[dialogue · bf_emma]' not in text.split("\n")[3]
    report = json.loads(subprocess.run(command + ["--json"], capture_output=True, text=True, check=True).stdout)
    first = next(s for s in report["segments"] if s["speaker"] == "Holmes")
    assert first["text"] == '"Come in,"' and BOOK[first["start"]:first["end"]] == '"Come in,"'
    assert [s["voice"] for s in report["segments"][:3]] == ["tiny_voice", first["voice"], "tiny_voice"]


def test_a_sidecar_cast_gives_its_characters_their_voices_without_a_dialogue_voice(tmp_path, tiny_engine, voices_dir):
    import dataclasses

    kokoro = dataclasses.replace(tiny_engine.settings, voices_dir=voices_dir)
    config = build_config(tmp_path, tts={"kokoro": kokoro})
    store = JobStore(config.paths.jobs)
    own = {"cast": [["Sherlock Holmes", "bm_george", ["Holmes"]], ["Dr. Watson", "bm_lewis", ["Watson"]]]}
    job, _ = add_book(store, "book.txt", BOOK, config, book=own)
    assert [(r["name"], r["voice"], r["lines"]) for r in job.source["cast"]] == [
        ("Sherlock Holmes", "bm_george", 4), ("Dr. Watson", "bm_lewis", 4)]
    recorder = Recorder(engine_with(tiny_engine, voices_dir))
    assert JobRunner(store, config, recorder).run(job).status == "done"
    said = {text: voice for voice, text in recorder.voices}
    assert said['"Come in,"'] == "bm_george" and said['"Thank you,"'] == "bm_lewis"
    assert JobStore(config.paths.jobs).find(job.id).settings["dialogue_voice"] == ""


def test_a_blended_narrator_makes_a_published_book(tmp_path, tiny_engine, voices_dir):
    import dataclasses

    kokoro = dataclasses.replace(tiny_engine.settings, voices_dir=voices_dir, voice="tiny_voice * 0.7 + bm_george * 0.3")
    config = build_config(tmp_path, tts={"kokoro": kokoro})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", "A short book, read by a blend of two voices.\n", config)
    assert job.settings["voice"] == "tiny_voice*0.7+bm_george*0.3"
    recorder = Recorder(engine_with(tiny_engine, voices_dir))
    assert JobRunner(store, config, recorder).run(job).status == "done"
    assert {voice for voice, _ in recorder.voices} == {"tiny_voice*0.7+bm_george*0.3"}
    assert json.loads((config.paths.outbox / "book.json").read_text())["voices"]["narrator"] == job.settings["voice"]
