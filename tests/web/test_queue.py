"""The queue on the page: every book's state, chapter, chunk and progress inside it, ETA, voice, errors in words,
and the event stream that moves it within ~2 s of a change."""

from __future__ import annotations

import json
import time

from support.daemons import wait_for
from support.providers import ToneProvider

PARAGRAPHS = "\n\n".join(f"Paragraph {n} of a slow book, long enough to take a while." for n in range(60))


class SlowTone(ToneProvider):
    """The tone provider, 40 ms an utterance: a book that is still being made while the test looks."""

    def synthesize_chunk(self, text, voice=None, speed=None, start=0, lang_code=None):
        for segment in super().synthesize_chunk(text, voice, speed, start, lang_code):
            time.sleep(0.04)
            yield segment


def events(client, timeout: float = 10.0):
    """Yield (arrival time, data) for each event of the page's stream."""
    connection = client.connection(timeout)
    connection.putrequest("GET", "/api/events", skip_host=True)
    connection.putheader("Host", client.host)
    connection.putheader("Cookie", client.cookie)
    connection.putheader("X-Kokoro-Key", client.key)
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")
    try:
        while True:
            line = response.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                yield time.monotonic(), json.loads(line[6:])
    finally:
        connection.close()


def test_the_event_stream_shows_a_change_within_two_seconds(page):
    client = page.client().login()
    stream = events(client)
    _, first = next(stream)
    assert first == {"paused": False, "jobs": []}
    asked = time.monotonic()
    assert client.request("POST", "/api/steer", b'{"action": "pause"}').status == 200
    arrived, second = next(stream)
    assert second["paused"] is True and arrived - asked < 2.5
    (page.config.paths.inbox / "new.txt").write_text("A new book, dropped while the page is open.\n")
    arrived, third = next(stream)
    assert [job["name"] for job in third["jobs"]] == ["new.txt"] and third["jobs"][0]["status"] == "queued"
    stream.close()


def test_the_book_in_progress_shows_its_chunk_and_the_progress_inside_it_moving(serve):
    page = serve(SlowTone())
    client = page.client().login()
    (page.config.paths.inbox / "slow.txt").write_text(PARAGRAPHS)

    def running():
        jobs = client.request("GET", "/api/queue").json()["jobs"]
        return jobs[0] if jobs and jobs[0]["status"] == "running" and jobs[0]["chunk_chars_done"] > 0 else None

    wait_for(running, 20, "slow.txt to be made")
    first = running()
    time.sleep(0.5)
    later = running() or client.request("GET", "/api/queue").json()["jobs"][0]
    assert first["chunk"] == 1 and first["chunks"] == 1 and first["chapter"] is not None
    assert 0 < first["chunk_chars_done"] < first["chunk_chars"] == first["chars"]
    assert later["chars_done"] > first["chars_done"]  # moves inside the chunk, between checkpoints
    assert first["voice"] == page.config.tts.kokoro.voice and first["eta"]
    assert 0 < first["percent"] < 100


def test_a_failed_book_says_why_in_words_and_finished_books_follow_the_queue(page):
    client = page.client().login()
    (page.config.paths.inbox / "empty.txt").write_text("   \n\n  \n")
    (page.config.paths.inbox / "fine.txt").write_text("A fine little book.\n")

    def settled():
        jobs = client.request("GET", "/api/queue").json()["jobs"]
        return len(jobs) == 2 and all(job["status"] in ("failed", "done") for job in jobs)

    wait_for(settled, 30, "both books to end")
    jobs = {job["name"]: job for job in client.request("GET", "/api/queue").json()["jobs"]}
    assert jobs["empty.txt"]["status"] == "failed" and "empty" in jobs["empty.txt"]["error"].lower()
    assert jobs["fine.txt"]["published"] and jobs["fine.txt"]["percent"] == 100.0


def test_the_daemon_stops_promptly_with_a_page_holding_the_event_stream(serve):
    page = serve()
    client = page.client().login()
    stream = events(client)
    next(stream)
    started = time.monotonic()
    page.stop()
    assert time.monotonic() - started < 5
    assert list(stream) == []  # the stream ended with the server, it was not left hanging
    assert not page.daemon.web.thread.is_alive()


def test_a_queued_book_s_eta_counts_the_books_ahead_of_it(page):
    from kokoro_narrator.jobs import history_speed, seconds_left

    from support.web import published

    published(page)  # a finished book: the machine's speed is known
    client = page.client().login()
    client.request("POST", "/api/steer", b'{"action": "pause"}')
    for name in ("a.txt", "b.txt"):
        (page.config.paths.inbox / name).write_text(f"The book {name}. " * 30)
    wait_for(lambda: len(page.daemon.store.all()) == 3, 20, "two queued books")
    jobs = {job["name"]: job for job in client.request("GET", "/api/queue").json()["jobs"]}
    stored = {job.name: job for job in page.daemon.store.all()}
    speed = history_speed(list(stored.values()))
    own = {name: seconds_left(stored[name], speed) for name in ("a.txt", "b.txt")}
    first, second = sorted(("a.txt", "b.txt"), key=lambda name: jobs[name]["eta_seconds"])
    assert jobs[first]["eta_seconds"] == own[first]
    assert abs(jobs[second]["eta_seconds"] - (own[first] + own[second])) < 1e-6
    assert jobs["small.md"]["eta"] == "" and jobs["small.md"]["eta_seconds"] is None  # done: no ETA
