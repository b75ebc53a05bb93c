"""The cookie alone is never enough: every route past the page's own files needs the session's page key too.

Browsers send a cookie to every port of its host, so another user's server on 127.0.0.1 that the owner's
browser is lured to receives `kokoro_session`, and can replay it with curl under the right Host and Origin.
The page key is the second credential: given only in the login redirect's fragment (which no server
receives) and sent by the page's script. These tests replay a cookie as that attacker would.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from support.web import published, Served

BOOT = [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/static/style.css")]


def protected(job_id: str) -> list[tuple[str, str]]:
    """Every route past the page's own files: the API, the event stream, steering, uploads, audio and downloads."""
    return [("GET", "/api/queue"), ("GET", "/api/events"), ("GET", "/api/books"), ("POST", "/api/steer"),
            ("PUT", "/api/upload?name=stolen.md"), ("GET", f"/api/books/{job_id}/chapters/0"),
            ("GET", f"/api/jobs/{job_id}/preview"), ("GET", f"/files/{job_id}/wav"),
            ("GET", f"/files/{job_id}/wav?download=1"), ("GET", f"/files/{job_id}/cover"), ("GET", "/static/nothing.js"),
            ("GET", "/nothing")]


def body(method: str, path: str) -> bytes | None:
    if method == "POST":
        return b'{"action": "pause"}'
    return b"# Stolen\n\nText.\n" if method == "PUT" else None


def stream_status(client, path: str, **headers) -> int:
    """The status of a GET read no further than its headers (the event stream never ends by itself)."""
    connection = client.connection()
    try:
        connection.putrequest("GET", path, skip_host=True)
        for name, value in {"Host": client.host, **headers}.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_cookie_without_its_key_gets_401_on_every_protected_route_and_changes_nothing(page):
    job = published(page)
    client = page.client().login()
    for method, path in protected(job.id):
        answer = client.request(method, path, body(method, path), key=False)  # the right Host and Origin, as curl
        assert answer.status == 401 and b"web-url" in answer.body, (method, path, answer)
    assert not (page.config.paths.jobs / "paused").exists() and not (page.config.paths.inbox / "stolen.md").exists()
    for method, path in BOOT:  # the page's own files hold nothing: the cookie alone serves them, to boot the page
        assert client.request(method, path, key=False).status == 200, path
    for method, path in protected(job.id):  # the same requests, with the key: each is served
        if path != "/api/events":
            assert client.request(method, path, body(method, path)).status != 401, (method, path)
    assert (page.config.paths.jobs / "paused").exists() and (page.config.paths.inbox / "stolen.md").exists()
    assert stream_status(client, "/api/events", Cookie=client.cookie) == 401
    assert stream_status(client, "/api/events", Cookie=client.cookie, **{"X-Kokoro-Key": client.key}) == 200


def test_the_key_without_the_cookie_a_wrong_key_or_another_sessions_key_gets_401(page):
    job = published(page)
    client, other = page.client().login(), page.client().login()
    assert client.key != other.key and client.cookie != other.cookie  # each login its own session
    wrong = [client.key[:-1] + ("A" if client.key[-1] != "A" else "B"), "", client.key + "x", other.key]
    for method, path in protected(job.id):
        data = body(method, path)
        assert client.request(method, path, data, cookie=False).status == 401, (method, path)
        for key in wrong:
            assert client.request(method, path, data, key=key or False).status == 401, (method, path, key)
    for key in wrong:  # in the query too
        assert client.request("GET", f"/files/{job.id}/wav?k={key}", key=False).status == 401, key
        assert stream_status(client, f"/api/events?k={key}", Cookie=client.cookie) == 401, key
    assert client.request("GET", f"/api/queue?k={client.key}", cookie=False, key=False).status == 401
    assert client.request("GET", "/", cookie=False, key=False).status == 401  # nor the page's files: no session


def test_the_key_may_come_in_the_query_only_on_a_get_that_cannot_set_a_header(page):
    """EventSource, <audio src> and download links cannot send a header: they carry `k=`; a change never does."""
    job = published(page)
    client = page.client().login()
    assert stream_status(client, f"/api/events?k={client.key}", Cookie=client.cookie) == 200
    assert client.request("GET", f"/files/{job.id}/wav?download=1&k={client.key}", key=False).status == 200
    answer = client.request("POST", f"/api/steer?k={client.key}", b'{"action": "pause"}', key=False)
    assert answer.status == 401 and not (page.config.paths.jobs / "paused").exists()


def test_the_key_comes_only_in_the_login_redirects_fragment_never_in_a_header_cookie_or_body(page):
    job = published(page)
    client = page.client()
    answer = client.request("GET", f"/login?token={page.token}", cookie=False, origin=False, key=False)
    location = urlsplit(answer.headers["location"])
    key = location.fragment.removeprefix("key=")
    assert location.path == "/" and location.query == "" and location.fragment == f"key={key}" and len(key) >= 40
    assert key not in answer.headers["set-cookie"] and page.token not in answer.headers["set-cookie"]
    assert [value for name, value in answer.headers.items() if key in value and name != "location"] == []
    cookie = answer.headers["set-cookie"].split(";")[0]
    client.cookie, client.key = cookie, key
    for method, path in [*BOOT, *protected(job.id)]:
        if path == "/api/events":
            continue
        answer = client.request(method, path, body(method, path))
        assert not [value for value in answer.headers.values() if key in value], (path, answer.headers)
        assert key.encode() not in answer.body, path
    again = page.client().login()
    assert again.key != key and again.cookie != cookie  # random per login: nothing follows from the token


def test_a_session_ends_30_days_after_its_login_and_with_the_daemon(page):
    import time

    from kokoro_narrator.web.access import SESSION_SECONDS

    client = page.client().login()
    assert client.request("GET", "/api/queue").status == 200
    sessions = page.daemon.web.server.config.app.sessions
    sessions.clock = lambda: time.time() + SESSION_SECONDS + 1
    assert client.request("GET", "/api/queue").status == 401 and client.request("GET", "/").status == 401
    sessions.clock = time.time
    assert client.request("GET", "/api/queue").status == 200

    page.stop()  # sessions live in the daemon's memory: after a restart, an old cookie and key are nothing
    again = Served(page.config)
    try:
        assert again.client(cookie=client.cookie, key=client.key).request("GET", "/api/queue").status == 401
        assert again.client().login().request("GET", "/api/queue").status == 200
    finally:
        again.stop()


def test_logins_never_keep_more_than_max_sessions(page):
    from kokoro_narrator.web.access import MAX_SESSIONS

    first = page.client().login()
    clients = [page.client().login() for _ in range(MAX_SESSIONS)]
    assert len(page.daemon.web.server.config.app.sessions.live) == MAX_SESSIONS
    assert first.request("GET", "/api/queue").status == 401  # the oldest went
    assert clients[0].request("GET", "/api/queue").status == 200 and clients[-1].request("GET", "/api/queue").status == 200
