"""Attacks on the running page (a real daemon, uvicorn on a free port): each one must fail.

No session, a wrong token, a wrong Host (DNS rebinding), a foreign or missing Origin on a change,
`../` in every parameter, a 2 GB upload (declared, and streamed without a size), a name made to
run a shell command, and the headers every answer carries (CSP, no CORS).
"""

from __future__ import annotations

import http.client
import os
import socket
import time

import pytest

from support.daemons import wait_for
from support.web import published

ROUTES = [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/api/queue"), ("GET", "/api/events"),
          ("GET", "/api/books"), ("POST", "/api/steer"), ("PUT", "/api/upload?name=a.md"),
          ("GET", "/api/books/x/chapters/0"), ("GET", "/api/jobs/x/preview"), ("GET", "/files/x/wav")]


def test_every_route_answers_401_without_the_session_cookie_even_the_event_stream_and_audio(page):
    client = page.client()
    job = published(page)
    for method, path in [*ROUTES, ("GET", f"/files/{job.id}/wav"), ("GET", f"/api/books/{job.id}/chapters/0")]:
        answer = client.request(method, path, b"{}" if method != "GET" else None)
        assert answer.status == 401, (method, path, answer)
        assert b"web-url" in answer.body


def test_a_wrong_token_gets_no_cookie_and_a_forged_cookie_is_refused(page):
    client = page.client()
    for path in ("/login", "/login?token=", f"/login?token={page.token[:-1]}x", f"/login?token={page.token}%00"):
        answer = client.request("GET", path, cookie=False, origin=False)
        assert answer.status == 401 and "set-cookie" not in answer.headers, path
    client.cookie = f"kokoro_session={page.token}"  # the token itself is not the session value
    assert client.request("GET", "/api/queue").status == 401


def test_the_token_buys_an_httponly_samesite_strict_cookie_and_the_url_drops_the_token(page):
    answer = page.client().request("GET", f"/login?token={page.token}", cookie=False, origin=False)
    assert answer.status == 303 and answer.headers["location"].startswith("/#key=")
    flags = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags and "max-age=2592000" in flags
    assert page.token not in answer.headers["set-cookie"]
    client = page.client().login()
    assert client.request("GET", "/api/queue").status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.2:{port}", "",
                                  "localhost.evil.example:{port}"])
def test_a_request_under_another_host_name_is_refused_even_with_the_cookie(page, host):
    client = page.client().login()
    answer = client.request("GET", "/api/queue", host=host.format(port=client.port))
    assert answer.status == 400 and b"answers to" in answer.body
    assert client.request("GET", "/api/queue", host=f"localhost:{client.port}").status == 200  # loopback's names


@pytest.mark.parametrize("origin", ["http://evil.example", "null", f"http://127.0.0.1:1", "https://127.0.0.1:{port}",
                                    None])
def test_a_change_from_a_foreign_or_missing_origin_is_refused_and_changes_nothing(page, origin):
    client = page.client().login()
    origin = origin.format(port=client.port) if origin else None
    answer = client.request("POST", "/api/steer", b'{"action": "pause"}', origin=origin,
                            headers={"Content-Type": "application/json"})
    assert answer.status == 403
    assert not (page.config.paths.jobs / "paused").exists()
    answer = client.request("PUT", "/api/upload?name=book.md", b"# Book\n\nText.\n", origin=origin)
    assert answer.status == 403 and not (page.config.paths.inbox / "book.md").exists()
    assert client.request("POST", "/api/steer", b'{"action": "pause"}').status == 200  # its own origin: done
    assert (page.config.paths.jobs / "paused").exists()


def test_no_answer_carries_cors_headers_and_every_one_carries_a_strict_content_security_policy(page):
    client = page.client().login()
    for method, path in [("GET", "/"), ("GET", "/api/queue"), ("GET", "/nothing"), ("OPTIONS", "/api/steer")]:
        answer = client.request(method, path, origin="http://evil.example",
                                headers={"Access-Control-Request-Method": "POST"})
        assert not [key for key in answer.headers if key.startswith("access-control-")], (path, answer.headers)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer.headers["referrer-policy"] == "no-referrer"
    page_html = client.request("GET", "/").body.decode()
    assert "<script>" not in page_html and " on" not in page_html.split("<body>")[1].replace(" one", "")  # no inline code
    assert "http://" not in page_html and "https://" not in page_html  # nothing from elsewhere


