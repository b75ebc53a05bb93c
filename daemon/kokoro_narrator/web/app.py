"""The page's HTTP side: a Starlette app, its routes, and the guard every request passes first.

The guard (`Guard`, plain ASGI so it covers streams and files alike), in order:
1. Host must be one the listen address answers to (web/access.py), else 400: DNS rebinding;
2. every request but `/login` needs a live session's cookie, else 401; and every one but the files that
   boot the page (BOOT: they hold nothing) needs that session's page key too (the `X-Kokoro-Key`
   header, or `?k=` on a GET from an EventSource, <audio> or a link, which cannot set headers), else 401:
   the cookie reaches every port of the host, the key only the page's own origin (web/access.py);
3. a request that changes something (not GET or HEAD) needs an Origin equal to the page's own, else 403;
4. every answer carries a strict Content-Security-Policy (scripts from the page's origin only, none
   inline), no-referrer, nosniff, frame-ancestors none; no CORS header is ever sent.
Routes name jobs by id and files by format; no parameter is ever used as a path (shelf.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response, \
    StreamingResponse
from starlette.routing import Route

from ..jobs import command, ControlError, set_paused
from .access import Address, COOKIE, KEY_HEADER, KEY_PARAM, same, SESSION_SECONDS, Sessions
from .queue import QueueView
from .shelf import MEDIA_TYPES, Shelf
from .uploads import check_declared, clean_name, limit_bytes, receive, UploadRefused

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
           (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin")]
SAFE_METHODS = (b"GET", b"HEAD")
STATIC = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
          "style.css": "text/css; charset=utf-8"}
"""Every file the page is made of: they ship in the wheel (package data); nothing comes from elsewhere."""
BOOT = ("/", "/static/app.js", "/static/style.css")
"""What a browser loads before the page's script can send its key: the cookie alone serves these."""
JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
EVENT_SECONDS = 1.0
"""How often the event stream looks for a change (the page moves within ~2 s of one)."""
KEEPALIVE_SECONDS = 15.0
WAKE_SECONDS = 0.2
STEER_BYTES = 4096
STEER = ("cancel", "retry", "next", "pause", "resume")


class Guard:
    """The checks every request passes before any route (see the module's docstring)."""

    def __init__(self, app, address: Address, sessions: Sessions):
        self.app = app
        self.hosts = address.hosts()
        self.scheme = address.scheme
        self.sessions = sessions

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":  # none is served (server.py: ws="none"); never past the checks either
            return await send({"type": "websocket.close", "code": 1008})
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        refusal = self._refusal(scope, headers, host)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        if refusal is not None:  # Connection: close: a refused request's body is never waited for
            refusal.headers["connection"] = "close"
            return await refusal(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope, headers: dict[bytes, bytes], host: str) -> Response | None:
        if self.hosts is not None and host not in self.hosts:  # a rebound DNS name, or a wrong address
            return PlainTextResponse(f"this page answers to {', '.join(sorted(self.hosts))}, not Host {host[:80]!r}\n",
                                     400)
        if scope["path"] != "/login" and not self._logged_in(scope, headers):
            return PlainTextResponse("not logged in: open the URL that `kokoro-narrator web-url` prints\n", 401)
        if scope["method"].encode() not in SAFE_METHODS:
            origin = headers.get(b"origin", b"").decode("latin-1")
            if origin not in self._origins(host):  # another site's page, or no Origin at all
                return PlainTextResponse(f"refused: a change must come from this page (Origin {origin[:80]!r})\n", 403)
        return None

    def _origins(self, host: str) -> tuple[str, ...]:
        """The page's own origin; behind a Unix socket's proxy it may have been reached over https or http."""
        if self.hosts is None:
            return (f"http://{host}", f"https://{host}")
        return (f"{self.scheme}://{host}",)

    def _logged_in(self, scope, headers: dict[bytes, bytes]) -> bool:
        """Whether the cookie names a live session and, past BOOT, the request carries that session's key."""
        sessions = self.sessions.find(self._cookies(headers))
        if scope["path"] in BOOT:
            return bool(sessions)
        key = headers.get(KEY_HEADER.encode(), b"").decode("latin-1")
        if not key and scope["method"] in ("GET", "HEAD"):  # a changing request always sends the header
            key = parse_qs(scope["query_string"].decode("latin-1")).get(KEY_PARAM, [""])[0]
        return bool(key) and any([same(key, session.key) for session in sessions])

    @staticmethod
    def _cookies(headers: dict[bytes, bytes]) -> list[str]:
        """Every `kokoro_session` value in the Cookie header.

        Split by hand, not with http.cookies: SimpleCookie stops at the first cookie it finds malformed
        (a JSON value, a space), and cookies are shared by every port of a host, so any other server
        on 127.0.0.1 could set one and lock the page's owner out. Several pairs of the name (another
        port's page may set one too) are each tried."""
        values = []
        for pair in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, equals, value = pair.partition("=")
            if equals and name.strip() == COOKIE:
                values.append(value.strip().strip('"'))
        return values


