"""Who may use the page: the login token, the session cookie, and the Host and Origin a request may carry.

The token is made once, at the first start (or the first `kokoro-narrator web-url`), in a file only
its owner can read (0600, in a 0700 folder): other local users cannot read it, so they cannot log
in, although loopback lets them connect. The first visit gives the token in the URL and opens a
session (`Sessions`): two random secrets, neither derived from the token. The session id goes in a
cookie (HttpOnly, SameSite=Strict, 30 days). The page key goes in the login redirect's fragment,
which no server ever receives; the page keeps it in its origin's storage and sends it with every
request. Browsers send the cookie to every port of the host, so another server on 127.0.0.1 can
get it; the key never leaves the page's origin, and a request needs both (docs/web.md).

Host is checked against the listen address, so a DNS name rebound to 127.0.0.1 reaches nothing;
Origin is checked on every request that changes something, so no other site's page can steer.
Only standard-library code here: `web-url` and the daemon's start read it without the web stack.
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from ..core import Config

TOKEN_FILE = "web-token"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
WILDCARD = ("0.0.0.0", "[::]")
COOKIE = "kokoro_session"
KEY_HEADER = "x-kokoro-key"
KEY_PARAM = "k"
SESSION_SECONDS = 30 * 24 * 3600
"""A session (its cookie and its key) lasts 30 days from its login, or until the daemon stops."""
MAX_SESSIONS = 32


class WebError(RuntimeError):
    """The page cannot be served or reached as configured, and why."""


def state_dir(config: Config) -> Path:
    """Where the token lives: web.state_dir, else $XDG_STATE_HOME/kokoro-tts (~/.local/state/kokoro-tts)."""
    if config.web.state_dir is not None:
        return config.web.state_dir
    home = os.environ.get("XDG_STATE_HOME", "")
    base = Path(home) if os.path.isabs(home) else Path("~/.local/state").expanduser()  # XDG: relative is ignored
    return base / "kokoro-tts"


def login_token(config: Config) -> str:
    """Return the login token, making its 0600 file on first use; raise WebError when it cannot be read or made."""
    folder = state_dir(config)
    path = folder / TOKEN_FILE
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:  # O_EXCL: two first starts at once keep one token
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            return _read_token(path)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        return _read_token(path)
    except OSError as exc:
        raise WebError(f"cannot keep the page's login token in {path}: {exc.strerror or exc}; "
                       "set [web] state_dir to a folder you own") from None


def _read_token(path: Path) -> str:
    info = path.lstat()
    if info.st_uid != os.geteuid():  # planted by another user in a folder they can write: they know its token
        raise WebError(f"{path} belongs to another user (uid {info.st_uid}); delete it for a new token")
    if info.st_mode & 0o077:  # readable by others: another user could log in
        raise WebError(f"{path} is readable by other users (mode {info.st_mode & 0o777:o}); "
                       f"run `chmod 600 {path}` or delete it for a new token")
    token = path.read_text(encoding="ascii").strip()
    if len(token) < 32:
        raise WebError(f"{path} holds no usable token; delete it for a new one")
    return token


def same(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Session:
    id: str
    """The cookie's value."""
    key: str
    """The page key: sent by the page's script beside the cookie, never in a cookie."""
    expires: float


class Sessions:
    """The logged-in browsers, in memory only: a daemon restart ends every session, so a cookie and key
    taken while the daemon is down (another user's server on its port) are already worthless.
    Used from the server's event loop only: no lock."""

    def __init__(self, seconds: float = SESSION_SECONDS, clock=time.time):
        self.seconds, self.clock = seconds, clock
        self.live: list[Session] = []

    def open(self) -> Session:
        """A new session (a login); the oldest go past MAX_SESSIONS, so logins cannot grow memory."""
        now = self.clock()
        kept = [session for session in self.live if session.expires > now]
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + self.seconds)
        self.live = [*kept[-(MAX_SESSIONS - 1):], session]
        return session

    def find(self, ids: list[str]) -> list[Session]:
        """The live sessions whose id is one of ids (the Cookie header may hold several), compared in constant time."""
        now = self.clock()
        return [session for session in self.live
                if session.expires > now and any([same(value, session.id) for value in ids])]


@dataclass(frozen=True)
class Address:
    """What `web.listen` means: a host and port (TCP) or a Unix socket path, and the Hosts it answers to."""

    host: str | None
    port: int | None
    socket_path: Path | None
    tls: bool

    @classmethod
    def of(cls, config: Config) -> "Address":
        web = config.web
        tls = bool(web.tls_cert and web.tls_key)
        if web.listen.startswith("/"):
            return cls(None, None, Path(web.listen), tls)
        host, _, port = web.listen.rpartition(":")
        return cls(host, int(port), None, tls)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def hosts(self) -> frozenset[str] | None:
        """The Host headers accepted; None for a Unix socket (no browser reaches it but through a proxy)."""
        if self.host is None:
            return None
        names = {self.host}
        if self.host in LOOPBACK or self.host in WILDCARD:  # loopback has these names on every machine
            names |= set(LOOPBACK)
        if self.host in WILDCARD:  # every address: the machine's own names (a rebound name is none of them)
            names |= {socket.gethostname(), socket.getfqdn()}
        default = 443 if self.tls else 80
        return frozenset(f"{name}:{self.port}" for name in names) | (
            frozenset(names) if self.port == default else frozenset())

    def url(self, path: str = "/") -> str:
        host = self.host if self.host is not None else "localhost"
        if host in WILDCARD:
            host = socket.getfqdn()
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{path}"


def login_url(config: Config) -> str:
    """The URL `kokoro-narrator web-url` prints: the page's address with the token (made if need be)."""
    return Address.of(config).url(f"/login?token={login_token(config)}")