def test_dot_dot_in_every_parameter_reaches_no_file_outside_the_outbox(page, tmp_path):
    job = published(page)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve me")
    client = page.client().login()
    paths = [f"/files/{job.id}/..%2F..%2Fsecret.txt", f"/files/{job.id}/../../secret.txt", "/files/..%2Fsecret.txt/wav",
             "/files/../wav", f"/files/{job.id}%2F..%2F..%2Fsecret.txt/wav", f"/files/..%2F{job.id}/wav",
             "/static/..%2Faccess.py", "/static/../app.py", "/static/%2E%2E%2F__init__.py",
             f"/api/books/..%2F{job.id}/chapters/0", f"/api/books/{job.id}/chapters/..%2F0",
             f"/api/books/{job.id}/chapters/0%2F..", "/api/jobs/..%2F..%2Fsecret.txt/preview",
             f"/api/jobs/{job.id}%2F..%2F..%2Fjob.json/preview", f"/files/{job.id}/cover%2F..%2F..%2Fjob.json"]
    for path in paths:
        answer = client.request("GET", path)
        assert answer.status == 404, (path, answer.status)
        assert b"do not serve me" not in answer.body and b'"schema_version"' not in answer.body
    answer = client.request("POST", "/api/steer", b'{"action": "cancel", "job": "../' + job.id.encode() + b'"}')
    assert answer.status == 404
    answer = client.request("PUT", "/api/upload?name=..%2F..%2Fescaped.md", b"# Out\n\nText.\n")
    assert answer.status == 201 and answer.json()["name"] == "escaped.md"
    assert (page.config.paths.inbox / "escaped.md").is_file()
    assert not (tmp_path / "escaped.md").exists() and not (page.config.paths.inbox.parent.parent / "escaped.md").exists()
    assert client.request("GET", f"/files/{job.id}/wav").status == 200  # the same routes do serve their own files


