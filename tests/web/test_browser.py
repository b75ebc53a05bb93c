"""The page in a real browser (Playwright driving Debian's chromium, headless), on the tiny Kokoro model.

One walk through everything a user does: log in with the token, upload a small markdown book and
watch it go through the queue to published, pause and resume a second book, then play the first and
check that the highlighted sentence follows the audio's currentTime, and that clicking a sentence
plays from there. Every request the page makes stays on its own origin and the Content-Security-Policy
refuses nothing the page needs. With KOKORO_WEB_SCREENSHOTS=dir set, the queue and the player are
photographed into dir (docs/img/ holds the ones docs/web.md shows).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from support.web import Served

CHROMIUM = Path(os.environ.get("KOKORO_CHROMIUM", "/usr/bin/chromium"))
FIRST = ("# The First Book\n\n## Morning\n\nThe sun came up over the hill. A bird sang in the old tree. "
         "The farmer walked out to the field.\n\n## Evening\n\nThe light went down slowly. Everyone went home to rest.\n")
SECOND = "# The Second Book\n\nA short second book. It waits while the daemon is paused.\n"

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM}")]


@pytest.fixture
def tiny_page(make_config, tiny_settings, tiny_engine, tmp_path):
    from support.web import free_port

    config = make_config(tts={"kokoro": tiny_settings}, watch={"settle_seconds": 0.1},
                         web={"enabled": True, "listen": f"127.0.0.1:{free_port()}", "state_dir": tmp_path / "state"})
    served = Served(config, tiny_engine)
    yield served
    served.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright  # installed by make test: missing, the test fails

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield browser
        browser.close()


def shoot(page, name: str) -> None:
    folder = os.environ.get("KOKORO_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def row_status(page, name: str) -> str:
    row = page.locator("#queue tbody tr", has_text=name)
    return row.locator("td.status span").first.inner_text() if row.count() else ""


def wait_until(page, expression: str, timeout: float) -> None:
    """Poll a JS expression from Python: Playwright's wait_for_function evals a string in the page, which the
    page's CSP (rightly) refuses; page.evaluate runs outside it."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
        page.wait_for_timeout(100)


def upload(page, path: Path) -> None:
    page.set_input_files("#upload-file", str(path))
    page.click("#upload-button")
    wait_until(page, "document.querySelector('#message').textContent.includes('is in the inbox')", 10)


def highlighted(page) -> dict:
    """Pause, let the page catch up with where the audio stopped, and say where it is and what is lit."""
    return page.evaluate("""async () => {
        const audio = document.querySelector('#audio');
        audio.pause();
        audio.dispatchEvent(new Event('timeupdate'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const lit = document.querySelectorAll('#text .sentence.current');
        return {time: audio.currentTime, count: lit.length,
                start: lit.length ? Number(lit[0].dataset.start) : null, end: lit.length ? Number(lit[0].dataset.end) : null};
    }""")


def test_upload_watch_pause_resume_and_read_along_in_a_real_browser(tiny_page, browser, tmp_path):
    client = tiny_page.client()
    origin = f"http://{client.host}"
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests, problems = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{origin}/login?token={tiny_page.token}")
    assert page.url == f"{origin}/"
    page.wait_for_selector("#queue-empty:not([hidden])")

    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text(FIRST)
    second.write_text(SECOND)
    upload(page, first)
    wait_until(page, "[...document.querySelectorAll('#queue td.status span')].some((s) => s.textContent === 'running')", 30)
    wait_until(page, "document.querySelector('#books li') !== null", 120)
    assert row_status(page, "first.md") == "done"

    page.click("#pause")
    page.wait_for_selector("#resume:not([hidden])")
    assert page.inner_text("#state") == "paused"
    upload(page, second)
    wait_until(page, "[...document.querySelectorAll('#queue tbody tr')].some((r) => r.textContent.includes('second.md'))", 20)
    page.wait_for_timeout(2500)  # paused: the second book stays queued
    assert row_status(page, "second.md") == "queued"
    shoot(page, "web-queue.png")
    page.click("#resume")
    page.wait_for_selector("#pause:not([hidden])")
    wait_until(page, "document.querySelectorAll('#books li').length === 2", 120)
    assert row_status(page, "second.md") == "done"

    page.locator("#books li", has_text="first.md").locator("button.play").click()
    page.wait_for_selector("#text .sentence", timeout=10000)
    sentences = page.eval_on_selector_all("#text .sentence", "(nodes) => nodes.map((n) => [Number(n.dataset.start), Number(n.dataset.end)])")
    assert len(sentences) >= 3
    page.evaluate("document.querySelector('#audio').play()")
    wait_until(page, "document.querySelector('#audio').currentTime > 0.2", 15)
    seen = []
    for _ in range(4):  # while it plays, the lit sentence is the last one begun by currentTime
        state = highlighted(page)
        begun = [start for start, _ in sentences if start <= state["time"]]
        if begun:
            assert state["count"] == 1 and state["start"] == begun[-1], (state, sentences)
            seen.append(state["start"])
        page.evaluate("document.querySelector('#audio').play()")
        page.wait_for_timeout(700)
    assert len(set(seen)) >= 2, ("the highlight did not move with the audio", seen, sentences)
    last = page.locator("#text .sentence").last
    target = float(last.get_attribute("data-start"))
    last.click()  # plays from that sentence
    wait_until(page, f"document.querySelector('#audio').currentTime >= {target}", 10)
    state = highlighted(page)
    assert state["count"] == 1 and state["start"] == target <= state["time"], state
    shoot(page, "web-player.png")

    assert all(url.startswith(origin + "/") for url in requests), [u for u in requests if not u.startswith(origin)]
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()