class Page:
    """The routes, over the job store, the latest progress and the outbox."""

    def __init__(self, config, store, latest, token: str, sessions: Sessions, closing: threading.Event,
                 wake=lambda: None):
        self.config = config
        self.wake = wake
        self.store = store
        self.token = token
        self.sessions = sessions
        self.address = Address.of(config)
        self.queue = QueueView(store, latest)
        self.shelf = Shelf(store, config.paths.outbox)
        self.closing = closing
        package = resources.files(__package__) / "static"
        self.static = {name: (package / name).read_bytes() for name in STATIC}

    def routes(self) -> list[Route]:
        return [Route("/login", self.login), Route("/", self.index), Route("/static/{name}", self.asset),
                Route("/api/queue", self.queue_json), Route("/api/events", self.events),
                Route("/api/steer", self.steer, methods=["POST"]), Route("/api/upload", self.upload, methods=["PUT"]),
                Route("/api/books", self.books), Route("/api/books/{job}/chapters/{index:int}", self.chapter),
                Route("/api/jobs/{job}/preview", self.preview), Route("/files/{job}/{fmt}", self.file)]

    # ------------------------------------------------------------------ login and the page's own files

    async def login(self, request: Request) -> Response:
        if not same(request.query_params.get("token", ""), self.token):
            return PlainTextResponse("wrong or missing token: open the URL that `kokoro-narrator web-url` prints\n", 401)
        session = self.sessions.open()
        # The token leaves the address bar at once. The key rides in the fragment, which the browser keeps
        # for the page's script and sends to no server; only the cookie goes to other ports of this host.
        response = RedirectResponse(f"/#key={session.key}", 303, headers={"cache-control": "no-store"})
        response.set_cookie(COOKIE, session.id, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
                            secure=self.address.tls, path="/")
        return response

    async def index(self, request: Request) -> Response:
        return Response(self.static["index.html"], media_type=STATIC["index.html"], headers={"cache-control": "no-store"})

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.static:  # a fixed set: no name is ever looked up on disk
            return PlainTextResponse("no such file\n", 404)
        return Response(self.static[name], media_type=STATIC[name], headers={"cache-control": "no-cache"})

    # ------------------------------------------------------------------ the queue

    async def queue_json(self, request: Request) -> Response:
        return _json(await run_in_threadpool(self.queue.snapshot))

    async def events(self, request: Request) -> Response:
        async def stream():
            last, quiet = None, 0.0
            while not self.closing.is_set():
                text = json.dumps(await run_in_threadpool(self.queue.snapshot), separators=(",", ":"))
                if text != last:
                    last, quiet = text, 0.0
                    yield f"event: queue\ndata: {text}\n\n"
                elif quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    yield ": still here\n\n"
                await asyncio.sleep(EVENT_SECONDS)
                quiet += EVENT_SECONDS

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def steer(self, request: Request) -> Response:
        raw = b""
        async for block in request.stream():  # a steering request is a few bytes: never hold a large body
            raw += block
            if len(raw) > STEER_BYTES:
                return _json({"ok": False, "message": f"a steering request is at most {STEER_BYTES} bytes"}, 413,
                             {"connection": "close"})
        try:
            body = json.loads(raw)
            action, ref = body.get("action"), body.get("job")
        except (ValueError, AttributeError):
            return _json({"ok": False, "message": 'send JSON: {"action": ..., "job": ...}'}, 400)
        if action not in STEER:
            return _json({"ok": False, "message": f"unknown action {str(action)[:40]!r}; one of {', '.join(STEER)}"}, 400)
        jobs_dir = self.config.paths.jobs
        if action in ("pause", "resume"):
            return _json({"ok": True, "message": await run_in_threadpool(set_paused, jobs_dir, action == "pause")})
        if not isinstance(ref, str) or not JOB_ID.fullmatch(ref) or await run_in_threadpool(self.queue.find, ref) is None:
            return _json({"ok": False, "message": f"no job {str(ref)[:80]!r}"}, 404)
        answer = asyncio.ensure_future(run_in_threadpool(command, jobs_dir, action, ref))
        while not answer.done():  # the idle worker takes requests every 2 s: wake it until it has taken this one
            self.wake()
            await asyncio.wait([answer], timeout=WAKE_SECONDS)
        try:  # the CLI's own path: the same decisions and the same words (jobs/steering.py)
            message = answer.result()
        except ControlError as exc:
            return _json({"ok": False, "message": str(exc)}, 409)
        return _json({"ok": True, "message": message})

    # ------------------------------------------------------------------ adding a book

    async def upload(self, request: Request) -> Response:
        limit = limit_bytes(self.config.web.max_upload_mb)
        try:
            name = clean_name(request.query_params.get("name", ""))
            check_declared(request.headers.get("content-length"), limit)
            message = await receive(request.stream(), name, self.config.paths.inbox, self.store, limit)
        except UploadRefused as refused:
            # Connection: close: the client is told to stop sending the rest of a refused body.
            return _json({"ok": False, "message": refused.reason}, refused.status, {"connection": "close"})
        return _json({"ok": True, "message": message, "name": name}, 201)

    # ------------------------------------------------------------------ listening and previews

    async def books(self, request: Request) -> Response:
        def listed():
            jobs = sorted(self.queue.listed(), key=lambda job: -(job.finished_at or 0))
            return [book for job in jobs if (book := self.shelf.book(job)) is not None]
        return _json({"books": await run_in_threadpool(listed)})

    async def chapter(self, request: Request) -> Response:
        job = await self._job(request)
        if job is None:
            return _json({"message": "no such book"}, 404)
        try:
            text = await run_in_threadpool(self.shelf.chapter_text, job, request.path_params["index"])
        except (OSError, ValueError) as exc:
            return _json({"message": f"the book's timings cannot be read: {exc}"}, 500)
        return _json(text) if text is not None else _json({"message": "this book has no timings"}, 404)

    async def preview(self, request: Request) -> Response:
        job = await self._job(request)
        if job is None:
            return _json({"message": "no such job"}, 404)
        try:
            return _json(await run_in_threadpool(self.shelf.preview, job))
        except (OSError, ValueError) as exc:
            return _json({"message": f"the book cannot be previewed: {exc}"}, 409)

    async def file(self, request: Request) -> Response:
        job, fmt = await self._job(request), request.path_params["fmt"]
        if job is None or (fmt not in MEDIA_TYPES and fmt != "cover"):
            return PlainTextResponse("no such file\n", 404)
        if fmt == "cover":
            found = await run_in_threadpool(self.shelf.cover, job)
        else:
            found = await run_in_threadpool(self.shelf.file, job, fmt)
        if found is None:
            return PlainTextResponse("no such file\n", 404)
        path, media_type = found
        download = request.query_params.get("download") == "1"
        return FileResponse(path, media_type=media_type, filename=path.name if download else None,
                            content_disposition_type="attachment" if download else "inline")

    async def _job(self, request: Request):
        """The job a request names by id, from the store's listing (never a path), or None; looked up off the
        event loop (the listing may read job.json files)."""
        ref = request.path_params.get("job", "")
        return await run_in_threadpool(self.queue.find, ref) if JOB_ID.fullmatch(ref) else None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status, headers={"cache-control": "no-store", **(headers or {})})


def make_app(config, store, latest, token: str, closing: threading.Event, wake=lambda: None):
    """Given the config, the job store, a way to read the latest progress, the login token, the event that ends
    the streams and a way to wake the daemon's idle worker, return the ASGI app."""
    sessions = Sessions()
    page = Page(config, store, latest, token, sessions, closing, wake)
    app = Starlette(routes=page.routes())
    return Guard(app, page.address, sessions)