def test_a_name_that_would_run_a_command_is_made_harmless(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = page.client().login()
    answer = client.request("PUT", "/api/upload?name=%24%28touch%20x%29%60id%60%3B%7Crm.epub", b"not really an epub")
    assert answer.status == 201
    name = answer.json()["name"]
    assert name == "_(touch x)_id___rm.epub"
    assert (page.config.paths.inbox / name).is_file() and not (tmp_path / "x").exists()
    for bad in ("..", "%00.md", "book.exe", "%0A.md", "book.md~", "", "x.md.part", ".md"):
        assert client.request("PUT", f"/api/upload?name={bad}", b"text").status == 400, bad
    hidden = client.request("PUT", "/api/upload?name=.hidden.md", b"# Hidden\n\nText.\n")
    assert hidden.json()["name"] == "hidden.md"  # a dot name would be ignored by the watcher: it is shown


def _inbox_bytes(inbox) -> int:
    return sum(path.stat().st_size for path in inbox.iterdir() if path.is_file())


def test_a_2_gb_upload_is_refused_from_its_declared_size_before_a_byte_is_written(page):
    client = page.client().login()
    connection = client.connection()
    started = time.monotonic()
    connection.putrequest("PUT", "/api/upload?name=huge.epub", skip_host=True)
    for key, value in {**client.credentials(),
                       "Content-Length": str(2 * 1024 ** 3)}.items():
        connection.putheader(key, value)
    connection.endheaders()
    try:
        for _ in range(16):  # 16 MiB of the 2 GiB: the answer comes without waiting for the rest
            connection.send(b"\0" * (1 << 20))
    except OSError:
        pass  # the server closed the connection: refused early
    response = connection.getresponse()
    assert response.status == 413 and b"200 MiB" not in response.read()
    assert time.monotonic() - started < 10
    connection.close()
    assert _inbox_bytes(page.config.paths.inbox) == 0 and not list(page.config.paths.inbox.iterdir())


def test_a_streamed_upload_without_a_size_is_cut_off_at_the_limit_and_leaves_nothing(serve):
    page = serve(max_upload_mb=1)
    client = page.client().login()
    connection = client.connection()
    connection.putrequest("PUT", "/api/upload?name=endless.md", skip_host=True)
    for key, value in {**client.credentials(),
                       "Transfer-Encoding": "chunked"}.items():
        connection.putheader(key, value)
    connection.endheaders()
    sent = 0
    block = b"word " * 13107  # 64 KiB
    try:
        while sent < 64 * 1024 * 1024:  # would go on to 64 MiB; the server stops reading at 1 MiB
            connection.send(b"%x\r\n%s\r\n" % (len(block), block))
            sent += len(block)
    except OSError:
        pass
    response = connection.getresponse()
    assert response.status == 413 and b"limit" in response.read()
    connection.close()
    assert sent < 64 * 1024 * 1024, "the server read the whole endless body"
    assert not list(page.config.paths.inbox.iterdir())


def test_the_unix_socket_is_made_0600_and_answers_only_with_the_cookie(serve, tmp_path):
    path = tmp_path / "page.sock"
    page = serve(listen=str(path))
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    client = page.client()
    assert client.request("GET", "/api/queue").status == 401
    assert client.login().request("GET", "/api/queue").status == 200
    assert client.request("POST", "/api/steer", b'{"action": "pause"}', origin="http://evil.example").status == 403


def test_a_reply_never_waits_on_a_half_sent_request_forever(page):
    """A client that sends headers and stops: uvicorn's keep-alive bound ends it; other requests go on."""
    client = page.client().login()
    stuck = client.connection(timeout=2)
    stuck.putrequest("PUT", "/api/upload?name=slow.md", skip_host=True)
    for key, value in {**client.credentials(),
                       "Content-Length": "1000"}.items():
        stuck.putheader(key, value)
    stuck.endheaders()
    stuck.send(b"x" * 10)
    assert client.request("GET", "/api/queue").status == 200
    stuck.close()  # the half-written temp file goes with the connection
    wait_for(lambda: not list(page.config.paths.inbox.iterdir()), 5, "the upload's temp file to be removed")


def test_a_connection_that_never_finishes_its_headers_is_closed_and_open_connections_are_bounded(page):
    """Slowloris from any local user, logged in or not: idle and half-sent connections are closed within
    HEADER_SECONDS, and no more than MAX_CONNECTIONS are held, so the daemon's file descriptors stay its own."""
    from kokoro_narrator.web.server import HEADER_SECONDS, MAX_CONNECTIONS

    client = page.client().login()
    held = []
    for n in range(MAX_CONNECTIONS + 16):
        sock = socket.create_connection(("127.0.0.1", client.port), timeout=HEADER_SECONDS + 10)
        if n % 2:  # half of them start a request and never end its headers; the others send nothing
            sock.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n" % client.host.encode())
        held.append(sock)
    wait_for(lambda: len(page.daemon.web.server.server_state.connections) <= MAX_CONNECTIONS, 5, "the bound")
    started = time.monotonic()
    for sock in held:
        try:
            assert sock.recv(64) == b""  # closed by the server, nothing answered
        except ConnectionResetError:
            pass
        sock.close()
    assert time.monotonic() - started < HEADER_SECONDS + 5
    assert client.request("GET", "/api/queue").status == 200  # the page answers again at once

    # A refused request whose body comes a byte at a time is not waited for: its connection closes with the 401.
    sock = socket.create_connection(("127.0.0.1", client.port), timeout=HEADER_SECONDS + 10)
    sock.sendall(b"PUT /api/upload?name=a.md HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\nx"
                 % client.host.encode())
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and b"connection: close" in answer.lower()
    sock.close()


def test_a_websocket_never_gets_past_the_guard_and_the_server_serves_none(page):
    """No route is a WebSocket; with a WebSocket library installed one would reach the app without a
    cookie, Host or Origin check. The server refuses the upgrade and the guard closes any such scope."""
    import asyncio

    client = page.client()
    answer = client.request("GET", "/api/events", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                            "Sec-WebSocket-Version": "13"})
    assert answer.status == 401  # served as plain HTTP, and refused
    assert page.daemon.web.server.config.ws == "none"
    guard = page.daemon.web.server.config.app
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "websocket.connect"}

    scope = {"type": "websocket", "path": "/api/events", "headers": [(b"host", b"evil.example")],
             "query_string": b"", "scheme": "ws", "subprotocols": []}
    asyncio.run(guard(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


@pytest.mark.parametrize("others", ['prefs={"theme": "dark"}', "greeting=hello world", 'x="unterminated',
                                    "x=\\\\", "kokoro_session=planted-by-another-port"])
def test_cookies_another_server_on_the_host_set_never_lock_the_owner_out(page, others):
    """Cookies go to every port of 127.0.0.1: another server there (another user's, or any local app) may set
    a cookie http.cookies cannot parse, or one of the page's own name; the owner's session still counts."""
    client = page.client().login()
    session = client.cookie
    for header in (f"{others}; {session}", f"{session}; {others}"):
        client.cookie = header
        assert client.request("GET", "/api/queue").status == 200, header
    client.cookie = others
    assert client.request("GET", "/api/queue").status == 401


def test_a_symlink_in_the_outbox_or_a_job_folder_serves_nothing_outside(page, tmp_path):
    import json
    from pathlib import Path

    job = published(page)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve me")
    client = page.client().login()
    wav = Path(job.output["files"]["wav"])
    wav.unlink()
    wav.symlink_to(secret)  # the book's own file, swapped for a link out of the outbox
    folder = page.daemon.store.folder(job)
    (folder / "cover.jpg").symlink_to(secret)
    record = json.loads((folder / "job.json").read_text())
    record["source"].setdefault("metadata", {})["cover"] = "cover.jpg"
    (folder / "job.json").write_text(json.dumps(record))
    wait_for(lambda: page.daemon.store.load(folder).source["metadata"].get("cover") == "cover.jpg", 5, "the record")
    for path in (f"/files/{job.id}/wav", f"/files/{job.id}/cover", f"/files/{job.id}/wav?download=1"):
        answer = client.request("GET", path)
        assert answer.status == 404 and b"do not serve me" not in answer.body, path
    assert client.request("GET", "/api/books").json()["books"] == []  # no playable file left: not listed
