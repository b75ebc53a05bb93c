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
    assert {"wav", "timings", "vtt", "srt", "chapters-vtt"} <= set(files)
    assert "book.timings.json" in render(report) and "book.chapters.vtt" in render(report)


MARKDOWN = ("---\ntitle: The Lamp\nauthor: A. Writer\n---\n\n# Chapter One\n\nThe lamp was lit at dusk. "
            "The road went on.\n\n```\nprint('not spoken')\n```\n\n# Chapter Two\n\nNobody came. The lamps went out.\n")


def epub_source() -> bytes:
    from support.epubs import build, CONTAINER, opf

    def page(body: str) -> str:
        return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
                f'xml:lang="en" lang="en"><head><title>t</title></head><body>{body}</body></html>\n')

    manifest = ('<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="two" href="two.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    toc = '<nav xmlns:epub="http://www.idpf.org/2007/ops" epub:type="toc"><ol><li><a href="one.xhtml">One</a></li>' \
          '<li><a href="two.xhtml">Two</a></li></ol></nav>'
    package = opf("3.0", "en", '<itemref idref="one"/><itemref idref="two"/>', manifest,
                  '<meta property="dcterms:modified">2020-01-01T00:00:00Z</meta>').replace('<spine toc="ncx">', "<spine>")
    return build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": package, "OEBPS/nav.xhtml": page(toc),
                  "OEBPS/one.xhtml": page("<h1>One</h1><p>The lamp was <em>lit</em> at dusk. The road went on.</p>"),
                  "OEBPS/two.xhtml": page("<h1>Two</h1><p>Nobody came. It was 1914.</p>")})


@pytest.mark.parametrize("name", ["book.md", "book.epub", "book.txt"])
def test_a_dropped_book_gives_a_read_along_epub_that_epubcheck_accepts(tmp_path, tiny_engine, name):
    from support.config import build_config
    from support.epubcheck import epubcheck, needs_epubcheck

    data = {"book.md": MARKDOWN.encode(), "book.epub": epub_source(), "book.txt": BOOK.encode()}[name]
    config = build_config(tmp_path, tts={"kokoro": tiny_engine.settings}, output={"formats": ("wav", "epub")})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, name, data, config)
    job = JobRunner(store, config, tiny_engine).run(job)
    assert job.status == "done" and not job.output["warnings"]
    epub = config.paths.outbox / "book.readalong.epub"
    timings = read_timings(config.paths.outbox / "book.timings.json")
    import zipfile

    with zipfile.ZipFile(epub) as book:
        smil = "".join(book.read(n).decode() for n in sorted(book.namelist()) if n.endswith(".smil"))
    assert smil.count("<par") == len(timings.sentences) > 0
    assert "not spoken" not in smil
    if needs_epubcheck.args[0]:
        pytest.skip(needs_epubcheck.kwargs["reason"])
    epubcheck(epub)


def test_export_makes_the_read_along_epub_without_synthesizing(published, tmp_path):
    import shutil
    import subprocess
    import sys

    epub = published / "book.readalong.epub"
    assert not epub.exists()
    config_file = tmp_path / "config.toml"
    root = published.parent
    config_file.write_text(f'[paths]\ninbox = "{root / "inbox"}"\noutbox = "{published}"\njobs = "{root / "jobs"}"\n')
    done = subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", "export", "--config", str(config_file),
                           str(published / "book.json"), "--format", "epub"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "book.readalong.epub" in done.stdout and epub.stat().st_size > 0
    files = {f["format"] for f in json.loads((published / "book.json").read_text())["files"]}
    assert "epub" in files
    shutil.copy(epub, tmp_path / "kept.epub")
    epub.unlink()  # the other tests of this module see the book as published
