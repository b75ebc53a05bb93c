"""Publishing a book made by the real engine (tiny model) writes its timings and the captions asked for,
and the captions open in a player with the timings' times, to the millisecond."""

import json

import av
import pytest

from kokoro_narrator.jobs.runner import JobRunner
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.sync import read_timings
from support.jobs import add_book

BOOK = ("CHAPTER IV.\n\nIt was 1914, and Dr. Watson said: \"Hello there!\" The bell rang at 8:35.\n\n"
        "She counted three lamps. Then she stopped, and looked at the long road that went on into the hills "
        "where nobody had walked for a long time, and wondered whether anyone ever would again.\n\n"
        "CHAPTER V.\n\nThe end came soon. Nobody knew why.\n")


@pytest.fixture(scope="module")
def published(tmp_path_factory, tiny_engine):
    from support.config import build_config

    root = tmp_path_factory.mktemp("companions")
    config = build_config(root, tts={"kokoro": tiny_engine.settings}, jobs={"max_chunk_chars": 200},
                          output={"captions": ("vtt", "srt"), "captions_words": True})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    assert JobRunner(store, config, tiny_engine).run(job).status == "done"
    return config.paths.outbox


def cues(path):
    """(start ms, end ms) of every cue a player reads from a caption file."""
    with av.open(str(path)) as container:
        return [(packet.pts, packet.pts + packet.duration) for packet in container.demux() if packet.size]


def test_every_sentence_is_timed_in_order_and_tied_to_the_book(published):
    timings = read_timings(published / "book.timings.json")
    shown = [s.shown for s in timings.sentences]
    assert shown[0] == "CHAPTER IV." and timings.sentences[0].text == "Chapter Four."
    assert "The bell rang at 8:35." in shown and shown[-1] == "Nobody knew why."
    assert [s.chapter for s in timings.sentences] == [0] * (len(shown) - 3) + [1] * 3
    for before, after in zip(timings.sentences, timings.sentences[1:]):
        assert before.start < before.end <= after.start
    assert timings.sentences[-1].end <= timings.duration
    book = json.loads((published / "book.json").read_text())
    assert book["audio_seconds"] == timings.duration
    assert [c["start_seconds"] for c in book["chapters"]] == [c["start"] for c in timings.chapters]


def test_the_captions_open_in_a_player_with_the_timings_times(published):
    timings = read_timings(published / "book.timings.json")
    for name in ("book.vtt", "book.srt"):
        read = cues(published / name)
        sentence_starts = {round(s.start * 1000) for s in timings.sentences}
        assert sentence_starts <= {start for start, _ in read}  # each sentence opens a cue, to the ms
        ends = {round(s.end * 1000) for s in timings.sentences}
        assert ends <= {end for _, end in read} or name == "book.srt"  # SRT: a cue per word group
    chapters = cues(published / "book.chapters.vtt")
    assert chapters == [(round(c["start"] * 1000), round(c["end"] * 1000)) for c in timings.chapters]
    assert "<00:00:" in (published / "book.vtt").read_text()  # word timing inside the cues


def test_the_book_json_lists_the_companions_with_their_sizes(published):
    files = {f["format"]: f for f in json.loads((published / "book.json").read_text())["files"]}
    assert set(files) == {"wav", "timings", "vtt", "srt", "chapters-vtt"}
    for record in files.values():
        assert record["size"] == (published / record["path"].rsplit("/", 1)[-1]).stat().st_size > 0


def test_status_lists_the_files_with_their_sizes(published):
    from kokoro_narrator.cli.status import collect, render

    store = JobStore(published.parent / "jobs")
    report = collect(store)
    files = {f["format"]: f for f in report["done"][0]["files"]}
    assert files["vtt"]["size"] == (published / "book.vtt").stat().st_size
    assert {"wav", "timings", "vtt", "srt", "chapters-vtt"} == set(files)
    assert "book.timings.json" in render(report) and "book.chapters.vtt" in render(report)