HOSTILE = "<img src=x id=pwned-title onerror=\"window.pwned=1\"><script>window.pwned=1</script>"
HOSTILE_BOOK = (f"# {HOSTILE}\n\n## <svg id=pwned-chapter onload=\"window.pwned=1\">\n\n"
                "A sentence with <b id=pwned-text>markup</b> and \"><img src=x id=pwned-attr onerror=window.pwned=1>.\n"
                ).replace("<", "&lt;").replace(">", "&gt;")  # entities: the reader keeps them as text, as an EPUB's would be


def test_hostile_titles_chapters_text_and_names_are_shown_as_text_never_markup(page: Served, browser, tmp_path):
    """Book metadata is anyone's: a title, a chapter title, a sentence and a file name made of markup reach the
    queue, the library, the player's chapters and its text as literal text; no element of theirs appears."""
    from kokoro_narrator.core import atomic_write
    from kokoro_narrator.sync import timings_bytes
    from support.timings import fake_timings
    from support.web import published

    name = "\"><img src=x id=pwned-name onerror=window.pwned=1>.md"
    job = published(page, name, HOSTILE_BOOK)
    timings = fake_timings(HOSTILE_BOOK.encode(), name, tmp_path / "hostile.wav")
    atomic_write(Path(job.output["files"]["timings"]), timings_bytes(timings))
    client = page.client()
    origin = f"http://{client.host}"
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{origin}/login?token={page.token}")
    wait_until(tab, "document.querySelector('#books li') !== null", 20)
    tab.locator("#books li button.play").click()
    wait_until(tab, "document.querySelectorAll('#text .sentence').length > 0", 10)
    planted = tab.evaluate("() => [...document.querySelectorAll('[id^=pwned], #queue img, #queue svg, #text img, "
                           "#text b, #chapters svg, #player-title img')].map((n) => n.outerHTML)")
    assert planted == [] and tab.evaluate("() => window.pwned") is None, planted
    assert "<img src=x id=pwned-name" in tab.inner_text("#queue") and "<img src=x id=pwned-name" in tab.inner_text("#books")
    assert "<svg id=pwned-chapter" in tab.inner_text("#chapters") and "<script>" in tab.inner_text("#chapters")
    assert "<img src=x id=pwned-title" in tab.locator("#text .sentence").first.inner_text()  # a sentence, as text
    context.close()


def test_a_server_on_another_port_gets_the_cookie_but_never_the_key_and_the_cookie_alone_opens_nothing(
        page: Served, browser):
    """The finding the page key answers: cookies go to every port of a host, so a server another local user runs
    on 127.0.0.1, once the owner's browser opens it, receives `kokoro_session`. Replayed from a script with the
    right Host and Origin, it gets 401 everywhere: the key stayed in the page's origin."""
    import http.server
    import threading

    from support.web import published

    received = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            received.append((self.path, dict(self.headers)))
            body = b"<!doctype html><title>elsewhere</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        job = published(page)
        origin = f"http://{page.client().host}"
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(f"{origin}/login?token={page.token}")
        assert tab.url == f"{origin}/"  # the key left the address bar
        wait_until(tab, "document.querySelector('#books li .downloads a') !== null", 20)
        key = tab.evaluate("() => localStorage.getItem('kokoro-key')")
        assert key and tab.evaluate("() => document.cookie") == ""  # kept by the page; the cookie is HttpOnly
        link = tab.evaluate("() => document.querySelector('#books li .downloads a').href")
        assert tab.evaluate(f"async () => (await fetch({link!r})).status") == 200  # a link carries it as k=

        tab.goto(f"http://127.0.0.1:{other.server_port}/")  # lured to another port of the same host
        assert tab.evaluate("() => localStorage.getItem('kokoro-key')") is None  # another origin's storage
        path, headers = received[-1]
        stolen = [pair.strip() for pair in headers.get("Cookie", "").split(";") if pair.strip().startswith("kokoro_session=")]
        assert stolen, headers  # the premise: the browser did hand the cookie to the other port
        assert key not in path and not [value for value in headers.values() if key in value]

        thief = page.client(cookie=stolen[0])  # its own Host and Origin, as curl would send them
        for method, path in [("GET", "/api/queue"), ("GET", "/api/events"), ("GET", "/api/books"),
                             ("GET", f"/files/{job.id}/wav?download=1"), ("POST", "/api/steer"),
                             ("PUT", "/api/upload?name=stolen.md")]:
            answer = thief.request(method, path, b'{"action": "pause"}' if method != "GET" else None)
            assert answer.status == 401, (method, path, answer)
        assert not (page.config.paths.jobs / "paused").exists()

        tab.goto(f"{origin}/")  # the owner's page goes on with its key
        wait_until(tab, "document.querySelector('#books li') !== null", 20)
        context.close()
    finally:
        other.shutdown()
        other.server_close()
