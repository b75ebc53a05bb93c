"""For the page's tests (tests/web/): the page under test: a real daemon (in this process, the tone provider) serving it with uvicorn on a free
port, and a raw HTTP client (http.client) so that a test sets Host, Origin and Cookie as an attacker would."""

from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kokoro_narrator.service import Daemon

from support.daemons import wait_for
from support.providers import ToneProvider


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        import json
        return json.loads(self.body)


@dataclass
class Client:
    """Requests to the page, each on a fresh connection, with the session cookie and the page key (the
    `X-Kokoro-Key` header) once `login()` got them, as the page's script sends them."""

    port: int | None
    token: str
    socket_path: Path | None = None
    cookie: str | None = None
    key: str | None = None
    host: str = field(default="")

    def __post_init__(self):
        self.host = self.host or f"127.0.0.1:{self.port}"

    def connection(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        if self.socket_path is None:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection = http.client.HTTPConnection("localhost", timeout=timeout)
        connection.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.sock.settimeout(timeout)
        connection.sock.connect(str(self.socket_path))
        return connection

    def request(self, method: str, path: str, body: bytes | None = None, *, headers: dict[str, str] | None = None,
                host: str | None = None, origin: str | None | bool = True, cookie: bool = True,
                key: str | None | bool = True) -> Answer:
        """origin: True sends the page's own Origin, a string sends that one, None or False sends none; key alike."""
        sent = {"Host": self.host if host is None else host}
        if cookie and self.cookie:
            sent["Cookie"] = self.cookie
        if key is True and self.key:
            sent["X-Kokoro-Key"] = self.key
        elif key and key is not True:
            sent["X-Kokoro-Key"] = key
        if origin is True:
            sent["Origin"] = f"http://{self.host}"
        elif origin:
            sent["Origin"] = origin
        sent.update(headers or {})
        connection = self.connection()
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for key, value in sent.items():
                connection.putheader(key, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def login(self) -> "Client":
        """Log in as a browser does: the cookie from Set-Cookie, the key from the redirect's fragment (`/#key=K`)."""
        answer = self.request("GET", f"/login?token={self.token}", cookie=False, origin=False, key=False)
        assert answer.status == 303, answer
        self.cookie = answer.headers["set-cookie"].split(";")[0]
        location = answer.headers["location"]
        assert location.startswith("/#key="), location
        self.key = location.removeprefix("/#key=")
        return self

    def credentials(self) -> dict[str, str]:
        """Host, Cookie, key and Origin, for a request a test writes on a raw connection."""
        return {"Host": self.host, "Cookie": self.cookie, "X-Kokoro-Key": self.key, "Origin": f"http://{self.host}"}


class Served:
    """A daemon serving the page, in a thread of this process; `stop()` ends both within bounds."""

    def __init__(self, config, provider=None):
        self.config = config
        self.daemon = Daemon(config, provider or ToneProvider(), space_wait_seconds=0.01)
        self.daemon.runner.space_margin = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.code = None
        self.thread.start()
        wait_for(lambda: self.daemon.web is not None or not self.thread.is_alive(), 20, "the page's server")
        assert self.daemon.web is not None, "the daemon did not start its page"

    def _run(self):
        self.code = self.daemon.run()

    @property
    def token(self) -> str:
        from kokoro_narrator.web.access import login_token
        return login_token(self.config)

    def client(self, **kwargs) -> Client:
        address = self.config.web.listen
        if address.startswith("/"):
            return Client(None, self.token, Path(address), host="localhost", **kwargs)
        return Client(int(address.rpartition(":")[2]), self.token, **kwargs)

    def stop(self) -> None:
        self.daemon.stop.set()
        self.daemon.wake.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the daemon did not stop"




BOOK = "# A Small Book\n\n## One\n\nThe first chapter has a sentence. It has another one.\n\n## Two\n\nThe second chapter ends it.\n"


def published(served: Served, name: str = "small.md", text: str = BOOK, timeout: float = 60):
    """Drop a book in the inbox and wait until the daemon has published it; return its job."""
    (served.config.paths.inbox / name).write_text(text, encoding="utf-8")
    store = served.daemon.store

    def done():
        return [job for job in store.all() if job.name == name and job.status == "done"]

    wait_for(done, timeout, f"{name} to be published")
    return done()[0]
