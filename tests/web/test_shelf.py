"""Listening from the page: the published books, their files by job id and format (ranges for seeking), a
chapter's timed text at a time, and the preview of a queued book (what `chunk --text` shows)."""

from __future__ import annotations

import logging
from pathlib import Path

from kokoro_narrator.cli import main
from kokoro_narrator.core import atomic_write
from kokoro_narrator.sync import timings_bytes

from support.daemons import wait_for
from support.timings import fake_timings
from support.web import BOOK, published

LONG = "# The Long Book\n\n" + "\n\n".join(
    f"## Chapter {n}\n\n" + " ".join(f"Sentence {s} of chapter {n} is here." for s in range(40)) for n in range(1, 31))


def test_a_published_book_is_listed_with_its_chapters_formats_and_downloads(page):
    job = published(page)
    client = page.client().login()
    books = client.request("GET", "/api/books").json()["books"]
    assert [book["id"] for book in books] == [job.id]
    book = books[0]
    assert book["audio"] == [{"format": "wav", "type": "audio/wav"}] and "timings" in book["downloads"]
    assert [c["title"] for c in book["chapters"]] == ["A Small Book — One", "A Small Book — Two"]
    assert book["seconds"] == job.output["audio_seconds"]


def test_audio_is_served_by_job_id_and_format_with_ranges_and_as_a_download_on_request(page):
    job = published(page)
    client = page.client().login()
    wav = Path(job.output["files"]["wav"]).read_bytes()
    part = client.request("GET", f"/files/{job.id}/wav", headers={"Range": "bytes=100-199"})
    assert part.status == 206 and part.body == wav[100:200] and part.headers["content-type"] == "audio/wav"
    whole = client.request("GET", f"/files/{job.id}/wav?download=1")
    assert whole.body == wav and whole.headers["content-disposition"].startswith("attachment")
    assert client.request("GET", f"/files/{job.id}/mp3").status == 404  # not made
    assert client.request("GET", f"/files/{job.id}/cover").status == 404  # a markdown book has none


def test_the_text_comes_a_chapter_at_a_time_with_each_sentence_s_times(page, tmp_path):
    job = published(page, "long.md", LONG)
    timings = fake_timings(LONG.encode(), "long.md", tmp_path / "long.wav")
    atomic_write(Path(job.output["files"]["timings"]), timings_bytes(timings))
    client = page.client().login()
    chapter = client.request("GET", f"/api/books/{job.id}/chapters/3").json()
    expected = [s for s in timings.sentences if s.chapter == 3]
    assert [s["text"] for s in chapter["sentences"]] == [s.shown for s in expected]
    assert [(s["start"], s["end"]) for s in chapter["sentences"]] == [(s.start, s.end) for s in expected]
    assert len(chapter["sentences"]) == 41 < len(timings.sentences) / 10  # its heading and 40 sentences, not the book
    assert client.request("GET", f"/api/books/{job.id}/chapters/99").json()["sentences"] == []


def test_the_preview_is_the_spoken_text_that_chunk_text_prints_and_the_voices(page, tmp_path, capsys):
    client = page.client().login()
    client.request("POST", "/api/steer", b'{"action": "pause"}', headers={"Content-Type": "application/json"})
    (page.config.paths.inbox / "numbers.md").write_text("# Numbers\n\nIn 1984 there were 3 dogs and Dr. Smith.\n")
    wait_for(lambda: page.daemon.store.all(), 20, "the job")
    job = page.daemon.store.all()[0]
    preview = client.request("GET", f"/api/jobs/{job.id}/preview").json()
    assert preview["voices"]["narrator"] == page.config.tts.kokoro.voice
    chunks = [text for chapter in preview["chapters"] for text in chapter["chunks"]]
    config = tmp_path / "cli.toml"
    config.write_text(f'[paths]\ninbox = "{page.config.paths.inbox}"\n')
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        assert main(["chunk", "--text", str(page.config.paths.inbox / "numbers.md"), "--config", str(config)]) == 0
    finally:
        root.handlers = handlers
    printed = capsys.readouterr().out
    assert chunks and all(text in printed for text in chunks)


def test_a_book_the_page_cannot_find_is_a_404_never_an_error(page):
    client = page.client().login()
    for path in ("/api/jobs/nothing-here/preview", "/api/books/nothing-here/chapters/0", "/files/nothing-here/wav"):
        assert client.request("GET", path).status == 404
