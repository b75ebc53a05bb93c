"""Serving the page from the daemon's process: uvicorn in one daemon thread, on its own event loop.

The socket is bound here, in the caller's thread, before uvicorn runs: a port in use, an address
that does not exist or a bad TLS file is a WebError with the reason, and the daemon refuses to
start. A Unix socket is made 0600 (bound under umask 177, before the daemon's other threads
start). Stopping is bounded: uvicorn is asked to exit, open streams get `GRACE_SECONDS`, and a
server still running after `stop(timeout)` is left behind (its thread is a daemon thread).
Uvicorn keeps its hands off logging and signals: the daemon owns both.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import ssl
import threading
import time
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..core import Config
from ..jobs import JobStore
from .access import Address, login_token, WebError
from .app import make_app

log = logging.getLogger(__name__)

GRACE_SECONDS = 2
"""What uvicorn gives open connections (event streams, downloads) at a stop."""
START_SECONDS = 10.0
HEADER_SECONDS = 10.0
"""How long a connection may take to send a request's headers (the first, or the next on a kept-alive one)."""
MAX_CONNECTIONS = 64
"""Open connections at most; one more is closed at once. Browsers keep about 6 per host, so 64 is many tabs."""


class Protocol(H11Protocol):
    """uvicorn's h11 protocol, bounded: a connection that sends no complete request headers within
    HEADER_SECONDS is closed (uvicorn itself waits forever for a first request, and a byte at a time
    cancels its keep-alive timer), and no more than MAX_CONNECTIONS are open at once. Without these
    bounds any local user, logged in or not, could hold the daemon's file descriptors until the
    worker can open no file (slowloris)."""

    header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            transport.abort()
            return
        self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request's headers came whole: the app's own bounds hold from here
            self._disarm()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._arm()  # the next request's headers (or the end of a refused body) within the bound too
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self.header_deadline = self.loop.call_later(HEADER_SECONDS, self._expire)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _expire(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.abort()


class WebServer:
    """The page's server, running in its own thread; `stop()` ends it within its timeout."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, closing: threading.Event, where: str):
        self.server = server
        self.thread = thread
        self.closing = closing
        self.where = where

    def stop(self, timeout: float = 5.0) -> None:
        self.closing.set()  # event streams end at their next tick
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(1.0)
        if self.thread.is_alive():
            log.warning("the page's server did not stop within %.0f s; left behind", timeout)


def start_web(config: Config, store: JobStore, latest, wake=lambda: None) -> WebServer:
    """Given the config, the job store, a way to read the worker's latest Progress and one to wake the idle
    worker (a steering request is then taken at once), serve the page; return its server.
    Raise WebError (with the reason) when it cannot listen as configured."""
    address = Address.of(config)
    token = login_token(config)
    _check_tls(config)
    sock = _bind(address)
    closing = threading.Event()
    app = make_app(config, store, latest, token, closing, wake)
    settings = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off", loop="asyncio",
                              http=Protocol, ws="none",  # bounded h11 (above); no WebSocket is ever served
                              proxy_headers=False, server_header=False, date_header=False,
                              timeout_graceful_shutdown=GRACE_SECONDS, timeout_keep_alive=5,
                              ssl_certfile=config.web.tls_cert, ssl_keyfile=config.web.tls_key)
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=_run, args=(server, sock), name="kokoro-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        server.should_exit = True
        sock.close()
        raise WebError(f"the page's server did not start on {config.web.listen} (the log says why)")
    where = str(address.socket_path) if address.socket_path else address.url()
    log.info("the page is served at %s; `kokoro-narrator web-url` prints its login URL", where)
    return WebServer(server, thread, closing, where)


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        server.run(sockets=[sock])
    except BaseException:  # uvicorn exits with SystemExit on a startup error: say it, keep the daemon
        log.exception("the page's server stopped")
    finally:
        sock.close()


def _check_tls(config: Config) -> None:
    web = config.web
    if not (web.tls_cert and web.tls_key):
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(web.tls_cert, web.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise WebError(f"web.tls_cert / web.tls_key ({web.tls_cert}, {web.tls_key}) cannot be used: {exc}") from None


def _bind(address: Address) -> socket.socket:
    """Bind and listen on the address; raise WebError with the reason."""
    if address.socket_path is not None:
        return _bind_unix(address.socket_path)
    host = address.host.strip("[]")
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart reuses the port at once
        sock.bind((host, address.port))
        sock.listen(128)
    except OSError as exc:
        raise WebError(f"cannot listen on {host}:{address.port} for the page: {exc.strerror or exc}; "
                       "change [web] listen") from None
    sock.set_inheritable(False)
    bound = ipaddress.ip_address(sock.getsockname()[0].partition("%")[0])
    if not address.tls and not bound.is_loopback and not getattr(getattr(bound, "ipv4_mapped", None), "is_loopback", False):
        sock.close()  # the config's check goes by the name; this goes by where the socket really is
        raise WebError(f"{address.host}:{address.port} is {bound}, beyond loopback: the page would be served in "
                       "clear text; set web.tls_cert and web.tls_key, or listen on 127.0.0.1")
    return sock


def _bind_unix(path: Path) -> socket.socket:
    if path.is_socket():  # left by a daemon that was killed: remove it unless something answers there
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
            raise WebError(f"{path}: another server answers on this socket; change [web] listen")
        except OSError:
            path.unlink(missing_ok=True)
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket file is born 0600: no other user can connect, not even briefly
    try:
        sock.bind(str(path))
    except OSError as exc:
        sock.close()
        raise WebError(f"cannot make the page's socket {path}: {exc.strerror or exc}; change [web] listen") from None
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    return sock
